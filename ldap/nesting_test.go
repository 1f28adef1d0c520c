package ldap

import (
	"slices"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/e2e"
	"github.com/roster-dev/roster/store"
)

const inChain = "1.2.840.113556.1.4.1941"

// nestedFixture is the fixture with staff ∋ dev ∋ backend, and carl (in no
// group before) in backend.
func nestedFixture(t *testing.T) *store.DB {
	t.Helper()
	db := fixture(t)
	for _, g := range []string{"dev", "backend"} {
		if _, err := db.CreateGroup(local, g, ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range [][2]string{{"dev", "staff"}, {"backend", "dev"}} {
		if err := db.NestGroup(local, l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	carl, err := db.ListUsers(local, roster.UserFilter{Search: "carl"})
	if err != nil || len(carl) != 1 {
		t.Fatalf("carl: %v %v", carl, err)
	}
	if _, err := db.AddToGroup(local, []uint64{carl[0].ID}, "backend"); err != nil {
		t.Fatal(err)
	}
	return db
}

func groupCNs(entries []*goldap.Entry) string {
	var out []string
	for _, e := range entries {
		out = append(out, e.GetAttributeValue("cn"))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// Ensure memberOf lists effective groups, member lists direct members
// (users and nested groups by DN), and the in-chain rule follows nesting
// both ways, with go-ldap.
func TestNestedGroupsGoLDAP(t *testing.T) {
	db := nestedFixture(t)
	_, addr := startServer(t, db, Config{})
	c := bindAs(t, addr, "svc")
	people, groups := "ou=people,"+testBase, "ou=groups,"+testBase

	carl := search(t, c, userDN("carl"), goldap.ScopeBaseObject, "(objectClass=*)", "memberOf")
	got := carl[0].GetAttributeValues("memberOf")
	slices.Sort(got)
	if want := []string{groupDN("backend"), groupDN("dev"), groupDN("staff")}; !slices.Equal(got, want) {
		t.Errorf("carl's memberOf %v, want %v", got, want)
	}
	staff := search(t, c, groupDN("staff"), goldap.ScopeBaseObject, "(objectClass=*)", "member", "uniqueMember")
	for _, attr := range []string{"member", "uniqueMember"} {
		got := staff[0].GetAttributeValues(attr)
		slices.Sort(got)
		if want := []string{groupDN("dev"), userDN("ada"), userDN("bob")}; !slices.Equal(got, want) {
			t.Errorf("staff's %s %v, want %v", attr, got, want)
		}
	}
	// Linux knows no nesting: memberUid lists everyone in the group.
	staffUIDs := search(t, c, groupDN("staff"), goldap.ScopeBaseObject, "(objectClass=*)", "memberUid")[0].GetAttributeValues("memberUid")
	slices.Sort(staffUIDs)
	if want := []string{"ada", "bob", "carl"}; !slices.Equal(staffUIDs, want) {
		t.Errorf("staff's memberUid %v, want %v", staffUIDs, want)
	}
	for _, tc := range []struct{ base, filter, want string }{
		{people, "(memberOf=" + groupDN("staff") + ")", "ada bob carl"},
		{people, "(memberOf:" + inChain + ":=" + groupDN("staff") + ")", "ada bob carl"},
		{people, "(memberOf:" + inChain + ":=" + groupDN("dev") + ")", "carl"},
		{people, "(memberOf=" + groupDN("admins") + ")", "ada"},
		{groups, "(member=" + userDN("carl") + ")", "backend"},
		{groups, "(member:" + inChain + ":=" + userDN("carl") + ")", "backend dev staff"},
		{groups, "(uniqueMember:" + inChain + ":=" + userDN("carl") + ")", "backend dev staff"},
		{groups, "(member:" + inChain + ":=" + groupDN("backend") + ")", "dev staff"},
		{groups, "(member=" + groupDN("backend") + ")", "dev"},
		{groups, "(member:" + inChain + ":=" + userDN("ada") + ")", "Admins staff"},
	} {
		entries := search(t, c, tc.base, goldap.ScopeSingleLevel, tc.filter, "uid", "cn")
		got := strings.Join(uids(entries), " ")
		if tc.base == groups {
			got = groupCNs(entries)
		}
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.filter, got, tc.want)
		}
	}
	// Unnesting is seen by the next searches.
	if err := db.UnnestGroup(local, "dev", "staff"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "staff without dev", func() bool {
		f := "(memberOf:" + inChain + ":=" + groupDN("staff") + ")"
		return strings.Join(uids(search(t, c, people, goldap.ScopeSingleLevel, f, "uid")), " ") == "ada bob"
	})
}

// Ensure OpenLDAP's ldapsearch gets transitive membership through the
// in-chain rule, both from the user's side and from the group's.
func TestNestedGroupsLdapsearch(t *testing.T) {
	e2e.Need(t, "Debian package ldap-utils", "ldapsearch")
	_, addr := startServer(t, nestedFixture(t), Config{})
	tg := target{name: "roster", host: "127.0.0.1", port: addr[strings.LastIndexByte(addr, ':')+1:]}
	for _, tc := range []struct {
		base, filter string
		has, hasNot  []string
	}{
		{"ou=people," + testBase, "(memberOf:" + inChain + ":=" + groupDN("staff") + ")",
			[]string{"dn: " + userDN("ada"), "dn: " + userDN("bob"), "dn: " + userDN("carl")}, []string{"dn: " + userDN("svc")}},
		{"ou=groups," + testBase, "(member:" + inChain + ":=" + userDN("carl") + ")",
			[]string{"dn: " + groupDN("backend"), "dn: " + groupDN("dev"), "dn: " + groupDN("staff")}, []string{"dn: " + groupDN("Admins")}},
		{"ou=groups," + testBase, "(member=" + userDN("carl") + ")",
			[]string{"dn: " + groupDN("backend")}, []string{"dn: " + groupDN("dev"), "dn: " + groupDN("staff")}},
	} {
		out, err := ldapTool(t, nil, "ldapsearch", searchArgs(tc.base, "one", tc.filter, "1.1")(tg)...)
		if err != nil {
			t.Fatalf("ldapsearch %s: %v\n%s", tc.filter, err, out)
		}
		for _, h := range tc.has {
			if !strings.Contains(out, h+"\n") {
				t.Errorf("ldapsearch %s lacks %s:\n%s", tc.filter, h, out)
			}
		}
		for _, h := range tc.hasNot {
			if strings.Contains(out, h+"\n") {
				t.Errorf("ldapsearch %s holds %s:\n%s", tc.filter, h, out)
			}
		}
	}
	// The group's own entry lists the nested group by DN.
	out, err := ldapTool(t, nil, "ldapsearch", searchArgs(groupDN("staff"), "base", "(objectClass=*)", "member")(tg)...)
	if err != nil || !strings.Contains(out, "member: "+groupDN("dev")) || strings.Contains(out, "member: "+userDN("carl")) {
		t.Errorf("staff's member by ldapsearch: %v\n%s", err, out)
	}
}
