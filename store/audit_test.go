package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Ensure every mutation writes its audit event in the same transaction:
// with the actor, action, targets and details, and the time of the change.
func TestAuditTrail(t *testing.T) {
	db := MustOpenDB(t)
	admin := roster.LocalActor("root")
	if _, err := db.CreateGroup(admin, "staff", "people"); err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(admin, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@example.com", Groups: []string{"staff"}})
	if err != nil {
		t.Fatal(err)
	}
	v := mustCreate(t, db, "bob", "Bob", "bob@example.com")
	name := "Ada L"
	if _, err := db.UpdateUser(admin, u.ID, roster.UserUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	steps := []func() (roster.BulkResult, error){
		func() (roster.BulkResult, error) {
			return db.SetStatus(admin, []uint64{u.ID, v.ID}, roster.StatusActive)
		},
		func() (roster.BulkResult, error) { return db.SetRole(admin, []uint64{v.ID}, roster.RoleAdmin) },
		func() (roster.BulkResult, error) { return db.AddToGroup(admin, []uint64{v.ID}, "staff") },
		func() (roster.BulkResult, error) { return db.RemoveFromGroup(admin, []uint64{u.ID}, "staff") },
		func() (roster.BulkResult, error) { return db.DeleteUsers(admin, []uint64{v.ID}) },
	}
	for _, step := range steps {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.UpdateGroup(admin, "staff", "team", nil); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteGroup(admin, "team", false); err != nil {
		t.Fatal(err)
	}

	type row struct{ actor, action, targets, details string }
	want := []row{
		{"os:root", roster.ActionGroupDelete, "team", "deleted with 0 memberships"},
		{"os:root", roster.ActionGroupRename, "team", "renamed staff → team"},
		{"os:root", roster.ActionUserDelete, "bob", "deleted"},
		{"os:root", roster.ActionGroupRemove, "ada", "removed from staff"},
		{"os:root", roster.ActionGroupAdd, "bob", "added to staff"},
		{"os:root", roster.ActionUserRole, "bob", "role admin"},
		{"os:root", roster.ActionUserStatus, "ada,bob", "status active"},
		{"os:root", roster.ActionUserUpdate, "ada", `name "Ada" → "Ada L"`},
		{"os:tester", roster.ActionUserCreate, "bob", `name "Bob", e-mail bob@example.com, role member`},
		{"os:root", roster.ActionUserCreate, "ada", `name "Ada", e-mail ada@example.com, role member`},
		{"os:root", roster.ActionGroupCreate, "staff", "people"},
	}
	events := mustEvents(t, db)
	if len(events) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(events), len(want), events)
	}
	for i, ev := range events {
		got := row{ev.Actor, ev.Action, strings.Join(ev.Targets, ","), ev.Details}
		if got != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, got, want[i])
		}
		if ev.Time.IsZero() || ev.Time.Location() != time.UTC && ev.Time.Location().String() != "UTC" {
			t.Errorf("event %d time %v", i, ev.Time)
		}
		if i > 0 && (ev.ID >= events[i-1].ID || ev.Time.After(events[i-1].Time)) {
			t.Errorf("events not newest first at %d", i)
		}
	}
}

// Ensure AuditEvents filters by user, by text and by limit, newest first.
func TestAuditEventsFilter(t *testing.T) {
	db := MustOpenDB(t)
	mustGroup(t, db, "staff")
	a := mustCreate(t, db, "ada", "Ada", "ada@example.com")
	b := mustCreate(t, db, "bob", "Bob", "bob@example.com")
	for range 3 {
		if _, err := db.SetStatus(local, []uint64{a.ID}, roster.StatusActive); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetStatus(local, []uint64{a.ID}, roster.StatusDisabled); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.AddToGroup(local, []uint64{a.ID, b.ID}, "staff"); err != nil {
		t.Fatal(err)
	}

	actions := func(evs []roster.AuditEvent) []string {
		var out []string
		for _, ev := range evs {
			out = append(out, ev.Action+" "+ev.Details)
		}
		return out
	}
	get := func(f AuditFilter) []roster.AuditEvent {
		t.Helper()
		evs, err := db.AuditEvents(local, f)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}

	bob := actions(get(AuditFilter{UserID: b.ID}))
	if want := []string{"group.members.add added to staff", `user.create name "Bob", e-mail bob@example.com, role member`}; !slices.Equal(bob, want) {
		t.Errorf("bob's events %q, want %q", bob, want)
	}
	if got := actions(get(AuditFilter{UserID: a.ID, Limit: 2})); !slices.Equal(got, []string{"group.members.add added to staff", "user.status status disabled"}) {
		t.Errorf("ada's last two %q", got)
	}
	if got := get(AuditFilter{UserID: a.ID}); len(got) != 8 {
		t.Errorf("ada has %d events, want 8", len(got))
	}
	// The newest user's index range ends the bucket; the oldest's does not.
	if got := get(AuditFilter{UserID: 999}); len(got) != 0 {
		t.Errorf("unknown user has events %+v", got)
	}
	if got := get(AuditFilter{Search: "DISABLED"}); len(got) != 3 {
		t.Errorf("search DISABLED found %d, want 3", len(got))
	}
	if got := get(AuditFilter{Search: "BOB"}); len(got) != 2 {
		t.Errorf("search BOB (a target) found %d, want 2", len(got))
	}
	if got := get(AuditFilter{Search: "os:TESTER"}); len(got) != len(get(AuditFilter{})) {
		t.Errorf("search by actor found %d", len(got))
	}
	if got := get(AuditFilter{Search: "user.status", Limit: 4}); len(got) != 4 {
		t.Errorf("search with a limit found %d", len(got))
	}
	if got := get(AuditFilter{Limit: 1}); len(got) != 1 || got[0].Action != roster.ActionGroupAdd {
		t.Errorf("newest event %+v", got)
	}
	if got := get(AuditFilter{Search: "nothing like this"}); len(got) != 0 {
		t.Errorf("found %+v", got)
	}
}

// Ensure a refused operation leaves no audit event and an adapter can
// record an event of its own.
func TestAuditOnlyWhatHappened(t *testing.T) {
	db := MustOpenDB(t)
	mustCreate(t, db, "ada", "Ada", "ada@example.com")
	n := len(mustEvents(t, db))
	if _, err := db.CreateUser(local, roster.NewUser{Username: "ada", Name: "X", Email: "x@example.com"}); err == nil {
		t.Fatal("duplicate accepted")
	}
	if len(mustEvents(t, db)) != n {
		t.Error("a refused create left an audit event")
	}
	if err := db.Audit(roster.SystemActor("ssh"), "ssh.login", []string{"ada"}, []uint64{1}, "from 127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	evs, _ := db.AuditEvents(local, AuditFilter{UserID: 1, Limit: 1})
	if len(evs) != 1 || evs[0].Actor != "system:ssh" || evs[0].Action != "ssh.login" {
		t.Errorf("adapter event %+v", evs)
	}
}

// Ensure the change counter moves with every committed change, and not
// with reads or refused changes.
func TestChangeCounter(t *testing.T) {
	db := MustOpenDB(t)
	last := changes(t, db)
	moved := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		n := changes(t, db)
		if n <= last {
			t.Errorf("%s: counter stayed at %d", what, n)
		}
		last = n
	}
	stayed := func(what string) {
		t.Helper()
		if n := changes(t, db); n != last {
			t.Errorf("%s: counter moved %d → %d", what, last, n)
		}
	}
	_, err := db.CreateGroup(local, "staff", "")
	moved("create group", err)
	u, err := db.CreateUser(local, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@example.com"})
	moved("create user", err)
	name := "Ada L"
	_, err = db.UpdateUser(local, u.ID, roster.UserUpdate{Name: &name})
	moved("update user", err)
	_, err = db.SetStatus(local, []uint64{u.ID}, roster.StatusActive)
	moved("activate", err)
	_, err = db.SetRole(local, []uint64{u.ID}, roster.RoleAdmin)
	moved("set role", err)
	_, err = db.AddToGroup(local, []uint64{u.ID}, "staff")
	moved("add to group", err)
	_, err = db.RemoveFromGroup(local, []uint64{u.ID}, "staff")
	moved("remove from group", err)
	_, err = db.UpdateGroup(local, "staff", "team", nil)
	moved("rename group", err)
	moved("delete group", db.DeleteGroup(local, "team", false))
	_, err = db.DeleteUsers(local, []uint64{u.ID})
	moved("delete user", err)

	_, _ = db.AllUsers(local)
	_, _ = db.ListUsers(local, roster.UserFilter{Search: "a"})
	_, _ = db.Groups(local)
	_, _ = db.AuditEvents(local, AuditFilter{})
	stayed("reads")
	_, _ = db.CreateUser(local, roster.NewUser{Username: "-", Name: "", Email: ""})
	_, _ = db.CreateGroup(local, "", "")
	stayed("refused changes")
}

// Ensure an event about many users is indexed as one list, and a user's
// history merges both indexes newest first.
func TestAuditManyUsers(t *testing.T) {
	db := MustOpenDB(t)
	var batch []roster.NewUser
	for i := range 40 {
		n := fmt.Sprintf("u%02d", i)
		batch = append(batch, roster.NewUser{Username: n, Name: n, Email: n + "@example.com"})
	}
	users, err := db.CreateUsers(local, batch)
	if err != nil {
		t.Fatal(err)
	}
	name := "First Renamed"
	if _, err := db.UpdateUser(local, users[0].ID, roster.UserUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	var most []uint64
	for _, u := range users[:35] {
		most = append([]uint64{u.ID}, most...) // in reverse: the list is sorted anyway
	}
	if _, err := db.SetStatus(local, most, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(local, []uint64{users[0].ID}, roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}

	// The two big events went to the list index, the small ones per user.
	var perUser, lists int
	if err := db.view(func(tx *bolt.Tx) error {
		perUser = tx.Bucket(bucketAuditByUser).Stats().KeyN
		lists = tx.Bucket(bucketAuditByUsers).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if perUser != 2 || lists != 2 {
		t.Errorf("%d per-user entries and %d lists, want 2 and 2", perUser, lists)
	}

	history := func(u *roster.User, limit int) string {
		t.Helper()
		evs, err := db.AuditEvents(local, AuditFilter{UserID: u.ID, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ev := range evs {
			out = append(out, ev.Action+" "+ev.Details)
		}
		return strings.Join(out, "; ")
	}
	first := `user.status status disabled; user.status status active; user.update name "u00" → "First Renamed"; user.create 40 users`
	if got := history(users[0], 0); got != first {
		t.Errorf("first user's history:\n got %s\nwant %s", got, first)
	}
	if got := history(users[0], 2); got != "user.status status disabled; user.status status active" {
		t.Errorf("first user's last two: %s", got)
	}
	if got := history(users[34], 0); got != "user.status status active; user.create 40 users" {
		t.Errorf("user 35's history: %s", got)
	}
	if got := history(users[39], 0); got != "user.create 40 users" {
		t.Errorf("user 40's history: %s", got)
	}
	if got := history(&roster.User{ID: 999}, 0); got != "" {
		t.Errorf("unknown user's history: %s", got)
	}
	if got, _ := db.AuditEvents(local, AuditFilter{UserID: users[1].ID, Search: "active"}); len(got) != 1 {
		t.Errorf("search within a history found %d", len(got))
	}
}

func TestListHas(t *testing.T) {
	list := make([]byte, 0, 40)
	for _, id := range []uint64{2, 3, 5, 8, 1 << 40} {
		list = append(list, u64(id)...)
	}
	for id, want := range map[uint64]bool{0: false, 1: false, 2: true, 4: false, 5: true, 8: true, 9: false, 1 << 40: true, 1<<40 + 1: false} {
		if got := listHas(list, id); got != want {
			t.Errorf("listHas(%d) = %v", id, got)
		}
	}
	if listHas(nil, 1) || listHas([]byte{1, 2, 3}, 1) {
		t.Error("empty or short list")
	}
}
