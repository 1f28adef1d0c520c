package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/e2e"
)

// relay is a private Postfix instance (an office's relay) with a private
// Dovecot for its SASL logins and for IMAP, both started by the test on
// loopback ports from the templates in testdata/, with every file in a
// temporary folder. Mail for example.org (Roster's own domain, where
// bounces come back) and example.com lands in Maildirs under mail/;
// remote.example stands for the Internet: a second smtpd of the same
// Postfix that refuses nobody@ and lost@ with 550 5.1.1, after the relay
// accepted them, so the relay mails back a DSN.
type relay struct {
	dir    string
	submit string // STARTTLS + AUTH (Dovecot SASL): user mailer, password relayPassword
	strict string // no AUTH; refuses a non-FQDN greeting or sender, like reject_non_fqdn_*
	imap   string // Dovecot IMAP (STARTTLS): user roster, password bounceIMAPPassword
	caFile string // the certificate both present
}

const (
	relayPassword      = "right-pw"
	bounceIMAPPassword = "bounce-pw"
)

// freePort returns a loopback port nobody listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startRelay starts Postfix and Dovecot for one test and stops them at
// its end.
func startRelay(t testing.TB) *relay {
	t.Helper()
	e2e.Need(t, "Debian package postfix", "postfix")
	e2e.Need(t, "Debian package dovecot-core", "dovecot")
	pf, err := lookupIDs("postfix")
	if err != nil {
		t.Fatalf("the postfix user (Postfix's mail_owner) is missing: %v", err)
	}
	if os.Geteuid() != 0 {
		// postfix start needs root for master(8); Dovecot for its users.
		if e2e.Required() {
			t.Fatal("a private Postfix needs root to start master(8)")
		}
		t.Skip("a private Postfix needs root to start master(8)")
	}
	dir := t.TempDir()
	// Postfix's and Dovecot's unprivileged processes must reach the folder.
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r := &relay{dir: dir}
	writeCert(t, dir)
	r.caFile = filepath.Join(dir, "cert.pem")
	ports := map[string]int{"SUBMIT": freePort(t), "STRICT": freePort(t), "SINK": freePort(t), "IMAP": freePort(t)}
	r.submit = "127.0.0.1:" + strconv.Itoa(ports["SUBMIT"])
	r.strict = "127.0.0.1:" + strconv.Itoa(ports["STRICT"])
	r.imap = "127.0.0.1:" + strconv.Itoa(ports["IMAP"])
	fill := strings.NewReplacer(
		"@DIR@", dir, "@UID@", strconv.Itoa(pf.uid), "@GID@", strconv.Itoa(pf.gid),
		"@SUBMITPORT@", r.submit, "@STRICTPORT@", r.strict,
		"@SINKPORT@", strconv.Itoa(ports["SINK"]),
		"@AUTHSOCKET@", filepath.Join(dir, "auth"),
	)
	for _, name := range []string{"main.cf", "master.cf"} {
		b, err := os.ReadFile(filepath.Join("testdata", "postfix", name))
		if err != nil {
			t.Fatal(err)
		}
		s := fill.Replace(string(b))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"queue", "data", "mail", "dovecot"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"data", "mail"} {
		if err := os.Chown(filepath.Join(dir, d), pf.uid, pf.gid); err != nil {
			t.Fatal(err)
		}
	}

	// Dovecot first: Postfix's SASL asks its socket.
	dv := filepath.Join(dir, "dovecot")
	b, err := os.ReadFile(filepath.Join("testdata", "dovecot", "dovecot.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.NewReplacer("@DIR@", dv, "@PORT@", strconv.Itoa(ports["IMAP"]), "@UID@", strconv.Itoa(pf.uid),
		"@GID@", strconv.Itoa(pf.gid), "@MAILDIR@", filepath.Join(dir, "mail"), "@AUTHSOCKET@", filepath.Join(dir, "auth"),
		"@CERT@", r.caFile, "@KEY@", filepath.Join(dir, "key.pem")).Replace(string(b))
	dvConf := filepath.Join(dv, "dovecot.conf")
	mustWrite(t, dvConf, conf, 0o644)
	mustWrite(t, filepath.Join(dv, "passwd"), "mailer:{PLAIN}"+relayPassword+"\nroster:{PLAIN}"+bounceIMAPPassword+"\n", 0o644) // test-only credentials; Dovecot's auth reads it unprivileged
	if out, err := daemon(t, dir, "dovecot", "-c", dvConf); err != nil {
		t.Fatalf("dovecot: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := daemon(t, dir, "dovecot", "-c", dvConf, "stop"); err != nil {
			t.Logf("dovecot stop: %v\n%s", err, out)
		}
	})
	if out, err := daemon(t, dir, "postfix", "-c", dir, "start"); err != nil {
		t.Fatalf("postfix -c %s start: %v\n%s\n%s", dir, err, out, r.log())
	}
	t.Cleanup(func() {
		if out, err := daemon(t, dir, "postfix", "-c", dir, "stop"); err != nil {
			t.Logf("postfix stop: %v\n%s", err, out)
		}
	})
	for _, addr := range []string{r.submit, r.strict, r.imap} {
		waitListening(t, addr)
	}
	return r
}

// daemon runs a command that starts or stops a daemon, with its output in
// a file: a pipe would stay open in the daemon it leaves running.
func daemon(t testing.TB, dir, name string, args ...string) (string, error) {
	t.Helper()
	f, err := os.CreateTemp(dir, "cmd-*.out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	b, _ := os.ReadFile(f.Name())
	return string(b), err
}

// log returns Postfix's log.
func (r *relay) log() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "maillog"))
	return string(b)
}

// dovecotLog returns Dovecot's log.
func (r *relay) dovecotLog() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "dovecot", "dovecot.log"))
	return string(b)
}

// maildir is the Maildir Postfix delivers a local part of example.org or
// example.com to.
func (r *relay) maildir(local string) string {
	return filepath.Join(r.dir, "mail", local, "Maildir")
}

// waitMessages waits until a Maildir's new/ holds n messages and returns them.
func (r *relay) waitMessages(t testing.TB, local string, n int) [][]byte {
	t.Helper()
	dir := filepath.Join(r.maildir(local), "new")
	deadline := time.Now().Add(60 * time.Second)
	for {
		entries, _ := os.ReadDir(dir)
		if len(entries) >= n {
			var out [][]byte
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, b)
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d messages after a minute; want %d\nPostfix log:\n%s", dir, len(entries), n, r.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitListening(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustWrite(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

type ids struct{ uid, gid int }

func lookupIDs(user string) (ids, error) {
	out, err := exec.Command("id", "-u", user).Output()
	if err != nil {
		return ids{}, err
	}
	uid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	out, err = exec.Command("id", "-g", user).Output()
	if err != nil {
		return ids{}, err
	}
	gid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return ids{uid, gid}, nil
}

// writeCert writes cert.pem and key.pem for relay.roster.test and
// 127.0.0.1, self-signed (cert.pem is also the CA file Roster trusts).
func writeCert(t testing.TB, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.roster.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"relay.roster.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "cert.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), 0o644)
	mustWrite(t, filepath.Join(dir, "key.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})), 0o600)
}
