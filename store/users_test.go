package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
)

// Ensure a new user is stored Pending, normalized, and can be found by id,
// username and e-mail in any letter case.
func TestCreateUser(t *testing.T) {
	db := MustOpenDB(t)
	mustGroup(t, db, "staff")
	before := changes(t, db)
	u, err := db.CreateUser(local, roster.NewUser{
		Username: "  Ada.Lovelace ", Name: "  Ada Lovelace  ", Email: " Ada@Example.COM ", Groups: []string{"STAFF"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 || u.Username != "ada.lovelace" || u.Name != "Ada Lovelace" || u.Email != "Ada@Example.COM" {
		t.Errorf("created %+v", u)
	}
	if u.Role != roster.RoleMember || u.Status != roster.StatusPending {
		t.Errorf("role %v status %v, want member pending", u.Role, u.Status)
	}
	if u.CreatedAt.IsZero() || !u.CreatedAt.Equal(u.UpdatedAt) || !u.ActivatedAt.IsZero() {
		t.Errorf("times: created %v updated %v activated %v", u.CreatedAt, u.UpdatedAt, u.ActivatedAt)
	}
	if len(u.GroupIDs) != 1 {
		t.Errorf("groups %v, want staff", u.GroupIDs)
	}
	if got := changes(t, db); got <= before {
		t.Errorf("change counter %d → %d, want it to move", before, got)
	}
	for _, ref := range []string{"ada.lovelace", "ADA.LOVELACE", " Ada.Lovelace ", "ada@example.com", "ADA@EXAMPLE.COM"} {
		got, err := db.FindUser(local, ref)
		if err != nil || got.ID != u.ID {
			t.Errorf("FindUser(%q) = %v, %v", ref, got, err)
		}
	}
	got, err := db.User(local, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*got) != fmt.Sprint(*u) {
		t.Errorf("stored %+v\nreturned %+v", *got, *u)
	}
	if _, err := db.User(local, u.ID+100); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("User(unknown) = %v, want not found", err)
	}
	if _, err := db.FindUser(local, "nobody"); roster.ErrorCode(err) != roster.ENOTFOUND || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("FindUser(nobody) = %v, want not found naming it", err)
	}
	if _, err := db.FindUser(local, "nobody@example.com"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("FindUser(nobody@…) = %v, want not found", err)
	}
}

// Ensure every broken rule is refused with its field, and nothing is written.
func TestCreateUserRefused(t *testing.T) {
	db := MustOpenDB(t)
	mustGroup(t, db, "staff")
	mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com")
	ok := roster.NewUser{Username: "grace", Name: "Grace Hopper", Email: "grace@example.com"}
	with := func(f func(n *roster.NewUser)) roster.NewUser { n := ok; f(&n); return n }
	cases := []struct {
		name        string
		in          roster.NewUser
		code, field string
	}{
		{"no username", with(func(n *roster.NewUser) { n.Username = "" }), roster.EINVALID, "username"},
		{"bad username", with(func(n *roster.NewUser) { n.Username = "grace hopper" }), roster.EINVALID, "username"},
		{"long username", with(func(n *roster.NewUser) { n.Username = strings.Repeat("g", 65) }), roster.EINVALID, "username"},
		{"username taken", with(func(n *roster.NewUser) { n.Username = "ada" }), roster.ECONFLICT, "username"},
		{"username taken in another case", with(func(n *roster.NewUser) { n.Username = "ADA" }), roster.ECONFLICT, "username"},
		// A person invited by e-mail may leave the name to the set-password
		// page (see names_test.go); a service account may not.
		{"no name", with(func(n *roster.NewUser) { n.Name = "  "; n.Kind = roster.KindService }), roster.EINVALID, "name"},
		{"invisible name", with(func(n *roster.NewUser) { n.Name = "\u200b" }), roster.EINVALID, "name"},
		{"CRLF in name", with(func(n *roster.NewUser) { n.Name = "Grace\r\nBcc: x@example.com" }), roster.EINVALID, "name"},
		{"LF in name", with(func(n *roster.NewUser) { n.Name = "Grace\nHopper" }), roster.EINVALID, "name"},
		{"bidi in name", with(func(n *roster.NewUser) { n.Name = "Grace\u202eHopper" }), roster.EINVALID, "name"},
		{"huge name", with(func(n *roster.NewUser) { n.Name = strings.Repeat("é", 1<<16) }), roster.EINVALID, "name"},
		{"no e-mail", with(func(n *roster.NewUser) { n.Email = "" }), roster.EINVALID, "email"},
		{"invalid e-mail", with(func(n *roster.NewUser) { n.Email = "grace@localhost" }), roster.EINVALID, "email"},
		{"display name", with(func(n *roster.NewUser) { n.Email = "Grace <grace@example.com>" }), roster.EINVALID, "email"},
		{"CRLF in e-mail", with(func(n *roster.NewUser) { n.Email = "grace@example.com\r\nBcc: x@example.com" }), roster.EINVALID, "email"},
		{"huge e-mail", with(func(n *roster.NewUser) { n.Email = strings.Repeat("g", 1<<16) + "@example.com" }), roster.EINVALID, "email"},
		{"e-mail taken", with(func(n *roster.NewUser) { n.Email = "ada@example.com" }), roster.ECONFLICT, "email"},
		{"e-mail taken in another case", with(func(n *roster.NewUser) { n.Email = "ADA@Example.Com" }), roster.ECONFLICT, "email"},
		{"unknown role", with(func(n *roster.NewUser) { n.Role = 9 }), roster.EINVALID, "role"},
		{"unknown group", with(func(n *roster.NewUser) { n.Groups = []string{"staff", "nope"} }), roster.ENOTFOUND, "group"},
		{"bad group name", with(func(n *roster.NewUser) { n.Groups = []string{"-x"} }), roster.EINVALID, "group"},
	}
	before := snapshot(t, db)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := db.CreateUser(local, c.in)
			wantErr(t, err, c.code, c.field)
		})
	}
	if after := snapshot(t, db); after != before {
		t.Errorf("refused creates changed the file")
	}
	// The valid input still goes in afterwards.
	mustCreate(t, db, ok.Username, ok.Name, ok.Email, "Staff")
}

// Ensure a batch of users goes in whole or not at all, duplicates inside
// the batch included, and the error names the position.
func TestCreateUsersAllOrNothing(t *testing.T) {
	db := MustOpenDB(t)
	before := snapshot(t, db)
	_, err := db.CreateUsers(local, []roster.NewUser{
		{Username: "a1", Name: "A One", Email: "a1@example.com"},
		{Username: "a2", Name: "A Two", Email: "a2@example.com"},
		{Username: "a3", Name: "A Three", Email: "A1@EXAMPLE.COM"},
	})
	wantErr(t, err, roster.ECONFLICT, "email")
	if !strings.Contains(err.Error(), "user 3 of 3") {
		t.Errorf("error %q should name the position", err)
	}
	if snapshot(t, db) != before {
		t.Error("a failed batch left data behind")
	}
	users, err := db.CreateUsers(local, []roster.NewUser{
		{Username: "a1", Name: "A One", Email: "a1@example.com"},
		{Username: "a2", Name: "A Two", Email: "a2@example.com"},
	})
	if err != nil || len(users) != 2 || users[0].ID == users[1].ID {
		t.Fatalf("batch: %v, %v", users, err)
	}
	events, _ := db.AuditEvents(local, AuditFilter{Limit: 1})
	if len(events) != 1 || events[0].Action != roster.ActionUserCreate || len(events[0].Targets) != 2 {
		t.Errorf("one audit event for the batch, got %+v", events)
	}
}

// Ensure FindUsers resolves many references, drops duplicates and fails on
// the first unknown one.
func TestFindUsers(t *testing.T) {
	db := MustOpenDB(t)
	a := mustCreate(t, db, "ada", "Ada", "ada@example.com")
	b := mustCreate(t, db, "bob", "Bob", "bob@example.com")
	users, err := db.FindUsers(local, []string{"ada", "BOB@example.com", "Ada@Example.com"})
	if err != nil || len(users) != 2 || users[0].ID != a.ID || users[1].ID != b.ID {
		t.Fatalf("FindUsers = %v, %v", users, err)
	}
	_, err = db.FindUsers(local, []string{"ada", "carol"})
	if roster.ErrorCode(err) != roster.ENOTFOUND || !strings.Contains(err.Error(), "carol") {
		t.Errorf("unknown reference: %v", err)
	}
}

// Ensure a form's live uniqueness check ignores case and the user edited.
func TestTaken(t *testing.T) {
	db := MustOpenDB(t)
	a := mustCreate(t, db, "ada", "Ada", "ada@example.com")
	check := func(what string, taken bool, err error, want bool) {
		t.Helper()
		if err != nil || taken != want {
			t.Errorf("%s: taken = %v, %v; want %v", what, taken, err, want)
		}
	}
	taken, err := db.UsernameTaken(local, "ADA", 0)
	check("username ADA for a new user", taken, err, true)
	taken, err = db.UsernameTaken(local, "ada", a.ID)
	check("own username", taken, err, false)
	taken, err = db.UsernameTaken(local, "bob", 0)
	check("free username", taken, err, false)
	taken, err = db.EmailTaken(local, " Ada@EXAMPLE.com", 0)
	check("e-mail in another case", taken, err, true)
	taken, err = db.EmailTaken(local, "ada@example.com", a.ID)
	check("own e-mail", taken, err, false)
	taken, err = db.EmailTaken(local, "bob@example.com", 0)
	check("free e-mail", taken, err, false)
}

// Ensure an update changes only what it names, moves the indexes along,
// and writes one audit event listing the changes.
func TestUpdateUser(t *testing.T) {
	db := MustOpenDB(t)
	mustGroup(t, db, "staff")
	mustGroup(t, db, "ops")
	u := mustCreate(t, db, "ada", "Ada", "ada@example.com", "staff")
	before := changes(t, db)
	name, email, username := "Ada Lovelace", "Ada.Lovelace@Example.com", "Lovelace"
	role := roster.RoleAdmin
	groups := []string{"ops", "Staff"}
	got, err := db.UpdateUser(local, u.ID, roster.UserUpdate{Name: &name, Email: &email, Username: &username, Role: &role, Groups: &groups})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != name || got.Email != email || got.Username != "lovelace" || got.Role != roster.RoleAdmin || len(got.GroupIDs) != 2 {
		t.Errorf("updated %+v", got)
	}
	if !got.UpdatedAt.After(got.CreatedAt) {
		t.Errorf("UpdatedAt %v not after CreatedAt %v", got.UpdatedAt, got.CreatedAt)
	}
	if changes(t, db) <= before {
		t.Error("change counter did not move")
	}
	for _, gone := range []string{"ada", "ada@example.com"} {
		if _, err := db.FindUser(local, gone); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("old reference %s still finds someone: %v", gone, err)
		}
	}
	for _, ref := range []string{"lovelace", "ada.lovelace@example.com"} {
		if f, err := db.FindUser(local, ref); err != nil || f.ID != u.ID {
			t.Errorf("FindUser(%s) = %v, %v", ref, f, err)
		}
	}
	events, _ := db.AuditEvents(local, AuditFilter{Limit: 1})
	ev := events[0]
	if ev.Action != roster.ActionUserUpdate || ev.Targets[0] != "lovelace" || ev.Actor != "os:tester" {
		t.Errorf("audit %+v", ev)
	}
	for _, want := range []string{"username ada → lovelace", `name "Ada" → "Ada Lovelace"`, "e-mail ada@example.com → Ada.Lovelace@Example.com", "role member → admin", "groups ops, Staff"} {
		if !strings.Contains(ev.Details, want) {
			t.Errorf("audit details %q lack %q", ev.Details, want)
		}
	}

	// Ensure an update that changes nothing writes nothing.
	n := changes(t, db)
	same := "  Ada Lovelace "
	if _, err := db.UpdateUser(local, u.ID, roster.UserUpdate{Name: &same}); err != nil {
		t.Fatal(err)
	}
	if events2, _ := db.AuditEvents(local, AuditFilter{}); len(events2) != len(mustEvents(t, db)) || events2[0].ID != ev.ID {
		t.Error("a no-op update wrote an audit event")
	}
	_ = n

	// Ensure changing only the letter case of the e-mail keeps its index.
	lower := "ada.lovelace@example.com"
	if _, err := db.UpdateUser(local, u.ID, roster.UserUpdate{Email: &lower}); err != nil {
		t.Fatal(err)
	}
	if f, err := db.FindUser(local, "ADA.LOVELACE@example.com"); err != nil || f.Email != lower {
		t.Errorf("after case change: %v, %v", f, err)
	}
}

func mustEvents(t testing.TB, db *DB) []roster.AuditEvent {
	t.Helper()
	events, err := db.AuditEvents(local, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// Ensure a refused update names the field and changes nothing.
func TestUpdateUserRefused(t *testing.T) {
	db := MustOpenDB(t)
	mustCreate(t, db, "ada", "Ada", "ada@example.com")
	u := mustCreate(t, db, "bob", "Bob", "bob@example.com")
	// Active: only a Pending invitee's name may be emptied (names_test.go).
	if _, err := db.SetStatus(local, []uint64{u.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	s := func(v string) *string { return &v }
	r := func(v roster.Role) *roster.Role { return &v }
	cases := []struct {
		name        string
		upd         roster.UserUpdate
		code, field string
	}{
		{"username taken", roster.UserUpdate{Username: s("ADA")}, roster.ECONFLICT, "username"},
		{"bad username", roster.UserUpdate{Username: s("b b")}, roster.EINVALID, "username"},
		{"empty username", roster.UserUpdate{Username: s(" ")}, roster.EINVALID, "username"},
		{"e-mail taken", roster.UserUpdate{Email: s("ADA@example.COM")}, roster.ECONFLICT, "email"},
		{"bad e-mail", roster.UserUpdate{Email: s("bob@@example.com")}, roster.EINVALID, "email"},
		{"CRLF name", roster.UserUpdate{Name: s("Bob\r\nX")}, roster.EINVALID, "name"},
		{"empty name", roster.UserUpdate{Name: s("")}, roster.EINVALID, "name"},
		{"unknown role", roster.UserUpdate{Role: r(7)}, roster.EINVALID, "role"},
		{"zero role", roster.UserUpdate{Role: r(0)}, roster.EINVALID, "role"},
		{"unknown group", roster.UserUpdate{Groups: &[]string{"nope"}}, roster.ENOTFOUND, "group"},
		// A good field before a bad one must not land either.
		{"good then bad", roster.UserUpdate{Name: s("Robert"), Email: s("x@y")}, roster.EINVALID, "email"},
	}
	before := snapshot(t, db)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := db.UpdateUser(local, u.ID, c.upd)
			wantErr(t, err, c.code, c.field)
		})
	}
	if snapshot(t, db) != before {
		t.Error("refused updates changed the file")
	}
	if _, err := db.UpdateUser(local, 999, roster.UserUpdate{Name: s("X")}); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("update of an unknown id: %v", err)
	}
}

// Ensure the last active owner cannot lose the role, and can once another
// active owner exists.
func TestLastOwner(t *testing.T) {
	db := MustOpenDB(t)
	o, err := db.CreateUser(local, roster.NewUser{Username: "olga", Name: "Olga", Email: "olga@example.com", Role: roster.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(local, []uint64{o.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	member := roster.RoleMember
	_, err = db.UpdateUser(local, o.ID, roster.UserUpdate{Role: &member})
	if roster.ErrorCode(err) != roster.ECONFLICT || !strings.Contains(err.Error(), "last active owner") {
		t.Fatalf("demoting the last owner: %v", err)
	}
	res, err := db.SetStatus(local, []uint64{o.ID}, roster.StatusDisabled)
	if err != nil || len(res.Changed) != 0 || len(res.Skipped) != 1 || res.Skipped[0].Reason != "is the last active owner" {
		t.Fatalf("disabling the last owner: %+v, %v", res, err)
	}
	res, err = db.DeleteUsers(local, []uint64{o.ID})
	if err != nil || len(res.Changed) != 0 {
		t.Fatalf("deleting the last owner: %+v, %v", res, err)
	}
	res, err = db.SetRole(local, []uint64{o.ID}, roster.RoleAdmin)
	if err != nil || len(res.Changed) != 0 {
		t.Fatalf("demoting the last owner in bulk: %+v, %v", res, err)
	}

	p, _ := db.CreateUser(local, roster.NewUser{Username: "pia", Name: "Pia", Email: "pia@example.com", Role: roster.RoleOwner})
	if _, err := db.SetStatus(local, []uint64{p.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	// Of two owners disabled at once, one must stay.
	res, err = db.SetStatus(local, []uint64{o.ID, p.ID}, roster.StatusDisabled)
	if err != nil || len(res.Changed) != 1 || len(res.Skipped) != 1 {
		t.Fatalf("disabling both owners: %+v, %v", res, err)
	}
}

// listFixture makes five users with distinct names, e-mails, statuses,
// creation times and groups.
func listFixture(t *testing.T) (*DB, *roster.Group) {
	t.Helper()
	db := MustOpenDB(t)
	staff := mustGroup(t, db, "staff")
	mustGroup(t, db, "ops")
	for _, u := range []struct{ username, name, email, group string }{
		{"zed", "Émile Zola", "zola@example.com", "staff"},
		{"amy", "amy winehouse", "Winehouse@Example.org", "ops"},
		{"bob", "Bob Marley", "bob@example.com", "staff"},
		{"kim", "김 지훈", "jihoon@example.kr", ""},
		{"carl", "Carl Sagan", "carl@cosmos.example", "staff"},
	} {
		var groups []string
		if u.group != "" {
			groups = []string{u.group}
		}
		mustCreate(t, db, u.username, u.name, u.email, groups...)
	}
	activate, _ := db.FindUsers(local, []string{"zed", "bob"})
	disable, _ := db.FindUsers(local, []string{"carl"})
	if _, err := db.SetStatus(local, []uint64{activate[0].ID, activate[1].ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(local, []uint64{disable[0].ID}, roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	return db, staff
}

func usernames(users []*roster.User) string {
	var out []string
	for _, u := range users {
		out = append(out, u.Username)
	}
	return strings.Join(out, " ")
}

// Ensure the list filters by status, group and text (over username, name
// and e-mail, in any case), sorts by every column, and is alphabetical by
// name (ignoring case) by default.
func TestListUsers(t *testing.T) {
	db, staff := listFixture(t)
	cases := []struct {
		name string
		f    roster.UserFilter
		want string
	}{
		{"default: by name, case-insensitive", roster.UserFilter{}, "amy bob carl zed kim"},
		{"by name, descending", roster.UserFilter{Desc: true}, "kim zed carl bob amy"},
		{"by username", roster.UserFilter{Sort: roster.SortUsername}, "amy bob carl kim zed"},
		{"by e-mail", roster.UserFilter{Sort: roster.SortEmail}, "bob carl kim amy zed"},
		{"by status, then username", roster.UserFilter{Sort: roster.SortStatus}, "amy kim bob zed carl"},
		{"by status, descending", roster.UserFilter{Sort: roster.SortStatus, Desc: true}, "carl zed bob kim amy"},
		{"by creation", roster.UserFilter{Sort: roster.SortCreated}, "zed amy bob kim carl"},
		{"by creation, descending", roster.UserFilter{Sort: roster.SortCreated, Desc: true}, "carl kim bob amy zed"},
		{"pending", roster.UserFilter{Status: roster.StatusPending}, "amy kim"},
		{"active", roster.UserFilter{Status: roster.StatusActive}, "bob zed"},
		{"disabled", roster.UserFilter{Status: roster.StatusDisabled}, "carl"},
		{"group", roster.UserFilter{GroupID: staff.ID}, "bob carl zed"},
		{"group and status", roster.UserFilter{GroupID: staff.ID, Status: roster.StatusActive}, "bob zed"},
		{"unknown group", roster.UserFilter{GroupID: 999}, ""},
		{"text in username", roster.UserFilter{Search: "ZE"}, "zed"},
		{"text in name", roster.UserFilter{Search: "marley"}, "bob"},
		{"text in name, any case", roster.UserFilter{Search: "WINE"}, "amy"},
		{"text in e-mail", roster.UserFilter{Search: "example.org"}, "amy"},
		{"text in e-mail, any case", roster.UserFilter{Search: "winehouse@EXAMPLE"}, "amy"},
		{"non-Latin text", roster.UserFilter{Search: "지훈"}, "kim"},
		{"accented text", roster.UserFilter{Search: "émile"}, "zed"},
		{"trimmed text", roster.UserFilter{Search: "  carl  "}, "carl"},
		{"text matching many", roster.UserFilter{Search: "a"}, "amy bob carl zed kim"},
		{"text and status", roster.UserFilter{Search: "example.com", Status: roster.StatusActive, Sort: roster.SortEmail, Desc: true}, "zed bob"},
		{"no match", roster.UserFilter{Search: "nobody"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			users, err := db.ListUsers(local, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := usernames(users); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// Ensure ties sort by username, so the order is total and stable.
func TestSortTies(t *testing.T) {
	db := MustOpenDB(t)
	for _, n := range []string{"c", "a", "b"} {
		mustCreate(t, db, n, "Same Name", n+"@example.com")
	}
	users, _ := db.ListUsers(local, roster.UserFilter{})
	if got := usernames(users); got != "a b c" {
		t.Errorf("ties: %q", got)
	}
	users, _ = db.ListUsers(local, roster.UserFilter{Desc: true})
	if got := usernames(users); got != "c b a" {
		t.Errorf("ties descending: %q", got)
	}
}

// Ensure AllUsers returns everyone in id order and the counts per status add up.
func TestAllUsersAndCounts(t *testing.T) {
	db, _ := listFixture(t)
	all, err := db.AllUsers(local)
	if err != nil {
		t.Fatal(err)
	}
	if got := usernames(all); got != "zed amy bob kim carl" {
		t.Errorf("AllUsers order %q", got)
	}
	counts := CountByStatus(all)
	if counts[roster.StatusPending] != 2 || counts[roster.StatusActive] != 2 || counts[roster.StatusDisabled] != 1 {
		t.Errorf("counts %v", counts)
	}
	if len(CountByStatus(nil)) != 0 {
		t.Error("counts of nobody")
	}
	// FilterUsers keeps the order it is given.
	f := FilterUsers(all, roster.UserFilter{Search: "example.com"})
	if got := usernames(f); got != "zed bob" {
		t.Errorf("FilterUsers %q", got)
	}
	empty := MustOpenDB(t)
	if users, err := empty.AllUsers(local); err != nil || len(users) != 0 {
		t.Errorf("empty AllUsers %v, %v", users, err)
	}
	if users, err := empty.ListUsers(local, roster.UserFilter{Status: roster.StatusActive}); err != nil || len(users) != 0 {
		t.Errorf("empty ListUsers %v, %v", users, err)
	}
}

// Ensure every sort order agrees with a plain reference comparison, for
// names that share long prefixes, differ only in case or length, and are
// written in other scripts.
func TestSortUsersMatchesReference(t *testing.T) {
	parts := []string{"", "a", "A", "ab", "abcdefgh", "abcdefghi", "ABCDEFGHIJ", "é", "É", "zz", "Олег", "王", "abcdefgh ", "abcdefg"}
	var users []*roster.User
	for i := range 300 {
		name := parts[i%len(parts)] + parts[(i/len(parts))%len(parts)] + "x"
		users = append(users, &roster.User{
			ID: uint64(i + 1), Username: fmt.Sprintf("u%03d", (i*37)%300), Name: name,
			Email:  strings.ToUpper(name[:1]) + fmt.Sprintf("%d@example.com", i%7),
			Status: roster.Statuses[i%3], CreatedAt: time.Unix(int64(i%11), 0),
		})
	}
	ref := func(by roster.UserSort) func(a, b *roster.User) int {
		return func(a, b *roster.User) int {
			c := 0
			switch by {
			case roster.SortName:
				c = strings.Compare(SortKey(a.Name), SortKey(b.Name))
			case roster.SortEmail:
				c = strings.Compare(SortKey(a.Email), SortKey(b.Email))
			case roster.SortStatus:
				c = int(a.Status) - int(b.Status)
			case roster.SortCreated:
				c = a.CreatedAt.Compare(b.CreatedAt)
			}
			if c == 0 {
				c = strings.Compare(a.Username, b.Username)
			}
			return c
		}
	}
	for _, by := range roster.UserSorts {
		for _, desc := range []bool{false, true} {
			got := slices.Clone(users)
			SortUsers(got, by, desc)
			want := slices.Clone(users)
			cmp := ref(by)
			slices.SortFunc(want, func(a, b *roster.User) int {
				if desc {
					return -cmp(a, b)
				}
				return cmp(a, b)
			})
			if usernames(got) != usernames(want) {
				t.Errorf("sort %v desc %v:\n got %s\nwant %s", by, desc, usernames(got), usernames(want))
			}
		}
	}
}
