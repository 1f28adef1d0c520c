package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// undoOf records users as a bulk change of field finds them, as the app does.
func undoOf(t *testing.T, db *DB, u BulkUndo, ids ...uint64) BulkUndo {
	t.Helper()
	for _, id := range ids {
		x, err := db.User(local, id)
		if err != nil {
			t.Fatal(err)
		}
		u.Users = append(u.Users, UndoUser{ID: x.ID, Username: x.Username, Status: x.Status, ActivatedAt: x.ActivatedAt, Role: x.Role})
	}
	return u
}

// Ensure undoing a status change puts each user back to their own status
// (pending with no activation time again, disabled) in one audited event
// naming them and what went back.
func TestUndoStatus(t *testing.T) {
	db, us := bulkFixture(t)
	if _, err := db.SetStatus(local, idsOf(us[2]), roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	undo := undoOf(t, db, BulkUndo{Field: UndoStatus, Status: roster.StatusActive}, us[0].ID, us[2].ID)
	if _, err := db.SetStatus(local, idsOf(us[0], us[2]), roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	n := changes(t, db)
	res, err := db.Undo(local, undo)
	if err != nil || !slices.Equal(res.Changed, []string{"ada", "carol"}) || len(res.Skipped) != 0 {
		t.Fatalf("undo: %+v, %v", res, err)
	}
	ada, _ := db.User(local, us[0].ID)
	carol, _ := db.User(local, us[2].ID)
	if ada.Status != roster.StatusPending || !ada.ActivatedAt.IsZero() || carol.Status != roster.StatusDisabled {
		t.Errorf("after undo: ada %s (activated %v), carol %s", ada.Status, ada.ActivatedAt, carol.Status)
	}
	if got := changes(t, db); got != n+1 {
		t.Errorf("change counter moved by %d, want one operation", got-n)
	}
	ev := lastEvent(t, db)
	if ev.Action != roster.ActionUserUndo || !slices.Equal(ev.Targets, []string{"ada", "carol"}) ||
		ev.Details != "undo: status active back to pending (1), disabled (1)" {
		t.Errorf("audit event %+v", ev)
	}
}

// Ensure users changed by someone else since, or deleted since, are
// skipped and named, while the rest go back.
func TestUndoSkipsChangedSince(t *testing.T) {
	db, us := bulkFixture(t)
	undo := undoOf(t, db, BulkUndo{Field: UndoRole, Role: roster.RoleAdmin}, idsOf(us...)...)
	if _, err := db.SetRole(local, idsOf(us...), roster.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetRole(local, idsOf(us[1]), roster.RoleOwner); err != nil { // someone else, since
		t.Fatal(err)
	}
	if _, err := db.DeleteUsers(local, idsOf(us[2])); err != nil {
		t.Fatal(err)
	}
	res, err := db.Undo(local, undo)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Changed, []string{"ada"}) {
		t.Errorf("changed %v, want ada", res.Changed)
	}
	skipped := map[string]string{}
	for _, s := range res.Skipped {
		skipped[s.Target] = s.Reason
	}
	if skipped["bob"] != "changed since: now owner" || skipped["carol"] != "deleted since" {
		t.Errorf("skipped %v", skipped)
	}
	if bob, _ := db.User(local, us[1].ID); bob.Role != roster.RoleOwner {
		t.Errorf("bob's newer role was undone: %s", bob.Role)
	}
}

// Ensure the power table is asked per user: an admin cannot undo an
// owner's promotion of someone to admin (taking admin needs the owner
// role), and group changes go back both ways.
func TestUndoPowersAndGroups(t *testing.T) {
	db, us := bulkFixture(t)
	adm, err := db.CreateUser(local, roster.NewUser{Username: "adm", Name: "Adm", Email: "adm@example.com", Role: roster.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(local, idsOf(adm), roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	admin := roster.Actor{Name: "adm", UserID: adm.ID, Role: roster.RoleAdmin}
	undo := undoOf(t, db, BulkUndo{Field: UndoRole, Role: roster.RoleAdmin}, us[0].ID)
	if _, err := db.SetRole(local, idsOf(us[0]), roster.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	res, err := db.Undo(admin, undo)
	if err != nil || len(res.Changed) != 0 || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, "owner") {
		t.Errorf("an admin undoing an owner's grant: %+v, %v", res, err)
	}

	add := undoOf(t, db, BulkUndo{Field: UndoGroupAdd, Group: "staff"}, us[0].ID, us[2].ID)
	if _, err := db.AddToGroup(local, idsOf(us[0], us[2]), "staff"); err != nil {
		t.Fatal(err)
	}
	if res, err := db.Undo(local, add); err != nil || len(res.Changed) != 2 {
		t.Fatalf("undo add: %+v, %v", res, err)
	}
	remove := undoOf(t, db, BulkUndo{Field: UndoGroupRemove, Group: "staff"}, us[1].ID)
	if _, err := db.RemoveFromGroup(local, idsOf(us[1]), "staff"); err != nil {
		t.Fatal(err)
	}
	if res, err := db.Undo(local, remove); err != nil || len(res.Changed) != 1 {
		t.Fatalf("undo remove: %+v, %v", res, err)
	}
	for i, want := range []bool{false, true, false} {
		u, _ := db.User(local, us[i].ID)
		if in := len(u.GroupIDs) == 1; in != want {
			t.Errorf("%s in staff: %v, want %v", u.Username, in, want)
		}
	}
	if ev := lastEvent(t, db); ev.Details != "undo: back into staff" {
		t.Errorf("audit details %q", ev.Details)
	}
}
