package mail

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// skippedKeyword marks a message Roster read and did not understand: it
// stays unread for a person, and Roster does not read it again.
const skippedKeyword = "$RosterSkipped"

// BounceMailbox is an IMAP mailbox where bounces arrive:
// imaps://user@host[:993]/FOLDER (TLS) or imap://user@host[:143]/FOLDER
// (STARTTLS, required). The password comes from the environment or a
// file, never the URL; certificates are verified.
type BounceMailbox struct {
	ImplicitTLS bool
	Host, Port  string
	User        string
	Folder      string // default INBOX
	Password    string
	CAFile      string
	Timeout     time.Duration // per connection; default DefaultCommandTimeout
}

// ParseBounceMailbox reads a bounce mailbox URL.
func ParseBounceMailbox(raw string) (BounceMailbox, error) {
	bad := func(format string, args ...any) (BounceMailbox, error) {
		return BounceMailbox{}, roster.FieldErrorf(roster.EINVALID, "bounce-mailbox", format, args...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("bounce mailbox URL: %v", err)
	}
	var m BounceMailbox
	switch strings.ToLower(u.Scheme) {
	case "imaps":
		m.ImplicitTLS, m.Port = true, "993"
	case "imap":
		m.Port = "143"
	default:
		return bad("the bounce mailbox must be imaps://user@host/FOLDER or imap://user@host/FOLDER (STARTTLS), not %q", raw)
	}
	if u.User == nil || u.User.Username() == "" {
		return bad("the bounce mailbox URL names no user: imaps://user@host/INBOX")
	}
	if _, has := u.User.Password(); has {
		return bad("put the bounce mailbox's password in ROSTER_BOUNCE_PASSWORD or a file (--bounce-password-file), not in the URL")
	}
	m.User, m.Host = u.User.Username(), u.Hostname()
	if m.Host == "" {
		return bad("the bounce mailbox URL %q has no host", raw)
	}
	if p := u.Port(); p != "" {
		m.Port = p
	}
	m.Folder = strings.Trim(u.Path, "/")
	if m.Folder == "" {
		m.Folder = "INBOX"
	}
	return m, nil
}

// String names the mailbox without secrets.
func (m BounceMailbox) String() string {
	scheme := "imap"
	if m.ImplicitTLS {
		scheme = "imaps"
	}
	return fmt.Sprintf("%s://%s@%s/%s", scheme, url.User(m.User).String(), net.JoinHostPort(m.Host, m.Port), m.Folder)
}

func (m BounceMailbox) dial() (*imapclient.Client, error) {
	cfg := &tls.Config{ServerName: m.Host, MinVersion: tls.VersionTLS12}
	if m.CAFile != "" {
		pem, err := os.ReadFile(m.CAFile)
		if err != nil {
			return nil, fmt.Errorf("bounce mailbox CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("bounce mailbox CA file %s holds no PEM certificate", m.CAFile)
		}
		cfg.RootCAs = pool
	}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = DefaultCommandTimeout
	}
	opts := &imapclient.Options{TLSConfig: cfg, Dialer: &net.Dialer{Timeout: timeout}}
	addr := net.JoinHostPort(m.Host, m.Port)
	if m.ImplicitTLS {
		return imapclient.DialTLS(addr, opts)
	}
	return imapclient.DialStartTLS(addr, opts) // fails rather than log in over plaintext
}

// PollIMAP reads the unread messages of the bounce mailbox once and
// applies the bounces among them (ApplyBounce). An applied bounce is
// marked read; anything else stays unread for a person, with the keyword
// $RosterSkipped so it is not read again, and is logged. Nothing is
// deleted. A database failure leaves the message for the next poll.
// observe, when not nil, is told each recipient's result (metrics).
func PollIMAP(db *store.DB, m BounceMailbox, log *slog.Logger, observe func(BounceResult)) (applied, left int, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := m.dial()
	if err != nil {
		return 0, 0, fmt.Errorf("bounce mailbox %s: %w", m, err)
	}
	defer c.Close()
	if err := c.Login(m.User, m.Password).Wait(); err != nil {
		return 0, 0, fmt.Errorf("bounce mailbox %s: login: %w", m, err)
	}
	defer c.Logout()
	if _, err := c.Select(m.Folder, nil).Wait(); err != nil {
		return 0, 0, fmt.Errorf("bounce mailbox %s: %w", m, err)
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen, skippedKeyword}}, nil).Wait()
	if err != nil {
		return 0, 0, fmt.Errorf("bounce mailbox %s: search: %w", m, err)
	}
	uids := found.AllUIDs()
	if len(uids) > 200 {
		uids = uids[:200] // the rest next time
	}
	section := &imap.FetchItemBodySection{Peek: true}
	for _, uid := range uids {
		msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return applied, left, fmt.Errorf("bounce mailbox %s: fetch: %w", m, err)
		}
		if len(msgs) == 0 {
			continue
		}
		raw := msgs[0].FindBodySection(section)
		res, err := ApplyBounce(db, bytes.NewReader(raw))
		flag := imap.FlagSeen
		switch {
		case errors.Is(err, ErrNotBounce):
			log.Warn("bounce mailbox: left a message Roster does not understand", "mailbox", m.String(), "uid", uid, "why", err)
			flag = skippedKeyword
			left++
		case err != nil:
			return applied, left, err
		default:
			applied++
			reportBounce(res, log, observe)
		}
		store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{flag}}
		if err := c.Store(imap.UIDSetNum(uid), store, nil).Close(); err != nil {
			return applied, left, fmt.Errorf("bounce mailbox %s: mark message: %w", m, err)
		}
	}
	return applied, left, nil
}

// BounceMailboxState is what CheckBounceMailbox found: how many messages
// the folder holds and how many of them are unread.
type BounceMailboxState struct {
	Messages, Unseen uint32
}

// BounceMailboxError says at which step checking the bounce mailbox
// failed: "connect" (the server, TLS or its certificate), "login" or
// "select" (the folder).
type BounceMailboxError struct {
	Step string
	Err  error
}

func (e *BounceMailboxError) Error() string {
	return fmt.Sprintf("bounce mailbox: %s: %v", e.Step, e.Err)
}

func (e *BounceMailboxError) Unwrap() error { return e.Err }

// CheckBounceMailbox connects to the bounce mailbox, logs in and opens the
// folder read-only (EXAMINE), then logs out: it changes nothing, not even
// the \Recent flags. Errors are *BounceMailboxError.
func CheckBounceMailbox(m BounceMailbox) (BounceMailboxState, error) {
	var st BounceMailboxState
	c, err := m.dial()
	if err != nil {
		return st, &BounceMailboxError{"connect", err}
	}
	defer c.Close()
	if err := c.Login(m.User, m.Password).Wait(); err != nil {
		return st, &BounceMailboxError{"login", err}
	}
	defer c.Logout()
	data, err := c.Select(m.Folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return st, &BounceMailboxError{"select", err}
	}
	st.Messages = data.NumMessages
	if data.NumMessages > 0 {
		found, err := c.Search(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
		if err != nil {
			return st, &BounceMailboxError{"select", err}
		}
		st.Unseen = uint32(len(found.AllSeqNums()))
	}
	return st, nil
}
