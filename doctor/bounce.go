package doctor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	rmail "github.com/roster-dev/roster/mail"
)

// Bounces holds the settings of `roster serve`'s bounce reader.
type Bounces struct {
	// Mailbox is --bounce-mailbox with its password and CA file; nil when
	// it is not set. SettingsErr is why it could not be read (a bad URL,
	// no password).
	Mailbox     *rmail.BounceMailbox
	SettingsErr error
	// Maildir is --bounce-maildir ("" when not set).
	Maildir string
}

// checkBounces: the bounce mailbox answers, takes the login and opens the
// folder, read-only; the bounce Maildir has the Maildir layout and the
// reader can read new/ and move messages to cur/. Nothing when neither is
// configured.
func checkBounces(c *Config) []Result {
	var r []Result
	b := c.Bounces
	switch {
	case b.SettingsErr != nil:
		r = append(r, fail("mail.bounce-mailbox", "fix --bounce-mailbox, and give the password in ROSTER_BOUNCE_PASSWORD or --bounce-password-file",
			"%v", b.SettingsErr))
	case b.Mailbox != nil:
		r = append(r, checkBounceMailbox(*b.Mailbox, c))
	}
	if b.Maildir != "" {
		r = append(r, checkBounceMaildir(b.Maildir))
	}
	return r
}

func checkBounceMailbox(m rmail.BounceMailbox, c *Config) Result {
	const name = "mail.bounce-mailbox"
	if m.Timeout <= 0 {
		m.Timeout = c.timeout()
	}
	st, err := rmail.CheckBounceMailbox(m)
	var step *rmail.BounceMailboxError
	if errors.As(err, &step) {
		var fix string
		switch step.Step {
		case "connect":
			fix = "check the host and port in --bounce-mailbox and that the server offers TLS (imaps://) or STARTTLS (imap://); for a private CA, give --bounce-ca-file"
		case "login":
			fix = "check the user in --bounce-mailbox and the password in ROSTER_BOUNCE_PASSWORD or --bounce-password-file"
		default:
			fix = "check the folder at the end of --bounce-mailbox (INBOX when none is given)"
		}
		return fail(name, fix, "%s: %s failed: %v", m, step.Step, step.Err)
	}
	if err != nil {
		return fail(name, "check --bounce-mailbox", "%s: %v", m, err)
	}
	return pass(name, "%s: logged in and opened read-only, %d messages (%d unread)", m, st.Messages, st.Unseen)
}

func checkBounceMaildir(dir string) Result {
	const name = "mail.bounce-maildir"
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fail(name, "point --bounce-maildir at the Maildir where the mail server delivers bounces, or create it (maildirmake)",
			"%s does not exist", dir)
	case err != nil:
		return fail(name, "let the user roster runs as reach the folder", "%v", err)
	case !fi.IsDir():
		return fail(name, "point --bounce-maildir at a Maildir folder (with new/, cur/ and tmp/)", "%s is not a folder", dir)
	}
	for _, sub := range []string{"new", "cur", "tmp"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			return fail(name, "point --bounce-maildir at a Maildir folder (with new/, cur/ and tmp/), or create one (maildirmake)",
				"%s is not a Maildir: it has no %s/ folder", dir, sub)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil {
		return fail(name, "let the user roster runs as read the Maildir (its owner or group)", "cannot read %s: %v", filepath.Join(dir, "new"), err)
	}
	for _, sub := range []string{"new", "cur"} {
		if err := writable(filepath.Join(dir, sub)); err != nil {
			return fail(name, "let the user roster runs as write to the Maildir: it moves each message it read from new/ to cur/",
				"cannot write to %s: %v", filepath.Join(dir, sub), err)
		}
	}
	return pass(name, "%s is a Maildir, %s waiting in new/", dir, plural(len(entries), "message"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
