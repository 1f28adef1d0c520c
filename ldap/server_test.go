package ldap

import (
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

func search(t *testing.T, c *goldap.Conn, base string, scope int, filter string, attrs ...string) []*goldap.Entry {
	t.Helper()
	res, err := c.Search(goldap.NewSearchRequest(base, scope, goldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
	if err != nil {
		t.Fatalf("search %s %q: %v", base, filter, err)
	}
	return res.Entries
}

func dns(entries []*goldap.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.DN
	}
	return out
}

func uids(entries []*goldap.Entry) []string {
	var out []string
	for _, e := range entries {
		if v := e.GetAttributeValue("uid"); v != "" {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func codeOf(err error) uint16 {
	var le *goldap.Error
	if errors.As(err, &le) {
		return le.ResultCode
	}
	return 0
}

func TestBind(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})

	cases := []struct {
		name, dn, pw string
		code         uint16
	}{
		{"right password", userDN("ada"), testPasswords["ada"], 0},
		{"bare username", "ADA", testPasswords["ada"], 0},
		{"DN in other letter case", "UID=Ada,OU=People,DC=Example,DC=Com", testPasswords["ada"], 0},
		{"wrong password", userDN("ada"), "not-her-password", 49},
		{"unknown user", userDN("nobody"), "whatever-pass", 49},
		{"pending user", userDN("pen"), "whatever-pass", 49},
		{"disabled user with right password", userDN("dis"), testPasswords["dis"], 49},
		{"active user without a password", userDN("nopw"), "whatever-pass", 49},
		{"DN outside people", "uid=ada,ou=groups," + testBase, testPasswords["ada"], 49},
	}
	var refusals []string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			err := c.Bind(tc.dn, tc.pw)
			if got := codeOf(err); got != tc.code || (tc.code == 0) != (err == nil) {
				t.Fatalf("bind %q: got %v (code %d), want code %d", tc.dn, err, got, tc.code)
			}
			if err != nil {
				refusals = append(refusals, err.Error())
			}
		})
	}
	// Ensure a refusal never says whether the account exists.
	for _, r := range refusals {
		if r != refusals[0] {
			t.Errorf("refusals differ: %q vs %q", r, refusals[0])
		}
	}

	// Ensure an anonymous bind gives nothing beyond the root DSE, and an
	// unauthenticated bind (a name without a password) is refused.
	c := dial(t, addr)
	if err := c.UnauthenticatedBind(""); err != nil {
		t.Errorf("anonymous bind: %v", err)
	}
	if err := c.UnauthenticatedBind(userDN("ada")); err == nil {
		t.Error("unauthenticated bind accepted")
	}
	// ...and searching without a bind too.
	_, err := c.Search(goldap.NewSearchRequest(testBase, goldap.ScopeWholeSubtree, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	if codeOf(err) != goldap.LDAPResultInsufficientAccessRights {
		t.Errorf("anonymous search: got %v, want insufficient access", err)
	}

	// Ensure a successful bind sets the last login and refusals are audited.
	ada, err := db.FindUser(local, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if ada.LastLoginAt.IsZero() {
		t.Error("bind did not record the last login")
	}
	// Refusals are audited just after the answer.
	waitFor(t, "ada's login and refusal in the audit log", func() bool {
		events, err := db.AuditEvents(local, store.AuditFilter{UserID: ada.ID})
		if err != nil {
			t.Fatal(err)
		}
		var sawLogin, sawRefused bool
		for _, e := range events {
			sawLogin = sawLogin || e.Action == roster.ActionLogin
			sawRefused = sawRefused || e.Action == roster.ActionLoginRefused && strings.Contains(e.Details, "wrong password")
		}
		return sawLogin && sawRefused
	})
	dis, _ := db.FindUser(local, "dis")
	waitFor(t, "the disabled user's refusal in the audit log", func() bool {
		events, _ := db.AuditEvents(local, store.AuditFilter{UserID: dis.ID})
		return len(events) > 0 && events[0].Action == roster.ActionLoginRefused && strings.Contains(events[0].Details, "disabled")
	})
}

func TestFilters(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})
	c := bindAs(t, addr, "svc")
	people := "ou=people," + testBase

	cases := []struct {
		filter string
		want   string // space-separated uids
	}{
		{"(uid=ada)", "ada"},
		{"(UID=ADA)", "ada"},
		{"(uid=ad)", ""},
		{"(mail=ada.lovelace@example.COM)", "ada"},
		{"(objectClass=inetOrgPerson)", "ada bob carl nopw svc"},
		{"(objectclass=PERSON)", "ada bob carl nopw svc"},
		{"(&(objectClass=person)(uid=bob))", "bob"},
		{"(&(objectClass=person)(|(uid=bob)(uid=carl)))", "bob carl"},
		{"(|(uid=bob)(mail=carl@example.net))", "bob carl"},
		{"(!(uid=bob))", "ada carl nopw svc"},
		{"(&(objectClass=person)(!(memberOf=cn=staff,ou=groups,dc=example,dc=com)))", "carl nopw svc"},
		{"(givenName=*)", "ada bob nopw svc"},
		{"(mail=*)", "ada bob carl nopw svc"},
		{"(cn=Ada*)", "ada"},
		{"(cn=*lace)", "ada"},
		{"(cn=*king*)", "ada"},
		{"(cn=a*k*e)", "ada"},
		{"(mail=*@example.com)", "ada nopw svc"},
		{"(cn~=ada king-lovelace)", "ada"},
		{"(sn~=builder)", "bob"},
		{"(sn=Lovelace)", "ada"},
		{"(givenName=Ada King)", "ada"},
		{"(displayName=Bob Builder)", "bob"},
		{"(uid>=c)", "carl nopw svc"},
		{"(uid<=b)", "ada"},
		// Extensible matches (RFC 4515): rules apps send, ":dn", and an
		// unknown rule Undefined in its own branch only.
		{"(uid:caseExactMatch:=ada)", "ada"},
		{"(uid:caseExactMatch:=ADA)", ""},
		{"(uid:2.5.13.5:=ada)", "ada"},
		{"(uid:caseIgnoreMatch:=ADA)", "ada"},
		{"(!(uid:caseExactMatch:=ada))", "bob carl nopw svc"},
		{"(uid:=Bob)", "bob"},
		{"(:caseExactMatch:=Carl)", "carl"},
		{"(ou:dn:=people)", "ada bob carl nopw svc"},
		{"(ou:dn:=groups)", ""},
		{"(ou=people)", ""},
		{"(:dn:caseIgnoreMatch:=PEOPLE)", "ada bob carl nopw svc"},
		{"(memberOf:1.2.840.113556.1.4.1941:=cn=staff,ou=groups,dc=example,dc=com)", "ada bob"},
		{"(memberOf:distinguishedNameMatch:=CN=Admins,OU=Groups,DC=example,DC=com)", "ada"},
		{"(uid:1.2.3.4.5:=ada)", ""},
		{"(!(uid:1.2.3.4.5:=ada))", ""},
		{"(|(uid:1.2.3.4.5:=ada)(uid=bob))", "bob"},
		{"(&(uid:nosuchMatch:=ada)(uid=ada))", ""},
		{"(uid:caseExactMatch:=*)", ""},
		{"(!(nosuchattr=x))", ""},
		{"(nosuchattr=*)", ""},
		{"(memberOf=CN=Staff,OU=Groups,DC=Example,DC=Com)", "ada bob"},
		{"(memberOf=cn=admins,ou=groups,dc=example,dc=com)", "ada"},
		{"(memberOf=cn=nosuch,ou=groups,dc=example,dc=com)", ""},
		{"(memberOf=not a dn)", ""},
		{"(|(uid=pen)(uid=dis))", ""}, // Pending and Disabled users do not exist here
		{"(uid=a\\2a)", ""},           // an escaped '*' is a plain character
		{"(&)", "ada bob carl nopw svc"},
		{"(|)", ""},
	}
	for _, tc := range cases {
		got := strings.Join(uids(search(t, c, people, goldap.ScopeSingleLevel, tc.filter)), " ")
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.filter, got, tc.want)
		}
	}

	// Ensure a malformed filter is refused, not matched.
	for _, f := range []string{"(uid=a", "uid=a)", "(uid=a)(uid=b)"} {
		_, err := c.Search(goldap.NewSearchRequest(people, goldap.ScopeSingleLevel, 0, 0, 0, false, f, nil, nil))
		if err == nil {
			t.Errorf("filter %q accepted", f)
		}
	}
}

func TestScopesAndEntries(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})
	c := bindAs(t, addr, "svc")
	people, groups := "ou=people,"+testBase, "ou=groups,"+testBase

	check := func(base string, scope int, want ...string) {
		t.Helper()
		got := dns(search(t, c, base, scope, "(objectClass=*)", "dn"))
		if !slices.Equal(got, want) {
			t.Errorf("%s scope %d: got %q, want %q", base, scope, got, want)
		}
	}
	check(testBase, goldap.ScopeBaseObject, testBase)
	check(testBase, goldap.ScopeSingleLevel, people, groups)
	check(people, goldap.ScopeBaseObject, people)
	check(userDN("bob"), goldap.ScopeBaseObject, userDN("bob"))
	check(userDN("bob"), goldap.ScopeSingleLevel)
	check(userDN("bob"), goldap.ScopeWholeSubtree, userDN("bob"))
	check("UID=BOB,OU=PEOPLE,DC=EXAMPLE,DC=COM", goldap.ScopeBaseObject, userDN("bob"))
	check(groupDN("staff"), goldap.ScopeBaseObject, groupDN("staff"))
	check(groups, goldap.ScopeSingleLevel, groupDN("directory-readers"), groupDN("staff"), groupDN("Admins"))

	all := dns(search(t, c, testBase, goldap.ScopeWholeSubtree, "(objectClass=*)", "1.1"))
	want := []string{testBase, people, userDN("svc"), userDN("ada"), userDN("bob"), userDN("carl"), userDN("nopw"),
		groups, groupDN("directory-readers"), groupDN("staff"), groupDN("Admins")}
	if !slices.Equal(all, want) {
		t.Errorf("subtree: got %q\nwant %q", all, want)
	}

	// Ensure a name that is not there is noSuchObject, for a hidden user too.
	for _, base := range []string{userDN("pen"), userDN("nobody"), "dc=other,dc=com", groupDN("nosuch")} {
		_, err := c.Search(goldap.NewSearchRequest(base, goldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil))
		if codeOf(err) != goldap.LDAPResultNoSuchObject {
			t.Errorf("%s: got %v, want noSuchObject", base, err)
		}
	}

	// The root DSE names the base.
	root := search(t, c, "", goldap.ScopeBaseObject, "(objectClass=*)", "namingContexts", "supportedExtension", "supportedControl")
	if len(root) != 1 || root[0].GetAttributeValue("namingContexts") != testBase {
		t.Fatalf("root DSE: %+v", root)
	}
	if !slices.Contains(root[0].GetAttributeValues("supportedControl"), oidPaging) ||
		!slices.Contains(root[0].GetAttributeValues("supportedExtension"), oidPasswordModify) {
		t.Errorf("root DSE does not advertise paging and password modify")
	}

	// A user entry has the LLDAP schema; only requested attributes come back.
	ada := search(t, c, userDN("ada"), goldap.ScopeBaseObject, "(objectClass=*)")[0]
	for attr, want := range map[string]string{
		"uid": "ada", "cn": "Ada King Lovelace", "givenName": "Ada King", "sn": "Lovelace",
		"displayName": "Ada King Lovelace", "mail": "Ada.Lovelace@Example.com",
	} {
		if got := ada.GetAttributeValue(attr); got != want {
			t.Errorf("ada %s = %q, want %q", attr, got, want)
		}
	}
	// Operational attributes come only when asked for, by name or "+".
	for _, attr := range []string{"entryUUID", "createTimestamp", "modifyTimestamp", "memberOf", "entryDN", "subschemaSubentry"} {
		if ada.GetAttributeValue(attr) != "" {
			t.Errorf("ada shows %s unasked", attr)
		}
	}
	plus := search(t, c, userDN("ada"), goldap.ScopeBaseObject, "(objectClass=*)", "+")[0]
	for _, attr := range []string{"entryUUID", "createTimestamp", "modifyTimestamp", "memberOf", "entryDN", "subschemaSubentry"} {
		if plus.GetAttributeValue(attr) == "" {
			t.Errorf("ada has no %s with +", attr)
		}
	}
	if plus.GetAttributeValue("uid") != "" {
		t.Errorf("+ alone returned the user attribute uid")
	}
	both := search(t, c, userDN("ada"), goldap.ScopeBaseObject, "(objectClass=*)", "*", "entryuuid")[0]
	if both.GetAttributeValue("uid") != "ada" || len(both.GetAttributeValues("entryUUID")) != 1 || both.GetAttributeValue("memberOf") != "" {
		t.Errorf("* with entryuuid: %+v", both.Attributes)
	}
	if !slices.Contains(ada.GetAttributeValues("objectClass"), "inetOrgPerson") || !slices.Contains(ada.GetAttributeValues("objectClass"), "person") {
		t.Errorf("ada objectClass %q", ada.GetAttributeValues("objectClass"))
	}
	// Names come back in the schema's spelling, whatever the request's.
	some := search(t, c, userDN("ada"), goldap.ScopeBaseObject, "(objectClass=*)", "MAIL", "userid", "nosuchattr")[0]
	if len(some.Attributes) != 2 || some.Attributes[0].Name != "uid" || some.Attributes[1].Name != "mail" {
		t.Errorf("requested attributes: got %v", attrNames(some))
	}
	// entryUUID is stable: the same on a second server over the same file.
	uuid := plus.GetAttributeValue("entryUUID")
	_, addr2 := startServer(t, db, Config{})
	again := search(t, bindAs(t, addr2, "svc"), userDN("ada"), goldap.ScopeBaseObject, "(objectClass=*)", "entryUUID")[0]
	if again.GetAttributeValue("entryUUID") != uuid || len(uuid) != 36 {
		t.Errorf("entryUUID %q then %q", uuid, again.GetAttributeValue("entryUUID"))
	}
}

func TestMembershipBothWays(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})
	c := bindAs(t, addr, "svc")

	ada := search(t, c, userDN("ada"), goldap.ScopeBaseObject, "(objectClass=*)", "memberOf")[0]
	got := ada.GetAttributeValues("memberOf")
	sort.Strings(got)
	if want := []string{groupDN("Admins"), groupDN("staff")}; !slices.Equal(got, want) {
		t.Errorf("ada memberOf %q, want %q", got, want)
	}
	staff := search(t, c, groupDN("staff"), goldap.ScopeBaseObject, "(objectClass=*)")[0]
	want := []string{userDN("ada"), userDN("bob")} // not pen (Pending), not dis (Disabled)
	for _, attr := range []string{"member", "uniqueMember"} {
		if got := staff.GetAttributeValues(attr); !slices.Equal(got, want) {
			t.Errorf("staff %s %q, want %q", attr, got, want)
		}
	}
	if staff.GetAttributeValue("description") != "Everyone at the office" || staff.GetAttributeValue("cn") != "staff" {
		t.Errorf("staff entry %+v", staff.Attributes)
	}
	if !slices.Contains(staff.GetAttributeValues("objectClass"), "groupOfUniqueNames") || !slices.Contains(staff.GetAttributeValues("objectClass"), "groupOfNames") {
		t.Errorf("staff objectClass %q", staff.GetAttributeValues("objectClass"))
	}

	// The group filter an app uses to list a user's groups.
	groups := search(t, c, "ou=groups,"+testBase, goldap.ScopeWholeSubtree, "(&(objectClass=groupOfUniqueNames)(uniqueMember="+userDN("ada")+"))", "cn")
	var names []string
	for _, g := range groups {
		names = append(names, g.GetAttributeValue("cn"))
	}
	sort.Strings(names)
	if !slices.Equal(names, []string{"Admins", "staff"}) {
		t.Errorf("ada's groups by member filter: %q", names)
	}
	groups = search(t, c, testBase, goldap.ScopeWholeSubtree, "(member=UID=BOB,ou=people,dc=example,dc=com)", "cn")
	if len(groups) != 1 || groups[0].GetAttributeValue("cn") != "staff" {
		t.Errorf("bob's groups: %q", dns(groups))
	}
}

func TestReaderAndOrdinaryUser(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})
	svc := bindAs(t, addr, "svc")
	ada := bindAs(t, addr, "ada")
	people := "ou=people," + testBase

	if got := uids(search(t, svc, people, goldap.ScopeWholeSubtree, "(objectClass=person)")); len(got) != 5 {
		t.Errorf("reader sees %q", got)
	}
	if got := uids(search(t, ada, people, goldap.ScopeWholeSubtree, "(objectClass=person)")); !slices.Equal(got, []string{"ada"}) {
		t.Errorf("ordinary user sees %q", got)
	}
	if got := search(t, ada, people, goldap.ScopeWholeSubtree, "(uid=bob)"); len(got) != 0 {
		t.Errorf("ordinary user found bob: %q", dns(got))
	}
	_, err := ada.Search(goldap.NewSearchRequest(userDN("bob"), goldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	if codeOf(err) != goldap.LDAPResultNoSuchObject {
		t.Errorf("ordinary user reading bob: %v", err)
	}
	if got := search(t, ada, "ou=groups,"+testBase, goldap.ScopeSingleLevel, "(objectClass=*)"); len(got) != 3 {
		t.Errorf("ordinary user sees %d groups, want 3", len(got))
	}

	// Ensure losing the reader group takes effect on the next snapshot.
	s, _ := db.FindUser(local, "svc")
	if _, err := db.RemoveFromGroup(local, []uint64{s.ID}, roster.DirectoryReaders); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "svc to lose its reader powers", func() bool {
		return len(search(t, svc, people, goldap.ScopeWholeSubtree, "(objectClass=person)")) == 1
	})

	// And disabling a bound user ends their searches.
	a, _ := db.FindUser(local, "ada")
	if _, err := db.SetStatus(local, []uint64{a.ID}, roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a disabled user's searches to be refused", func() bool {
		_, err := ada.Search(goldap.NewSearchRequest(people, goldap.ScopeWholeSubtree, 0, 0, 0, false, "(objectClass=*)", nil, nil))
		return codeOf(err) == goldap.LDAPResultInsufficientAccessRights
	})
}

func TestWritesRefused(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})
	c := bindAs(t, addr, "svc")
	err := c.Del(goldap.NewDelRequest(userDN("ada"), nil))
	if codeOf(err) != goldap.LDAPResultUnwillingToPerform {
		t.Errorf("delete: %v", err)
	}
	mod := goldap.NewModifyRequest(userDN("ada"), nil)
	mod.Replace("mail", []string{"x@example.com"})
	if err := c.Modify(mod); codeOf(err) != goldap.LDAPResultUnwillingToPerform {
		t.Errorf("modify: %v", err)
	}
	if u, _ := db.FindUser(local, "ada"); u == nil {
		t.Error("ada is gone")
	}
}

func TestWhoAmI(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})
	c := bindAs(t, addr, "ada")
	res, err := c.WhoAmI(nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.AuthzID != "dn:"+userDN("ada") {
		t.Errorf("whoami %q", res.AuthzID)
	}
}

// TestAppConfigurations runs the queries of the README's app settings
// (Gitea/Forgejo, Nextcloud, Grafana) as those apps send them.
func TestAppConfigurations(t *testing.T) {
	db := fixture(t)
	if _, err := db.CreateGroup(local, "gitea-admins", ""); err != nil {
		t.Fatal(err)
	}
	ada, _ := db.FindUser(local, "ada")
	if _, err := db.AddToGroup(local, []uint64{ada.ID}, "gitea-admins"); err != nil {
		t.Fatal(err)
	}
	_, addr := startServer(t, db, Config{Refresh: 20 * time.Millisecond})
	svc := bindAs(t, addr, "svc")
	people, groups := "ou=people,"+testBase, "ou=groups,"+testBase
	find := func(base, filter string) []string {
		return dns(search(t, svc, base, goldap.ScopeWholeSubtree, filter, "uid", "cn", "mail", "givenName", "sn", "memberOf", "entryUUID"))
	}

	// Gitea/Forgejo: user filter with %[1]s = what the person typed (uid or mail).
	gitea := "(&(objectClass=person)(|(uid=%[1]s)(mail=%[1]s)))"
	for _, typed := range []string{"ada", "ADA", "ada.lovelace@example.com"} {
		if got := find(people, strings.ReplaceAll(gitea, "%[1]s", goldap.EscapeFilter(typed))); !slices.Equal(got, []string{userDN("ada")}) {
			t.Errorf("gitea user filter for %q: %q", typed, got)
		}
	}
	// Gitea's admin filter is applied to the user's entry.
	admin := "(memberOf=cn=gitea-admins,ou=groups,dc=example,dc=com)"
	if got := dns(search(t, svc, userDN("ada"), goldap.ScopeBaseObject, admin)); len(got) != 1 {
		t.Errorf("gitea admin filter on ada: %q", got)
	}
	if got := dns(search(t, svc, userDN("bob"), goldap.ScopeBaseObject, admin)); len(got) != 0 {
		t.Errorf("gitea admin filter on bob: %q", got)
	}

	// Nextcloud: the user list, the login filter, the groups and their members.
	if got := find(people, "(&(objectClass=person)(memberOf=cn=staff,ou=groups,dc=example,dc=com))"); !slices.Equal(got, []string{userDN("ada"), userDN("bob")}) {
		t.Errorf("nextcloud user filter: %q", got)
	}
	login := "(&(&(objectClass=person)(memberOf=cn=staff,ou=groups,dc=example,dc=com))(|(uid=%uid)(mail=%uid)))"
	if got := find(people, strings.ReplaceAll(login, "%uid", "bob@example.org")); !slices.Equal(got, []string{userDN("bob")}) {
		t.Errorf("nextcloud login filter: %q", got)
	}
	if got := find(people, strings.ReplaceAll(login, "%uid", "carl")); len(got) != 0 {
		t.Errorf("nextcloud login filter lets carl (not in staff) in: %q", got)
	}
	staff := search(t, svc, groups, goldap.ScopeWholeSubtree, "(&(objectClass=groupOfUniqueNames)(cn=staff))", "uniqueMember", "entryUUID")
	if len(staff) != 1 || len(staff[0].GetAttributeValues("uniqueMember")) != 2 {
		t.Errorf("nextcloud group filter: %+v", staff)
	}

	// Grafana: search_filter (uid=%s), then memberOf from the entry.
	g := search(t, svc, people, goldap.ScopeWholeSubtree, "(uid=ada)", "uid", "givenName", "sn", "mail", "memberOf")
	if len(g) != 1 || !slices.Contains(g[0].GetAttributeValues("memberOf"), "cn=gitea-admins,ou=groups,"+testBase) {
		t.Errorf("grafana: %+v", g)
	}
}

func TestPlanUsesIndexes(t *testing.T) {
	d := sampleDirectory()
	for _, s := range []string{"(uid=ada)", "(mail=ADA@example.com)", "(&(objectClass=person)(uid=bob))",
		"(|(uid=ada)(mail=bob@example.org))", "(memberOf=cn=staff,ou=groups,dc=example,dc=com)"} {
		f, err := parseFilter(s)
		if err != nil {
			t.Fatal(err)
		}
		users, ok := d.planUsers(f)
		if !ok || len(users) == 0 || len(users) > 2 {
			t.Errorf("%s: planned %d users (ok %v), want a lookup", s, len(users), ok)
		}
	}
	for _, s := range []string{"(cn=ada*)", "(|(uid=ada)(cn=bob))", "(!(uid=ada))"} {
		f, _ := parseFilter(s)
		if _, ok := d.planUsers(f); ok {
			t.Errorf("%s: planned, want a scan", s)
		}
	}
}

func attrNames(e *goldap.Entry) []string {
	var out []string
	for _, a := range e.Attributes {
		out = append(out, a.Name)
	}
	return out
}
