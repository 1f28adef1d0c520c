package ldap

import (
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/e2e"
	"github.com/roster-dev/roster/password"
)

// Ensure the directory shows apps a service account (no mail attribute: it
// has no address), which binds with its generated password, and hides an
// account once its expiry date has disabled it: searches no longer find
// it, its bind is refused. Checked with go-ldap and with ldapsearch.
func TestDirectoryLifecycle(t *testing.T) {
	db := fixture(t)
	now := time.Now()
	db.Now = func() time.Time { return now }

	pw, err := password.Generate()
	if err != nil {
		t.Fatal(err)
	}
	ok, err := password.Approve(pw, "wiki", "", func(pw string) (string, error) { return password.HashWith(pw, cheapParams) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateService(local, roster.NewUser{Username: "wiki", Name: "Wiki"}, ok); err != nil {
		t.Fatal(err)
	}
	leaver, err := db.CreateUsers(local, []roster.NewUser{{Username: "leaver", Name: "Lea Ver", Email: "lea@example.com",
		Groups: []string{"staff"}, ExpiresAt: now.Add(24 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	testPasswords["leaver"] = "leaver-secret-pass"
	t.Cleanup(func() { delete(testPasswords, "leaver") })
	setPassword(t, db, leaver[0].ID, testPasswords["leaver"])
	if _, err := db.SetStatus(local, []uint64{leaver[0].ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	_, addr := startServer(t, db, Config{Refresh: time.Hour, SearchFreshness: 50 * time.Millisecond})

	// The app binds as the service account with its generated password.
	app := dial(t, addr)
	if err := app.Bind(userDN("wiki"), pw); err != nil {
		t.Fatalf("bind as the service account: %v", err)
	}
	res, err := app.Search(goldap.NewSearchRequest("ou=people,"+testBase, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		0, 0, false, "(|(uid=wiki)(uid=leaver))", []string{"uid", "cn", "mail", "objectClass", "memberOf"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]*goldap.Entry{}
	for _, e := range res.Entries {
		entries[e.GetAttributeValue("uid")] = e
	}
	wiki := entries["wiki"]
	if wiki == nil || entries["leaver"] == nil {
		t.Fatalf("before the date: %d entries, want wiki and leaver", len(res.Entries))
	}
	if attr := wiki.GetAttributeValues("mail"); len(attr) != 0 {
		t.Errorf("the service account has mail %q", attr)
	}
	for _, a := range wiki.Attributes {
		if strings.EqualFold(a.Name, "mail") {
			t.Errorf("the service account carries an empty mail attribute: %+v", a)
		}
	}
	if groups := strings.Join(wiki.GetAttributeValues("memberOf"), ";"); !strings.Contains(groups, "cn="+roster.DirectoryReaders) {
		t.Errorf("wiki's groups: %q", groups)
	}

	// The date comes: the sweep disables the leaver, and the directory
	// forgets them (a search within SearchFreshness, a bind at once).
	now = now.Add(48 * time.Hour)
	due, err := db.DisableDue(local, 0)
	if err != nil || len(due.Expired) != 1 || due.Expired[0] != "leaver" {
		t.Fatalf("sweep: %+v, %v", due, err)
	}
	if err := dial(t, addr).Bind(userDN("leaver"), testPasswords["leaver"]); !goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
		t.Errorf("the expired account's bind: %v", err)
	}
	waitFor(t, "the leaver gone from searches", func() bool {
		res, err := app.Search(goldap.NewSearchRequest("ou=people,"+testBase, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
			0, 0, false, "(|(uid=wiki)(uid=leaver))", []string{"uid"}, nil))
		return err == nil && len(res.Entries) == 1 && res.Entries[0].GetAttributeValue("uid") == "wiki"
	})

	// The same through OpenLDAP's ldapsearch, as an app would ask.
	e2e.Need(t, "Debian package ldap-utils", "ldapsearch")
	out, err := ldapTool(t, nil, "ldapsearch", "-x", "-LLL", "-H", "ldap://"+addr, "-D", userDN("wiki"), "-w", pw,
		"-b", "ou=people,"+testBase, "(|(uid=wiki)(uid=leaver))", "uid", "mail")
	if err != nil || !strings.Contains(out, "dn: "+userDN("wiki")) || strings.Contains(out, "leaver") || strings.Contains(out, "mail:") {
		t.Errorf("ldapsearch as wiki: %v\n%s", err, out)
	}
}
