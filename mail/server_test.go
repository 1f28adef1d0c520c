package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message a test server accepted.
type received struct {
	From, To string
	Data     []byte
	AuthUser string
	Ret      string // RET= of MAIL FROM, with DSN
	EnvID    string
	AuthMech string
	TLS      bool
}

// testServer is a real go-smtp server on 127.0.0.1:0 with fault injection
// by recipient local part:
//
//	tempfail…  451 at RCPT the first two times
//	bounce…    550 at RCPT
//	databounce… 552 5.2.2 at DATA (after the message)
//	bare…      550 at RCPT with no enhanced code
//	routing…   554 5.4.4 at RCPT (fails the message only)
//	policy…    554 5.7.1 at RCPT (the relay refuses Roster, not the recipient)
//	drop…      the connection is dropped mid-DATA the first time
//	stall…     the server never answers the final dot
type testServer struct {
	t    testing.TB
	srv  *smtp.Server
	addr string

	// credentials: when set, MAIL needs AUTH with them.
	user, password string

	mu      sync.Mutex
	msgs    []received
	conns   int
	auths   int
	rcptN   int            // RCPT commands seen
	helo    []string       // EHLO names, one per connection
	seen    map[string]int // fault address → times seen
	stallCh chan struct{}
}

type serverOpts struct {
	tls       *tls.Config // offered with STARTTLS, or implicit with implicitTLS
	implicit  bool
	user      string
	password  string
	insecure  bool // AllowInsecureAuth: a lax server that takes AUTH in plaintext
	discard   bool // keep no message bodies (benchmarks)
	utf8      bool // offer SMTPUTF8
	dsn       bool // offer DSN
	mechanism []string
}

func startServer(t testing.TB, o serverOpts) *testServer {
	t.Helper()
	s := &testServer{t: t, user: o.user, password: o.password, seen: map[string]int{}, stallCh: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		_, isTLS := c.TLSConnectionState()
		s.mu.Lock()
		s.helo = append(s.helo, c.Hostname())
		s.mu.Unlock()
		return &testSession{s: s, conn: c, tls: isTLS, discard: o.discard, mechs: o.mechanism}, nil
	}))
	s.srv.Domain = "test.local"
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // killed clients and dropped connections are the point
	s.srv.AllowInsecureAuth = o.insecure
	s.srv.EnableSMTPUTF8 = o.utf8
	s.srv.EnableDSN = o.dsn
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	var ln net.Listener
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.tls != nil {
		s.srv.TLSConfig = o.tls
		if o.implicit {
			ln = tls.NewListener(ln, o.tls)
		}
	}
	s.addr = ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() {
		close(s.stallCh)
		s.srv.Close()
	})
	return s
}

func (s *testServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *testServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

func (s *testServer) helos() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.helo...)
}

func (s *testServer) rcpts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcptN
}

func (s *testServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// fault counts a fault address and returns how often it was seen before.
func (s *testServer) fault(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.seen[key]
	s.seen[key] = n + 1
	return n
}

type testSession struct {
	s       *testServer
	conn    *smtp.Conn
	tls     bool
	discard bool
	mechs   []string

	authUser, authMech string
	from, to           string
	ret, envID         string
}

func (ss *testSession) AuthMechanisms() []string {
	if ss.s.user == "" {
		return nil
	}
	if ss.mechs != nil {
		return ss.mechs
	}
	return []string{sasl.Plain, sasl.Login}
}

func (ss *testSession) Auth(mech string) (sasl.Server, error) {
	ss.s.mu.Lock()
	ss.s.auths++
	ss.s.mu.Unlock()
	check := func(user, pass string) error {
		if user != ss.s.user || pass != ss.s.password {
			return smtp.ErrAuthFailed
		}
		ss.authUser, ss.authMech = user, mech
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *testSession) Reset()        { ss.from, ss.to = "", "" }
func (ss *testSession) Logout() error { return nil }

func (ss *testSession) Mail(from string, opts *smtp.MailOptions) error {
	if opts != nil {
		ss.ret, ss.envID = string(opts.Return), opts.EnvelopeID
	}
	if ss.s.user != "" && ss.authUser == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	ss.s.rcptN++
	ss.s.mu.Unlock()
	local := strings.ToLower(to[:strings.IndexByte(to, '@')+1])
	switch {
	case strings.HasPrefix(local, "tempfail") && ss.s.fault(to) < 2:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again later"}
	case strings.HasPrefix(local, "bounce"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	case strings.HasPrefix(local, "bare"):
		return &smtp.SMTPError{Code: 550, Message: "unknown user"}
	case strings.HasPrefix(local, "routing"):
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 4, 4}, Message: "Unable to route"}
	case strings.HasPrefix(local, "policy"):
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Client host rejected: Access denied"}
	}
	ss.to = to
	return nil
}

func (ss *testSession) Data(r io.Reader) error {
	local := strings.ToLower(ss.to[:strings.IndexByte(ss.to, '@')+1])
	switch {
	case strings.HasPrefix(local, "drop") && ss.s.fault(ss.to) == 0:
		buf := make([]byte, 100)
		_, _ = io.ReadFull(r, buf)
		ss.conn.Conn().Close()
		return errors.New("dropped")
	case strings.HasPrefix(local, "stall"):
		_, _ = io.Copy(io.Discard, r)
		<-ss.s.stallCh
		return errors.New("stalled")
	}
	var data []byte
	var err error
	if ss.discard {
		_, err = io.Copy(io.Discard, r)
	} else {
		data, err = io.ReadAll(r)
	}
	if err != nil {
		return err
	}
	if strings.HasPrefix(local, "databounce") {
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "Mailbox full"}
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, received{From: ss.from, To: ss.to, Ret: ss.ret, EnvID: ss.envID, Data: data, AuthUser: ss.authUser, AuthMech: ss.authMech, TLS: ss.tls})
	ss.s.mu.Unlock()
	return nil
}

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if len(resp) == 0 {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}

// testCert makes a self-signed certificate for 127.0.0.1 and writes it to
// a PEM file, returning the server's TLS config and the file's path.
func testCert(t testing.TB) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "roster test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, path
}
