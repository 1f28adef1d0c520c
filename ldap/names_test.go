package ldap

import (
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/e2e"
	"github.com/roster-dev/roster/store"
)

// nameFixture adds to the fixture, all Active:
//
//	ludwig  "Ludwig van Beethoven", given name Ludwig, surname van Beethoven
//	mono    "Sukarno", surname only
//	newbie  no name at all (invited by e-mail, then marked active)
func nameFixture(t *testing.T) *store.DB {
	t.Helper()
	db := fixture(t)
	created, err := db.CreateUsers(local, []roster.NewUser{
		{Username: "ludwig", Name: "Ludwig van Beethoven", GivenName: "Ludwig", Surname: "van Beethoven", Email: "lvb@example.com"},
		{Username: "mono", Name: "Sukarno", Surname: "Sukarno", Email: "mono@example.com"},
		{Username: "newbie", Email: "newbie@example.com"},
	})
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
	return db
}

// Ensure givenName and sn come from the user's own given name and surname,
// fall back to the guess from the name as before, and that a user without
// a name still has the cn and sn inetOrgPerson requires (the username);
// filters match the same values.
func TestNamePartsInDirectory(t *testing.T) {
	db := nameFixture(t)
	_, addr := startServer(t, db, Config{})
	c := bindAs(t, addr, "svc")
	people := "ou=people," + testBase
	for _, c2 := range []struct {
		uid                        string
		cn, given, sn, displayName string
	}{
		{"ludwig", "Ludwig van Beethoven", "Ludwig", "van Beethoven", "Ludwig van Beethoven"},
		{"mono", "Sukarno", "", "Sukarno", "Sukarno"},
		{"ada", "Ada King Lovelace", "Ada King", "Lovelace", "Ada King Lovelace"}, // guessed, as before
		{"newbie", "newbie", "", "newbie", "newbie"},
	} {
		es := search(t, c, userDN(c2.uid), goldap.ScopeBaseObject, "(objectClass=inetOrgPerson)", "cn", "givenName", "sn", "displayName")
		if len(es) != 1 {
			t.Fatalf("%s: %d entries", c2.uid, len(es))
		}
		e := es[0]
		if e.GetAttributeValue("cn") != c2.cn || e.GetAttributeValue("sn") != c2.sn ||
			e.GetAttributeValue("displayName") != c2.displayName {
			t.Errorf("%s: cn %q sn %q displayName %q, want %q %q %q", c2.uid, e.GetAttributeValue("cn"),
				e.GetAttributeValue("sn"), e.GetAttributeValue("displayName"), c2.cn, c2.sn, c2.displayName)
		}
		if got := e.GetAttributeValues("givenName"); strings.Join(got, "|") != c2.given {
			t.Errorf("%s: givenName %q, want %q", c2.uid, got, c2.given)
		}
	}
	for filter, want := range map[string]string{
		"(sn=van Beethoven)":               "ludwig",
		"(sn=Beethoven)":                   "",
		"(&(givenName=Ludwig)(sn=van*))":   "ludwig",
		"(sn=newbie)":                      "newbie",
		"(&(objectClass=person)(cn=new*))": "newbie",
	} {
		var got []string
		for _, e := range search(t, c, people, goldap.ScopeWholeSubtree, filter, "uid") {
			got = append(got, e.GetAttributeValue("uid"))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: %v, want %q", filter, got, want)
		}
	}

	// A change of the surname reaches the directory.
	surname := "Beethoven"
	u, err := db.FindUser(local, "ludwig")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateUser(local, u.ID, roster.UserUpdate{Surname: &surname}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new surname", func() bool {
		es := search(t, c, userDN("ludwig"), goldap.ScopeBaseObject, "(objectClass=*)", "sn")
		return len(es) == 1 && es[0].GetAttributeValue("sn") == "Beethoven"
	})
}

// TestNamePartsWithLdapsearch reads givenName and sn with OpenLDAP's
// ldapsearch, as an app's LDAP client would.
func TestNamePartsWithLdapsearch(t *testing.T) {
	e2e.Need(t, "Debian package ldap-utils", "ldapsearch")
	db := nameFixture(t)
	_, addr := startServer(t, db, Config{})
	out, err := ldapTool(t, nil, "ldapsearch", "-x", "-LLL", "-H", "ldap://"+addr, "-D", userDN("svc"), "-w", testPasswords["svc"],
		"-b", "ou=people,"+testBase, "(|(uid=ludwig)(uid=newbie))", "givenName", "sn", "cn")
	if err != nil {
		t.Fatalf("ldapsearch: %v\n%s", err, out)
	}
	want := "dn: " + userDN("ludwig") + "\ncn: Ludwig van Beethoven\ngivenName: Ludwig\nsn: van Beethoven\n\n" +
		"dn: " + userDN("newbie") + "\ncn: newbie\nsn: newbie\n"
	if strings.TrimSpace(out) != strings.TrimSpace(want) {
		t.Errorf("ldapsearch printed\n%s\nwant\n%s", out, want)
	}
}
