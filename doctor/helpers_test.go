package doctor

import (
	"context"
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
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/web"
)

// testCA signs certificates for the test relay.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // PEM, for --smtp-ca-file
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, file: file}
}

// leaf returns a server certificate for names, valid for days.
func (ca *testCA) leaf(t *testing.T, days int, names ...string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		DNSNames: names, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Duration(days) * 24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// relay is a go-smtp server with STARTTLS and AUTH that, like many real
// relays, refuses a greeting name that is not fully qualified.
type relay struct {
	addr           string
	user, password string
	mails          int
}

func startRelay(t *testing.T, cert tls.Certificate, user, password string) *relay {
	t.Helper()
	r := &relay{user: user, password: password}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		if !strings.Contains(c.Hostname(), ".") {
			return nil, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Helo command rejected: need fully-qualified hostname"}
		}
		return &relaySession{r: r}, nil
	}))
	srv.Domain = "smtp.example.com"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	r.addr = ln.Addr().String()
	return r
}

type relaySession struct {
	r      *relay
	authed bool
}

func (s *relaySession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *relaySession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.r.user || pass != s.r.password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}
func (s *relaySession) Mail(string, *smtp.MailOptions) error { s.r.mails++; return nil }
func (s *relaySession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *relaySession) Data(io.Reader) error                 { return nil }
func (s *relaySession) Reset()                               {}
func (s *relaySession) Logout() error                        { return nil }

// setup is a sound installation: a database with a fresh backup, a relay
// at smtp.example.com with a certificate for that name, the site at
// accounts.example.com. Names reach the test's servers through Dial.
type setup struct {
	cfg   Config
	relay *relay
	hosts map[string]string // "name:port" → listening address
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	t.Setenv("ROSTER_DB", "")
	db := storetest.Open(t)
	if _, err := db.Backup(roster.LocalActor("test"), store.BackupOptions{Dest: t.TempDir() + "/"}); err != nil {
		t.Fatal(err)
	}
	ca := newCA(t)
	s := &setup{hosts: map[string]string{}}
	s.relay = startRelay(t, ca.leaf(t, 90, "smtp.example.com"), "roster", "s3cret")
	s.hosts["smtp.example.com:587"] = s.relay.addr
	s.hosts["accounts.example.com:80"] = startSite(t, db)
	s.cfg = Config{
		DBPath: db.Path(), DB: db, DBMode: 0o600, Actor: roster.LocalActor("test"),
		Mail: mail.Config{
			URL: "smtp://roster@smtp.example.com:587", Password: "s3cret", CAFile: ca.file,
			From: "Accounts <accounts@example.com>", HelloName: "roster.example.com", BaseURL: "http://accounts.example.com",
		},
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			target, ok := s.hosts[addr]
			if !ok {
				return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
			}
			var d net.Dialer
			return d.DialContext(ctx, network, target)
		},
	}
	if err := s.cfg.Mail.Normalize(); err != nil {
		t.Fatal(err)
	}
	return s
}

// startSite serves Roster's site for db and returns its address.
func startSite(t *testing.T, db *store.DB) string {
	t.Helper()
	srv := web.New(db)
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return addr.String()
}

// want fails the test unless the named check has the status and its line
// holds every one of words.
func want(t *testing.T, r Report, check string, status Status, words ...string) {
	t.Helper()
	res := r.Find(check)
	if res == nil {
		t.Errorf("no %s line in\n%s", check, text(r))
		return
	}
	line := res.Message + " → " + res.Fix
	if res.Status != status {
		t.Errorf("%s: %s %q, want %s", check, res.Status, line, status)
	}
	for _, w := range words {
		if !strings.Contains(line, w) {
			t.Errorf("%s: %q lacks %q", check, line, w)
		}
	}
}

func text(r Report) string {
	var b strings.Builder
	_ = r.WriteText(&b)
	return b.String()
}
