package mail

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/roster-dev/roster/store"
)

// maxMailboxMessage bounds what the dev mailbox accepts.
const maxMailboxMessage = 1 << 20

// Mailbox is the built-in dev mailbox: an SMTP server on loopback that
// keeps every message it receives in the database (store.MailboxMessage),
// where the TUI's Mailbox screen and `roster mailbox` read them. What its
// connections receive is stored with one commit per round, and a message
// is acknowledged (250) only once stored.
//
// Only the process that started it may deliver: a client must log in
// (AUTH PLAIN) with the user MailboxUser and the random secret of this
// Mailbox (Secret) before MAIL FROM. Any other local process is refused,
// so it cannot slip a forged "reset your password" mail into the mailbox.
type Mailbox struct {
	db     *store.DB
	secret string
	srv    *smtp.Server
	ln     net.Listener
	log    *slog.Logger
	in     chan *incoming

	closeOnce sync.Once
	done      chan struct{}
	stopped   chan struct{}
}

type incoming struct {
	msg  *store.MailboxMessage
	done chan error
}

// StartMailbox listens on addr (a loopback address; "127.0.0.1:0" picks a
// port) and serves until Close.
func StartMailbox(db *store.DB, addr string, log *slog.Logger) (*Mailbox, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("the dev mailbox listens on loopback only, not %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dev mailbox: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		ln.Close()
		return nil, fmt.Errorf("dev mailbox secret: %w", err)
	}
	m := &Mailbox{db: db, ln: ln, log: log, in: make(chan *incoming, 64), done: make(chan struct{}), stopped: make(chan struct{}),
		secret: base64.RawURLEncoding.EncodeToString(key)}
	m.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &mailboxSession{m: m}, nil
	}))
	m.srv.Domain = "roster-dev-mailbox"
	m.srv.MaxMessageBytes = maxMailboxMessage
	m.srv.MaxRecipients = 50
	m.srv.EnableDSN = true // the worker then sends the plain return path (with ENVID), as a reader expects
	m.srv.ReadTimeout = time.Minute
	m.srv.WriteTimeout = time.Minute
	// The secret crosses loopback only, never the network; it changes with
	// every start and lives in this process's memory alone.
	m.srv.AllowInsecureAuth = true
	m.srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn) // not stderr: a TUI may own the terminal
	go m.store()
	go func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			log.Error("dev mailbox", "err", err)
		}
	}()
	return m, nil
}

// MailboxUser is the user name Roster's own worker logs in with.
const MailboxUser = "roster"

// Secret returns the password that lets a client deliver to this mailbox.
func (m *Mailbox) Secret() string { return m.secret }

// Addr returns the address the mailbox listens on.
func (m *Mailbox) Addr() string { return m.ln.Addr().String() }

// Close stops the server; messages already acknowledged are stored.
func (m *Mailbox) Close() error {
	var err error
	m.closeOnce.Do(func() {
		err = m.srv.Close()
		close(m.done)
		<-m.stopped
	})
	return err
}

// store is the group commit of the mailbox.
func (m *Mailbox) store() {
	defer close(m.stopped)
	for {
		var batch []*incoming
		select {
		case it := <-m.in:
			batch = append(batch, it)
		case <-m.done:
			return
		}
	drain:
		for len(batch) < 256 {
			select {
			case it := <-m.in:
				batch = append(batch, it)
			default:
				break drain
			}
		}
		msgs := make([]*store.MailboxMessage, len(batch))
		for i, it := range batch {
			msgs[i] = it.msg
		}
		err := m.db.AddMailboxMessages(msgs)
		if err != nil {
			m.log.Error("dev mailbox: store messages", "err", err)
		}
		for _, it := range batch {
			it.done <- err
		}
	}
}

type mailboxSession struct {
	m      *Mailbox
	authed bool
	from   string
	to     []string
}

func (s *mailboxSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailboxSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		okUser := subtle.ConstantTimeCompare([]byte(user), []byte(MailboxUser))
		okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(s.m.secret))
		if okUser&okPass != 1 {
			s.m.log.Warn("dev mailbox: refused a login that is not this roster process's")
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *mailboxSession) Reset()        { s.from, s.to = "", nil }
func (s *mailboxSession) Logout() error { return nil }

func (s *mailboxSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		s.m.log.Warn("dev mailbox: refused mail from a client that did not log in", "from", from)
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *mailboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailboxSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg := ParseMailboxMessage(raw)
	msg.From, msg.To, msg.ReceivedAt = s.from, append([]string(nil), s.to...), time.Now().UTC()
	it := &incoming{msg: msg, done: make(chan error, 1)}
	select {
	case s.m.in <- it:
	case <-s.m.done:
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "mailbox closing"}
	}
	select {
	case err := <-it.done:
		if err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "could not store the message; try again"}
		}
		return nil
	case <-s.m.done:
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "mailbox closing"}
	}
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// ParseMailboxMessage reads what the mailbox shows of a message: the
// subject, the plain-text part and its first link. A message it cannot
// parse is kept raw, with an empty text.
func ParseMailboxMessage(raw []byte) *store.MailboxMessage {
	msg := &store.MailboxMessage{Raw: raw}
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return msg
	}
	if subject, err := r.Header.Subject(); err == nil {
		msg.Subject = subject
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		if h, ok := p.Header.(*gomail.InlineHeader); ok {
			if t, _, _ := h.ContentType(); t == "text/plain" || t == "" {
				b, err := io.ReadAll(io.LimitReader(p.Body, maxMailboxMessage))
				if err == nil {
					msg.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
				}
				break
			}
		}
	}
	msg.Link = linkPattern.FindString(msg.Text)
	return msg
}
