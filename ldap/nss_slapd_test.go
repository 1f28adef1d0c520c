package ldap

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster/internal/e2e"
)

// startSlapdCopy copies what Roster's directory shows its service account
// into a fresh OpenLDAP slapd on loopback, with the same certificate, and
// returns slapd's URI and root credentials. The copy keeps what slapd's
// standard schema (core, cosine, inetorgperson, nis) and openssh-lpk allow:
// Roster's operational attributes are slapd's own business there, and a
// group is a posixGroup only, since nis.schema makes posixGroup structural
// and so exclusive of groupOfNames (Roster serves both, as LLDAP does).
func startSlapdCopy(t *testing.T, f *nssFixture) (uri, bindDN, bindPW string) {
	t.Helper()
	slapd := e2e.Need(t, "Debian package slapd", "slapd", "/usr/sbin/slapd")
	slapadd := e2e.Need(t, "Debian package slapd", "slapadd", "/usr/sbin/slapadd")
	dir := t.TempDir()
	cert := f.tls.Certificates[0]
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	pw := make([]byte, 16)
	if _, err := rand.Read(pw); err != nil {
		t.Fatal(err)
	}
	bindPW = hex.EncodeToString(pw)
	vars := strings.NewReplacer("{{DIR}}", dir, "{{BASE}}", testBase, "{{ROOTPW}}", bindPW)
	files := map[string][]byte{
		"cert.pem":  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}),
		"key.pem":   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}),
		"data.ldif": []byte(rosterLDIF(t, f.addr)),
	}
	for _, name := range []string{"slapd.conf", "openssh-lpk.schema"} {
		text, err := os.ReadFile(filepath.Join("testdata", "slapd", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = []byte(vars.Replace(string(text)))
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "slapd.conf")
	if out, err := exec.Command(slapadd, "-f", conf, "-l", filepath.Join(dir, "data.ldif")).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(slapd, "-f", conf, "-h", "ldap://"+addr+"/", "-d", "0")
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("slapd output:\n%s", log.String())
		}
	})
	waitFor(t, "slapd to listen", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return "ldap://" + addr, "cn=admin," + testBase, bindPW
}

// rosterLDIF returns, as LDIF, every entry Roster's directory shows its
// service account, less what slapd's schema does not allow (see
// startSlapdCopy). Every value is base64: LDIF then needs no escaping.
func rosterLDIF(t *testing.T, addr string) string {
	t.Helper()
	c := bindAs(t, addr, "svc")
	res, err := c.Search(goldap.NewSearchRequest(testBase, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"*"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	operational := []string{"memberof", "entryuuid", "createtimestamp", "modifytimestamp", "entrydn"}
	notInSchema := []string{"mailAccount", "groupOfUniqueNames", "groupOfNames"}
	groupOnly := []string{"member", "uniquemember", "displayname"}
	var b strings.Builder
	for _, e := range res.Entries {
		isGroup := strings.HasSuffix(strings.ToLower(e.DN), ",ou=groups,"+testBase)
		b.WriteString("dn:: " + base64.StdEncoding.EncodeToString([]byte(e.DN)) + "\n")
		for _, a := range e.Attributes {
			name := strings.ToLower(a.Name)
			if slices.Contains(operational, name) || isGroup && slices.Contains(groupOnly, name) {
				continue
			}
			for _, v := range a.Values {
				if name == "objectclass" && slices.Contains(notInSchema, v) {
					continue
				}
				b.WriteString(a.Name + ":: " + base64.StdEncoding.EncodeToString([]byte(v)) + "\n")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
