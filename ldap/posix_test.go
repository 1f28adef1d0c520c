package ldap

import (
	"crypto/ed25519"
	"crypto/rand"
	"slices"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
	gossh "golang.org/x/crypto/ssh"
)

// searchPosix runs a subtree search of the base and returns the entries.
func searchPosix(t *testing.T, c *goldap.Conn, filter string, attrs ...string) []*goldap.Entry {
	t.Helper()
	res, err := c.Search(goldap.NewSearchRequest(testBase, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
	if err != nil {
		t.Fatalf("search %s: %v", filter, err)
	}
	return res.Entries
}

// Ensure users carry the RFC 2307 attributes nslcd and SSSD need, with the
// database's settings, and groups their gidNumber and memberUid.
func TestPosixAttributes(t *testing.T) {
	db := fixture(t)
	settings := roster.DefaultPosixSettings()
	settings.HomeTemplate = "/srv/home/{username}"
	settings.DefaultShell = "/bin/sh"
	if err := db.SetPosixSettings(local, settings); err != nil {
		t.Fatal(err)
	}
	ada, _ := db.FindUser(local, "ada")
	zsh := "/usr/bin/zsh"
	if _, err := db.UpdateUser(local, ada.ID, roster.UserUpdate{Shell: &zsh}); err != nil {
		t.Fatal(err)
	}
	_, addr := startServer(t, db, Config{})
	c := bindAs(t, addr, "svc")

	es := searchPosix(t, c, "(&(objectClass=posixAccount)(uid=ada))", "*")
	if len(es) != 1 {
		t.Fatalf("%d entries for ada", len(es))
	}
	e := es[0]
	for attr, want := range map[string]string{
		"uidNumber": "10001", "gidNumber": "100", "homeDirectory": "/srv/home/ada",
		"loginShell": "/usr/bin/zsh", "gecos": "Ada King Lovelace",
	} {
		if got := e.GetAttributeValue(attr); got != want {
			t.Errorf("ada's %s %q, want %q", attr, got, want)
		}
	}
	if oc := e.GetAttributeValues("objectClass"); !slices.Contains(oc, "posixAccount") || !slices.Contains(oc, "ldapPublicKey") {
		t.Errorf("ada's object classes %v", oc)
	}
	if got := searchPosix(t, c, "(uid=bob)", "loginShell")[0].GetAttributeValue("loginShell"); got != "/bin/sh" {
		t.Errorf("bob's default shell %q", got)
	}

	// Lookups by number (getpwuid, getgrgid), compared as integers.
	if es := searchPosix(t, c, "(&(objectClass=posixAccount)(uidNumber=10002))", "uid"); len(es) != 1 || es[0].GetAttributeValue("uid") != "bob" {
		t.Errorf("uidNumber=10002: %v", posixDNs(es))
	}
	if es := searchPosix(t, c, "(&(objectClass=posixAccount)(uidNumber>=10003)(uidNumber<=10003))", "uid"); len(es) != 1 || es[0].GetAttributeValue("uid") != "carl" {
		t.Errorf("uidNumber range: %v", posixDNs(es))
	}
	if es := searchPosix(t, c, "(&(objectClass=posixAccount)(uidNumber<=9999))", "uid"); len(es) != 0 {
		t.Errorf("uidNumber<=9999 (compared as text, 10000 < 9999): %v", posixDNs(es))
	}
	if es := searchPosix(t, c, "(uidNumber=ten)", "uid"); len(es) != 0 {
		t.Errorf("uidNumber=ten: %v", posixDNs(es))
	}

	es = searchPosix(t, c, "(&(objectClass=posixGroup)(gidNumber=10001))", "cn", "memberUid", "gidNumber")
	if len(es) != 1 || es[0].GetAttributeValue("cn") != "staff" {
		t.Fatalf("gidNumber=10001: %v", posixDNs(es))
	}
	// Pending and Disabled members are not in the directory.
	if got := strings.Join(es[0].GetAttributeValues("memberUid"), " "); got != "ada bob" {
		t.Errorf("staff memberUid %q, want \"ada bob\"", got)
	}
	// initgroups as nslcd asks it.
	es = searchPosix(t, c, "(&(objectClass=posixGroup)(|(memberUid=ada)(member="+userDN("ada")+")))", "gidNumber")
	if len(es) != 2 {
		t.Errorf("ada's groups %v", posixDNs(es))
	}
}

// Ensure a user's SSH keys are served as sshPublicKey, and appear after a
// key is added without a restart.
func TestPosixSSHKeys(t *testing.T) {
	db := fixture(t)
	s, addr := startServer(t, db, Config{})
	c := bindAs(t, addr, "svc")
	if v := searchPosix(t, c, "(uid=ada)", "sshPublicKey")[0].GetAttributeValues("sshPublicKey"); len(v) != 0 {
		t.Fatalf("keys before adding one: %v", v)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := gossh.NewPublicKey(pub)
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sp))) + " ada@laptop"
	ada, _ := db.FindUser(local, "ada")
	if _, err := db.AddKey(local, ada.ID, line); err != nil {
		t.Fatal(err)
	}
	if err := s.refresh(false); err != nil {
		t.Fatal(err)
	}
	es := searchPosix(t, c, "(&(objectClass=ldapPublicKey)(uid=ada))", "sshPublicKey")
	if len(es) != 1 || strings.Join(es[0].GetAttributeValues("sshPublicKey"), "\n") != line {
		t.Errorf("ada's keys %v, want %q", es, line)
	}
	if es := searchPosix(t, c, "(&(uid=*)(sshPublicKey=*))", "uid"); len(es) != 1 {
		t.Errorf("users with keys: %v", posixDNs(es))
	}
}

func posixDNs(es []*goldap.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.DN
	}
	return out
}
