package doctor

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	rmail "github.com/roster-dev/roster/mail"
)

// startIMAP serves user/password with an INBOX holding one unread message,
// STARTTLS with cert, and returns the port and the user (to look at the
// message's flags afterwards).
func startIMAP(t *testing.T, cert tls.Certificate, user, password string) (string, *imapmemserver.User) {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(user, password)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	msg := "From: MAILER-DAEMON@example.com\r\nSubject: Undelivered\r\n\r\nbody\r\n"
	if _, err := u.Append("INBOX", literal(msg), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:      imap.CapSet{imap.CapIMAP4rev1: {}},
		Logger:    log.New(io.Discard, "", 0),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, u
}

// Ensure the bounce mailbox check logs in and opens the folder without
// changing it, and names the step that failed: a wrong password, a folder
// that does not exist, a certificate from an unknown CA, nothing listening.
func TestBounceMailbox(t *testing.T) {
	ca := newCA(t)
	port, user := startIMAP(t, ca.leaf(t, 90, "localhost"), "bounces", "s3cret")
	box := func(pw, folder, caFile string) *rmail.BounceMailbox {
		m, err := rmail.ParseBounceMailbox("imap://bounces@localhost:" + port + "/" + folder)
		if err != nil {
			t.Fatal(err)
		}
		m.Password, m.CAFile = pw, caFile
		return &m
	}
	run := func(b Bounces) Report {
		return checkBounces(&Config{Bounces: b})
	}

	want(t, run(Bounces{Mailbox: box("s3cret", "INBOX", ca.file)}), "mail.bounce-mailbox", Pass,
		"imap://bounces@localhost:"+port+"/INBOX", "read-only", "1 messages (1 unread)")
	st, err := user.Status("INBOX", &imap.StatusOptions{NumUnseen: true})
	if err != nil || *st.NumUnseen != 1 {
		t.Fatalf("after the check the message is no longer unread: %+v, %v", st, err)
	}

	want(t, run(Bounces{Mailbox: box("wrong", "INBOX", ca.file)}), "mail.bounce-mailbox", Fail,
		"login failed", "ROSTER_BOUNCE_PASSWORD")
	want(t, run(Bounces{Mailbox: box("s3cret", "Bounces", ca.file)}), "mail.bounce-mailbox", Fail,
		"select failed", "the folder at the end of --bounce-mailbox")
	want(t, run(Bounces{Mailbox: box("s3cret", "INBOX", "")}), "mail.bounce-mailbox", Fail,
		"connect failed", "certificate", "--bounce-ca-file")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, closed, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	m := box("s3cret", "INBOX", ca.file)
	m.Port = closed
	want(t, run(Bounces{Mailbox: m}), "mail.bounce-mailbox", Fail, "connect failed", "host and port")

	_, err = rmail.ParseBounceMailbox("imap://:pw@localhost/INBOX")
	want(t, run(Bounces{SettingsErr: err}), "mail.bounce-mailbox", Fail, "names no user", "--bounce-mailbox")

	if r := run(Bounces{}); len(r) != 0 {
		t.Fatalf("lines without bounce settings:\n%s", text(r))
	}
}

// Ensure the bounce Maildir check wants new/, cur/ and tmp/, counts what
// waits in new/, and fails on a missing folder, a plain folder and one the
// reader cannot read.
func TestBounceMaildir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Maildir")
	run := func() Report { return checkBounces(&Config{Bounces: Bounces{Maildir: dir}}) }
	want(t, run(), "mail.bounce-maildir", Fail, "does not exist", "maildirmake")
	if err := os.MkdirAll(filepath.Join(dir, "new"), 0o700); err != nil {
		t.Fatal(err)
	}
	want(t, run(), "mail.bounce-maildir", Fail, "not a Maildir: it has no cur/ folder")
	for _, sub := range []string{"cur", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "new", "1.host"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	want(t, run(), "mail.bounce-maildir", Pass, "is a Maildir, 1 message waiting in new/")
	if os.Geteuid() != 0 { // root reads and writes whatever the mode
		if err := os.Chmod(filepath.Join(dir, "new"), 0o300); err != nil {
			t.Fatal(err)
		}
		want(t, run(), "mail.bounce-maildir", Fail, "cannot read", "owner or group")
		_ = os.Chmod(filepath.Join(dir, "new"), 0o700)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dir = file
	want(t, run(), "mail.bounce-maildir", Fail, "is not a folder")
}

// literalString is a message for Append.
type literalString struct{ *strings.Reader }

func (l literalString) Size() int64 { return int64(l.Len()) }

func literal(s string) literalString { return literalString{strings.NewReader(s)} }
