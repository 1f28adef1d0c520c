package store

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
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
		evs, err := db.AuditEvents(f)
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
	if got := get(AuditFilter{Search: "nothing like this"}); got != nil && len(got) != 0 {
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
	evs, _ := db.AuditEvents(AuditFilter{UserID: 1, Limit: 1})
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

	_, _ = db.AllUsers()
	_, _ = db.ListUsers(roster.UserFilter{Search: "a"})
	_, _ = db.Groups()
	_, _ = db.AuditEvents(AuditFilter{})
	stayed("reads")
	_, _ = db.CreateUser(local, roster.NewUser{Username: "-", Name: "", Email: ""})
	_, _ = db.CreateGroup(local, "", "")
	stayed("refused changes")
}
