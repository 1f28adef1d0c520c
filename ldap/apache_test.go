package ldap

import (
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/e2e"
)

// startApache runs Apache httpd with testdata/apache/httpd.conf against the
// directory at ldapAddr, and returns its base URL.
func startApache(t *testing.T, ldapAddr string, caPEM []byte) string {
	t.Helper()
	httpd := e2e.Need(t, "Debian package apache2", "apache2", "/usr/sbin/apache2")
	for _, m := range []string{"mod_ldap.so", "mod_authnz_ldap.so", "mod_mpm_prefork.so"} {
		if _, err := os.Stat("/usr/lib/apache2/modules/" + m); err != nil {
			if e2e.Required() {
				t.Fatalf("Apache module %s missing (Debian package apache2)", m)
			}
			t.Skipf("Apache module %s missing", m)
		}
	}
	dir, err := os.MkdirTemp("", "roster-apache-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Apache's workers run as nobody and read the folder.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "htdocs"), 0o755); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile("testdata/apache/httpd.conf")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	text := strings.NewReplacer("@DIR@", dir, "@PORT@", port, "@LDAP@", ldapAddr, "@CA@", ca).Replace(string(conf))
	confFile := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(confFile, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(httpd, "-d", dir, "-f", confFile, "-DFOREGROUND")
	// Apache's prefork parent signals its whole process group when it
	// stops: give it one of its own, away from the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("apache output:\n%s\nerror.log:\n%s", out.String(), b)
		}
	})
	waitFor(t, "Apache to listen", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return "http://127.0.0.1:" + port
}

// TestApacheAuthnzLDAP: Apache's mod_authnz_ldap with Require ldap-group
// (a Compare of member), ldap-user and ldap-attribute (Compares on the user
// entry), and ldap-group again over StartTLS.
func TestApacheAuthnzLDAP(t *testing.T) {
	serverTLS, _ := testCert(t)
	var logs syncBuffer
	_, addr := startServer(t, clientFixture(t), Config{TLS: serverTLS, Log: testLogger(&logs)})
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: serverTLS.Certificates[0].Certificate[0]})
	base := startApache(t, addr, caPEM)
	runApacheChecks(t, "roster", base, true)
	if !strings.Contains(logs.String(), "StartTLS done") {
		t.Error("Apache never used StartTLS")
	}
	if t.Failed() {
		t.Logf("directory log:\n%s", logs.String())
	}
}

// TestApacheAuthnzLDAPOnSlapd runs the same checks, StartTLS aside, with
// slapd holding the same entries.
func TestApacheAuthnzLDAPOnSlapd(t *testing.T) {
	tg := startSlapd(t)
	base := startApache(t, net.JoinHostPort(tg.host, tg.port), []byte{})
	runApacheChecks(t, "slapd", base, false)
}

func runApacheChecks(t *testing.T, name, base string, withTLS bool) {
	cases := []struct {
		path, user string
		want       int // 404: allowed (no such file), 401: refused
	}{
		{"/group", "ada", 404},
		{"/group", "carl", 401},
		{"/user", "ada", 404},
		{"/user", "bob", 401},
		{"/attribute", "bob", 404},
		{"/attribute", "ada", 401},
		{"/tls", "bob", 404},
		{"/tls", "carl", 401},
		{"/", "carl", 404},
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for _, tc := range cases {
		if tc.path == "/tls" && !withTLS {
			continue
		}
		req, _ := http.NewRequest("GET", base+tc.path, nil)
		req.SetBasicAuth(tc.user, testPasswords[tc.user])
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		res := "pass"
		if resp.StatusCode != tc.want {
			res = "FAIL"
			t.Errorf("%s as %s: HTTP %d, want %d", tc.path, tc.user, resp.StatusCode, tc.want)
		}
		t.Logf("CHECK %s | Apache mod_authnz_ldap %s as %s (HTTP %d) | %s", name, tc.path, tc.user, resp.StatusCode, res)
	}
	// A wrong password is refused.
	req, _ := http.NewRequest("GET", base+"/group", nil)
	req.SetBasicAuth("ada", "wrong-password")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("wrong password: HTTP %d", resp.StatusCode)
	}
}
