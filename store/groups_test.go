package store

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure groups are created, listed by name with member counts, and found
// in any letter case; the built-in directory-readers group is there.
func TestCreateGroup(t *testing.T) {
	db := MustOpenDB(t)
	n := changes(t, db)
	g, err := db.CreateGroup(local, "  Staff ", "  Everyone in the office ")
	if err != nil {
		t.Fatal(err)
	}
	if g.ID == 0 || g.Name != "Staff" || g.Description != "Everyone in the office" || g.CreatedAt.IsZero() {
		t.Errorf("created %+v", g)
	}
	if changes(t, db) <= n {
		t.Error("change counter did not move")
	}
	mustGroup(t, db, "ops")
	mustGroup(t, db, "Accounts")
	mustCreate(t, db, "ada", "Ada", "ada@example.com", "staff", "ops")
	mustCreate(t, db, "bob", "Bob", "bob@example.com", "staff")
	groups, err := db.Groups(local)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range groups {
		got = append(got, g.Name+":"+string(rune('0'+g.Members)))
	}
	if want := "Accounts:0 directory-readers:0 ops:1 Staff:2"; strings.Join(got, " ") != want {
		t.Errorf("groups %v, want %s", got, want)
	}
	found, err := db.Group(local, "STAFF")
	if err != nil || found.ID != g.ID || found.Members != 2 {
		t.Errorf("Group(STAFF) = %+v, %v", found, err)
	}
	_, err = db.Group(local, "nope")
	wantErr(t, err, roster.ENOTFOUND, "group")

	ev := mustEvents(t, db)
	var create *roster.AuditEvent
	for i := range ev {
		if ev[i].Action == roster.ActionGroupCreate && ev[i].Targets[0] == "Staff" {
			create = &ev[i]
		}
	}
	if create == nil || create.Actor != "os:tester" {
		t.Errorf("no audit event for creating Staff: %+v", ev)
	}
}

// Ensure bad and duplicate group names are refused with the field named.
func TestCreateGroupRefused(t *testing.T) {
	db := MustOpenDB(t)
	mustGroup(t, db, "Staff")
	before := snapshot(t, db)
	for _, c := range []struct {
		name, desc  string
		code, field string
	}{
		{"staff", "", roster.ECONFLICT, "group"},
		{"STAFF", "", roster.ECONFLICT, "group"},
		{"Directory-Readers", "", roster.ECONFLICT, "group"},
		{"", "", roster.EINVALID, "group"},
		{"-x", "", roster.EINVALID, "group"},
		{"a/b", "", roster.EINVALID, "group"},
		{strings.Repeat("g", 65), "", roster.EINVALID, "group"},
		{"ok", "line\nbreak", roster.EINVALID, "description"},
		{"ok", strings.Repeat("d", 501), roster.EINVALID, "description"},
	} {
		_, err := db.CreateGroup(local, c.name, c.desc)
		wantErr(t, err, c.code, c.field)
	}
	if snapshot(t, db) != before {
		t.Error("refused group creations changed the file")
	}
}

// Ensure a rename keeps the id and members, moves the name index, and
// refuses a taken name, a bad one and the built-in group.
func TestRenameGroup(t *testing.T) {
	db := MustOpenDB(t)
	g := mustGroup(t, db, "staff")
	mustGroup(t, db, "ops")
	u := mustCreate(t, db, "ada", "Ada", "ada@example.com", "staff")

	r, err := db.UpdateGroup(local, "STAFF", "Team", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != g.ID || r.Name != "Team" {
		t.Errorf("renamed %+v", r)
	}
	if _, err := db.Group(local, "staff"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("old name still found: %v", err)
	}
	if got, err := db.Group(local, "team"); err != nil || got.Members != 1 {
		t.Errorf("Group(team) = %+v, %v", got, err)
	}
	if ada, _ := db.User(local, u.ID); !ada.InGroup(g.ID) {
		t.Error("ada left the group on rename")
	}
	ev := mustEvents(t, db)[0]
	if ev.Action != roster.ActionGroupRename || ev.Targets[0] != "Team" || !strings.Contains(ev.Details, "→ Team") {
		t.Errorf("audit %+v", ev)
	}

	// Only the letter case changes: allowed.
	if r, err := db.UpdateGroup(local, "team", "TEAM", nil); err != nil || r.Name != "TEAM" {
		t.Errorf("case-only rename: %+v, %v", r, err)
	}
	// The description alone.
	d := "the team"
	if r, err := db.UpdateGroup(local, "team", "", &d); err != nil || r.Description != d || r.Name != "TEAM" {
		t.Errorf("description: %+v, %v", r, err)
	}

	before := snapshot(t, db)
	_, err = db.UpdateGroup(local, "team", "OPS", nil)
	wantErr(t, err, roster.ECONFLICT, "group")
	_, err = db.UpdateGroup(local, "team", "bad/name", nil)
	wantErr(t, err, roster.EINVALID, "group")
	_, err = db.UpdateGroup(local, "nope", "x", nil)
	wantErr(t, err, roster.ENOTFOUND, "group")
	_, err = db.UpdateGroup(local, roster.DirectoryReaders, "readers", nil)
	wantErr(t, err, roster.EINVALID, "group")
	bad := "bad\r\nline"
	_, err = db.UpdateGroup(local, "team", "", &bad)
	wantErr(t, err, roster.EINVALID, "description")
	if snapshot(t, db) != before {
		t.Error("refused renames changed the file")
	}
}

// Ensure a group with members is deleted only when asked to remove the
// memberships, and that both directions of membership go.
func TestDeleteGroup(t *testing.T) {
	db := MustOpenDB(t)
	g := mustGroup(t, db, "staff")
	ops := mustGroup(t, db, "ops")
	a := mustCreate(t, db, "ada", "Ada", "ada@example.com", "staff", "ops")
	b := mustCreate(t, db, "bob", "Bob", "bob@example.com", "staff")

	before := snapshot(t, db)
	err := db.DeleteGroup(local, "Staff", false)
	wantErr(t, err, roster.ECONFLICT, "group")
	if !strings.Contains(err.Error(), "2 members") {
		t.Errorf("message %q should give the member count", err)
	}
	if snapshot(t, db) != before {
		t.Error("a refused delete changed the file")
	}

	if err := db.DeleteGroup(local, "staff", true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Group(local, "staff"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("group still there: %v", err)
	}
	if m, _ := db.GroupMembers(local, g.ID); len(m) != 0 {
		t.Errorf("memberships left: %v", m)
	}
	ada, _ := db.User(local, a.ID)
	bob, _ := db.User(local, b.ID)
	if len(ada.GroupIDs) != 1 || ada.GroupIDs[0] != ops.ID || len(bob.GroupIDs) != 0 {
		t.Errorf("records after delete: ada %v, bob %v", ada.GroupIDs, bob.GroupIDs)
	}
	ev := mustEvents(t, db)[0]
	if ev.Action != roster.ActionGroupDelete || ev.Targets[0] != "staff" || ev.Details != "deleted with 2 memberships" {
		t.Errorf("audit %+v", ev)
	}
	// The event shows in each former member's history.
	if evs, _ := db.AuditEvents(local, AuditFilter{UserID: b.ID, Limit: 1}); len(evs) != 1 || evs[0].ID != ev.ID {
		t.Errorf("bob's history: %+v", evs)
	}

	// An empty group goes without asking; the name is free again.
	if err := db.DeleteGroup(local, "ops", false); roster.ErrorCode(err) != roster.ECONFLICT {
		t.Errorf("ops has ada: %v", err)
	}
	empty := mustGroup(t, db, "empty")
	if err := db.DeleteGroup(local, "EMPTY", false); err != nil {
		t.Fatal(err)
	}
	if again := mustGroup(t, db, "empty"); again.ID == empty.ID {
		t.Error("a deleted group's id was reused")
	}
	wantErr(t, db.DeleteGroup(local, "nope", true), roster.ENOTFOUND, "group")
	wantErr(t, db.DeleteGroup(local, roster.DirectoryReaders, true), roster.EINVALID, "group")
}

// Ensure a member (not an administrator) cannot change groups.
func TestGroupPowers(t *testing.T) {
	db := MustOpenDB(t)
	mustGroup(t, db, "staff")
	u := mustCreate(t, db, "mia", "Mia", "mia@example.com")
	if _, err := db.SetStatus(local, []uint64{u.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	member := roster.Actor{Name: "mia", UserID: u.ID, Role: roster.RoleMember}
	if _, err := db.CreateGroup(member, "x", ""); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("create: %v", err)
	}
	if _, err := db.UpdateGroup(member, "staff", "x", nil); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("rename: %v", err)
	}
	if err := db.DeleteGroup(member, "staff", true); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("delete: %v", err)
	}
}
