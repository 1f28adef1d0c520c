package mail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/roster-dev/roster/store"
)

// Stages of a delivery, for errors and their classification.
const (
	stageConnect = "connect"
	stageAuth    = "AUTH"
	stageMail    = "MAIL FROM"
	stageRcpt    = "RCPT TO"
	stageData    = "DATA"
)

// deliveryError says at which stage a delivery failed. Config marks
// failures that no retry can cure: TLS that cannot be verified, a server
// that offers no STARTTLS while credentials are set, refused credentials.
type deliveryError struct {
	Stage  string
	Config bool
	Err    error
}

func (e *deliveryError) Error() string { return e.Stage + ": " + detailOf(e.Err) }
func (e *deliveryError) Unwrap() error { return e.Err }

// errNoStartTLS is the refusal to send over plaintext.
var errNoStartTLS = errors.New("the server does not offer STARTTLS; refusing to send in plaintext (use smtps://, or --smtp-plaintext-loopback for a relay on this machine without credentials)")

// dialer opens authenticated SMTP sessions to one server.
type dialer struct {
	server   Server
	password string
	tls      *tls.Config
	helo     string
	from     string // the return path bounces come back to (Config.BounceAddress)
	// plaintext is allowed: a loopback relay without credentials, by option.
	plaintext bool
	// devAuth: the dev mailbox of this process, which takes its random
	// secret over loopback without TLS.
	devAuth bool

	connectTimeout time.Duration
	commandTimeout time.Duration
}

func newDialer(cfg Config, server Server) (*dialer, error) {
	bounce := cfg.BounceAddress
	if bounce == "" {
		bounce = cfg.From
	}
	from, err := parseAddress(bounce)
	if err != nil {
		return nil, fmt.Errorf("bounce address: %w", err)
	}
	d := &dialer{
		server: server, password: cfg.Password, helo: cfg.HelloName, from: from.Address,
		connectTimeout: cfg.ConnectTimeout, commandTimeout: cfg.CommandTimeout,
		plaintext: cfg.PlaintextLoopback && server.Loopback() && server.User == "",
		tls:       &tls.Config{ServerName: server.Host, MinVersion: tls.VersionTLS12},
	}
	if d.helo == "" {
		d.helo = "localhost"
	}
	if server.User != "" && cfg.Password == "" {
		return nil, errors.New("the SMTP URL names a user but no password is set (ROSTER_SMTP_PASSWORD or --smtp-password-file)")
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("SMTP CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("SMTP CA file %s holds no PEM certificate", cfg.CAFile)
		}
		d.tls.RootCAs = pool
	}
	return d, nil
}

// devDialer opens sessions to this process's dev mailbox, logging in
// with its secret.
func devDialer(cfg Config, mb *Mailbox) (*dialer, error) {
	host, port, err := net.SplitHostPort(mb.Addr())
	if err != nil {
		return nil, err
	}
	cfg.Password = mb.Secret()
	d, err := newDialer(cfg, Server{Host: host, Port: port, User: MailboxUser})
	if err != nil {
		return nil, err
	}
	d.plaintext, d.devAuth = true, true
	return d, nil
}

// session is one SMTP connection, reused for many messages.
type session struct {
	c    *smtp.Client
	d    *dialer
	sent int
}

// dial connects, secures and authenticates a session.
func (d *dialer) dial() (*session, error) {
	fail := func(config bool, err error) (*session, error) {
		return nil, &deliveryError{Stage: stageConnect, Config: config, Err: err}
	}
	nd := net.Dialer{Timeout: d.connectTimeout}
	raw, err := nd.Dial("tcp", d.server.Addr())
	if err != nil {
		return fail(false, err)
	}
	var conn net.Conn = &deadlineConn{Conn: raw, timeout: d.commandTimeout}
	if d.server.ImplicitTLS {
		tc := tls.Client(conn, d.tls)
		_ = raw.SetDeadline(time.Now().Add(d.connectTimeout))
		if err := tc.Handshake(); err != nil {
			raw.Close()
			return fail(isTLSConfigError(err), err)
		}
		conn = tc
	}
	var c *smtp.Client
	if d.server.ImplicitTLS || d.plaintext {
		c = smtp.NewClient(conn)
	} else {
		// STARTTLS is required: go-smtp greets, checks the extension and
		// upgrades; the certificate is verified on the next command.
		c, err = smtp.NewClientStartTLS(&greetingConn{Conn: conn, helo: d.helo}, d.tls)
		if err != nil {
			raw.Close()
			if strings.Contains(err.Error(), "support STARTTLS") {
				return fail(true, errNoStartTLS)
			}
			return fail(isTLSConfigError(err), err)
		}
	}
	c.CommandTimeout = d.commandTimeout
	c.SubmissionTimeout = d.commandTimeout
	if err := c.Hello(d.helo); err != nil {
		c.Close()
		return fail(isTLSConfigError(err), err)
	}
	if d.server.User != "" {
		if err := d.auth(c); err != nil {
			c.Close()
			return nil, err
		}
	}
	return &session{c: c, d: d}, nil
}

func (d *dialer) auth(c *smtp.Client) error {
	fail := func(config bool, err error) error {
		return &deliveryError{Stage: stageAuth, Config: config, Err: err}
	}
	if _, isTLS := c.TLSConnectionState(); !isTLS && !d.devAuth {
		// Never reached with the checks in dial; kept as the last guard.
		return fail(true, errors.New("refusing to send credentials over plaintext"))
	}
	var mech sasl.Client
	switch {
	case c.SupportsAuth(sasl.Plain):
		mech = sasl.NewPlainClient("", d.server.User, d.password)
	case c.SupportsAuth(sasl.Login):
		mech = sasl.NewLoginClient(d.server.User, d.password)
	default:
		return fail(true, errors.New("the server offers neither AUTH PLAIN nor AUTH LOGIN"))
	}
	if err := c.Auth(mech); err != nil {
		var se *smtp.SMTPError
		return fail(errors.As(err, &se) && se.Code >= 500, err)
	}
	return nil
}

// send delivers one message. beforeDot runs after the whole message has
// been written and before the final dot that makes the server deliver it:
// the worker waits there for the previous message's result to be recorded,
// so at most one message per connection is delivered but not recorded.
//
// The return path names the job, so that a bounce coming back later by
// mail finds it: with DSN (RFC 3461) the plain bounce address with
// ENVID=roster-JOB-KEY and RET=HDRS (a bounce returns the headers only, never
// the link); without, the VERP form local+roster-JOB-KEY@domain.
func (s *session) send(job *store.Job, to string, body []byte, beforeDot func() error) error {
	c := s.c
	opts := &smtp.MailOptions{}
	from := s.d.from
	if ok, _ := c.Extension("DSN"); ok {
		opts.Return, opts.EnvelopeID = smtp.DSNReturnHeaders, EnvelopeID(job)
	} else {
		from = VERPAddress(from, job)
	}
	if !isASCII(to) || !isASCII(from) {
		// An internationalised address needs SMTPUTF8 (RFC 6531) end to end.
		if ok, _ := c.Extension("SMTPUTF8"); !ok {
			return &deliveryError{Stage: stageMail, Config: true,
				Err: errors.New("the address is not ASCII and the server does not offer SMTPUTF8")}
		}
		opts.UTF8 = true
	}
	if err := c.Mail(from, opts); err != nil {
		return &deliveryError{Stage: stageMail, Err: err}
	}
	if err := c.Rcpt(to, nil); err != nil {
		return &deliveryError{Stage: stageRcpt, Err: err}
	}
	w, err := c.Data()
	if err != nil {
		return &deliveryError{Stage: stageData, Err: err}
	}
	// The tag again as the first header: a bounce that returns the
	// headers but not the envelope (no DSN) still names the job.
	if _, err := io.WriteString(w, envelopeHeader+": "+EnvelopeID(job)+"\r\n"); err != nil {
		w.Close()
		return err
	}
	if _, err := w.Write(body); err != nil {
		return &deliveryError{Stage: stageData, Err: err}
	}
	if beforeDot != nil {
		if err := beforeDot(); err != nil {
			return err // the caller drops the connection: the message is not sent
		}
	}
	if err := w.Close(); err != nil {
		return &deliveryError{Stage: stageData, Err: err}
	}
	s.sent++
	return nil
}

// reset makes the session usable after a failed transaction: RSET, then
// EHLO again at once (go-smtp v0.25.1 repeats the greeting after RSET, and
// some servers refuse a second one). It reports whether the session can be
// kept; if not, the caller closes it.
func (s *session) reset() bool {
	if err := s.c.Reset(); err != nil {
		return false
	}
	return s.c.Hello(s.d.helo) == nil
}

// close says goodbye, or just drops the connection when that fails.
func (s *session) close() {
	if err := s.c.Quit(); err != nil {
		s.c.Close()
	}
}

// abort drops the connection without a word (mid-DATA, after errors).
func (s *session) abort() { s.c.Close() }

// deadlineConn gives every read and write its own deadline, so a server
// that stalls at any point (even mid-DATA, where go-smtp sets none) fails
// the attempt instead of hanging the worker.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(b)
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(b)
}

// SetDeadline ignores go-smtp's own deadlines (it clears them between
// commands); ours are set on every read and write.
func (c *deadlineConn) SetDeadline(time.Time) error      { return nil }
func (c *deadlineConn) SetReadDeadline(time.Time) error  { return nil }
func (c *deadlineConn) SetWriteDeadline(time.Time) error { return nil }

func isTLSConfigError(err error) bool {
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// detailOf renders an error as one line for the user's record: the
// server's code and words for SMTP replies.
func detailOf(err error) string {
	var se *smtp.SMTPError
	var s string
	if errors.As(err, &se) {
		s = fmt.Sprintf("%d", se.Code)
		if se.EnhancedCode != (smtp.EnhancedCode{}) && se.EnhancedCode != smtp.NoEnhancedCode {
			s += fmt.Sprintf(" %d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		s += " " + se.Message
	} else {
		s = err.Error()
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
