package ldap

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/password"
	"github.com/roster-dev/roster/store"
)

const testBase = "dc=example,dc=com"

// cheap argon2id parameters: tests hash many passwords.
var cheapParams = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

var local = roster.LocalActor("test")

// testPasswords are the passwords the fixture users get.
var testPasswords = map[string]string{
	"svc":  "service-secret-1",
	"ada":  "ada-secret-pass",
	"bob":  "bob-secret-pass",
	"dis":  "dis-secret-pass",
	"carl": "carl-secret-pass",
}

// mustOpenDB opens a fresh database in a temporary folder.
func mustOpenDB(t testing.TB) *store.DB {
	t.Helper()
	return storetest.Open(t)
}

// fixture makes the directory the tests share:
//
//	svc   Active, directory-readers (the apps' service account)
//	ada   Active, staff, admins
//	bob   Active, staff
//	carl  Active, no groups
//	pen   Pending (no password), staff
//	dis   Disabled (has a password), staff
//	nopw  Active without a password
func fixture(t testing.TB) *store.DB {
	t.Helper()
	db := mustOpenDB(t)
	if _, err := db.CreateGroup(local, "staff", "Everyone at the office"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateGroup(local, "Admins", ""); err != nil {
		t.Fatal(err)
	}
	users := []roster.NewUser{
		{Username: "svc", Name: "Nextcloud Service", Email: "svc@example.com", Groups: []string{roster.DirectoryReaders}},
		{Username: "ada", Name: "Ada King Lovelace", Email: "Ada.Lovelace@Example.com", Groups: []string{"staff", "admins"}},
		{Username: "bob", Name: "Bob Builder", Email: "bob@example.org", Groups: []string{"staff"}},
		{Username: "carl", Name: "Carl", Email: "carl@example.net"},
		{Username: "pen", Name: "Pen Ding", Email: "pen@example.com", Groups: []string{"staff"}},
		{Username: "dis", Name: "Dis Abled", Email: "dis@example.com", Groups: []string{"staff"}},
		{Username: "nopw", Name: "No Password", Email: "nopw@example.com"},
	}
	created, err := db.CreateUsers(local, users)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]uint64{}
	for _, u := range created {
		ids[u.Username] = u.ID
		if pw, ok := testPasswords[u.Username]; ok {
			setPassword(t, db, u.ID, pw)
		}
	}
	if _, err := db.SetStatus(local, []uint64{ids["svc"], ids["ada"], ids["bob"], ids["carl"], ids["dis"], ids["nopw"]}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(local, []uint64{ids["dis"]}, roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	return db
}

func setPassword(t testing.TB, db *store.DB, uid uint64, pw string) {
	t.Helper()
	u, err := db.User(local, uid)
	if err != nil {
		t.Fatal(err)
	}
	h, err := password.Approve(pw, u.Username, u.Email, func(pw string) (string, error) { return password.HashWith(pw, cheapParams) })
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetPassword(local, uid, h); err != nil {
		t.Fatal(err)
	}
}

// startServer runs a directory for db on 127.0.0.1:0 and returns it with
// its address.
func startServer(t testing.TB, db *store.DB, cfg Config) (*Server, string) {
	t.Helper()
	if cfg.BaseDN == "" {
		cfg.BaseDN = testBase
	}
	s, err := New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return s, ln.Addr().String()
}

// dial connects a go-ldap client.
func dial(t testing.TB, addr string) *goldap.Conn {
	t.Helper()
	c, err := goldap.DialURL("ldap://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(30 * time.Second)
	t.Cleanup(func() { c.Close() })
	return c
}

// bindAs dials and binds as a fixture user.
func bindAs(t testing.TB, addr, user string) *goldap.Conn {
	t.Helper()
	c := dial(t, addr)
	if err := c.Bind(userDN(user), testPasswords[user]); err != nil {
		t.Fatalf("bind as %s: %v", user, err)
	}
	return c
}

func userDN(name string) string  { return "uid=" + name + ",ou=people," + testBase }
func groupDN(name string) string { return "cn=" + name + ",ou=groups," + testBase }

// testCert makes a self-signed certificate for 127.0.0.1 and returns the
// server's TLS config and a client config that trusts it.
func testCert(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "roster test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true,

		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// manyUsers makes a database of n Active users user00000… and the service
// account svc (in directory-readers, password testPasswords["svc"]).
func manyUsers(t testing.TB, n int) *store.DB {
	t.Helper()
	db := mustOpenDB(t)
	users := make([]roster.NewUser, 0, n+1)
	for i := range n {
		users = append(users, roster.NewUser{Username: fmt.Sprintf("user%05d", i), Name: fmt.Sprintf("User Number %d", i), Email: fmt.Sprintf("user%05d@example.com", i)})
	}
	users = append(users, roster.NewUser{Username: "svc", Name: "Service", Email: "svc@example.com", Groups: []string{roster.DirectoryReaders}})
	created, err := db.CreateUsers(local, users)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, len(created))
	for i, u := range created {
		ids[i] = u.ID
	}
	if _, err := db.SetStatus(local, ids, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	setPassword(t, db, created[n].ID, testPasswords["svc"])
	return db
}
