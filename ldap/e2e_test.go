package ldap

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/e2e"
)

// ldapTool runs one of OpenLDAP's client tools and returns its output.
func ldapTool(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	// A HOME of its own keeps ~/.ldaprc out (LDAPNOINIT would also
	// ignore the LDAPTLS_ variables the StartTLS step needs).
	cmd.Env = append(os.Environ(), append([]string{"HOME=" + t.TempDir()}, env...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestOpenLDAPClientTools drives the directory with ldapsearch, ldapwhoami
// and ldappasswd, the way an app signs a person in: bind as the service
// account, find the user by uid, bind as the user, list the user's groups.
func TestOpenLDAPClientTools(t *testing.T) {
	e2e.NeedAll(t, "Debian package ldap-utils", "ldapsearch", "ldapwhoami", "ldappasswd")
	db := fixture(t)
	serverTLS, _ := testCert(t)
	_, addr := startServer(t, db, Config{TLS: serverTLS})
	url := "ldap://" + addr
	svc, svcPw := userDN("svc"), testPasswords["svc"]

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: serverTLS.Certificates[0].Certificate[0]})
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tlsEnv := []string{"LDAPTLS_CACERT=" + caFile, "LDAPTLS_REQCERT=demand"}

	// 1. The app binds as its service account (over StartTLS, -ZZ: required).
	out, err := ldapTool(t, tlsEnv, "ldapwhoami", "-x", "-ZZ", "-H", url, "-D", svc, "-w", svcPw)
	if err != nil || strings.TrimSpace(out) != "dn:"+svc {
		t.Fatalf("ldapwhoami as the service account: %v\n%s", err, out)
	}

	// 2. It finds the person by uid with the filter apps use.
	out, err = ldapTool(t, nil, "ldapsearch", "-x", "-LLL", "-H", url, "-D", svc, "-w", svcPw,
		"-b", "ou=people,"+testBase, "(&(objectClass=person)(uid=ada))", "dn", "mail", "cn")
	if err != nil || !strings.Contains(out, "dn: "+userDN("ada")) || !strings.Contains(out, "mail: Ada.Lovelace@Example.com") {
		t.Fatalf("ldapsearch by uid: %v\n%s", err, out)
	}

	// 3. It binds as the person with the password they typed.
	out, err = ldapTool(t, nil, "ldapwhoami", "-x", "-H", url, "-D", userDN("ada"), "-w", testPasswords["ada"])
	if err != nil || strings.TrimSpace(out) != "dn:"+userDN("ada") {
		t.Fatalf("ldapwhoami as the user: %v\n%s", err, out)
	}
	out, err = ldapTool(t, nil, "ldapwhoami", "-x", "-H", url, "-D", userDN("ada"), "-w", "wrong-password")
	if err == nil || !strings.Contains(out, "Invalid credentials (49)") {
		t.Fatalf("ldapwhoami with a wrong password: %v\n%s", err, out)
	}

	// 4. It lists the person's groups.
	out, err = ldapTool(t, nil, "ldapsearch", "-x", "-LLL", "-H", url, "-D", svc, "-w", svcPw,
		"-b", "ou=groups,"+testBase, "(&(objectClass=groupOfUniqueNames)(uniqueMember="+userDN("ada")+"))", "cn")
	if err != nil || !strings.Contains(out, "cn: staff") || !strings.Contains(out, "cn: Admins") || strings.Contains(out, "directory-readers") {
		t.Fatalf("ldapsearch for the user's groups: %v\n%s", err, out)
	}

	// Paged results as ldapsearch does them.
	out, err = ldapTool(t, nil, "ldapsearch", "-x", "-LLL", "-H", url, "-D", svc, "-w", svcPw, "-E", "pr=2/noprompt",
		"-b", "ou=people,"+testBase, "(objectClass=person)", "uid")
	if err != nil || strings.Count(out, "uid: ") != 5 {
		t.Fatalf("paged ldapsearch: %v\n%s", err, out)
	}

	// Anonymous search is refused.
	out, err = ldapTool(t, nil, "ldapsearch", "-x", "-LLL", "-H", url, "-b", testBase, "(objectClass=*)")
	if err == nil {
		t.Fatalf("anonymous ldapsearch succeeded:\n%s", out)
	}

	// 5. The person changes their password with ldappasswd.
	out, err = ldapTool(t, nil, "ldappasswd", "-x", "-H", url, "-D", userDN("ada"), "-w", testPasswords["ada"],
		"-a", testPasswords["ada"], "-s", "a-much-better-password")
	if err != nil {
		t.Fatalf("ldappasswd: %v\n%s", err, out)
	}
	out, err = ldapTool(t, nil, "ldapwhoami", "-x", "-H", url, "-D", userDN("ada"), "-w", "a-much-better-password")
	if err != nil || strings.TrimSpace(out) != "dn:"+userDN("ada") {
		t.Fatalf("bind with the new password: %v\n%s", err, out)
	}
}
