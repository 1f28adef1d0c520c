package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// fixture makes ada, bob and carol (Pending members) and the group staff.
func bulkFixture(t *testing.T) (*DB, []*roster.User) {
	t.Helper()
	db := MustOpenDB(t)
	mustGroup(t, db, "staff")
	return db, []*roster.User{
		mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com"),
		mustCreate(t, db, "bob", "Bob Marley", "bob@example.com", "staff"),
		mustCreate(t, db, "carol", "Carol King", "carol@example.com"),
	}
}

func idsOf(users ...*roster.User) []uint64 {
	out := make([]uint64, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// Ensure an unknown id fails every bulk operation whole: nothing changes,
// not even for the known ids before it, and no audit event is written.
func TestBulkUnknownIDChangesNothing(t *testing.T) {
	db, us := bulkFixture(t)
	bad := append(idsOf(us...), 999)
	ops := map[string]func() (roster.BulkResult, error){
		"activate":     func() (roster.BulkResult, error) { return db.SetStatus(local, bad, roster.StatusActive) },
		"disable":      func() (roster.BulkResult, error) { return db.SetStatus(local, bad, roster.StatusDisabled) },
		"role":         func() (roster.BulkResult, error) { return db.SetRole(local, bad, roster.RoleAdmin) },
		"add group":    func() (roster.BulkResult, error) { return db.AddToGroup(local, bad, "staff") },
		"remove group": func() (roster.BulkResult, error) { return db.RemoveFromGroup(local, bad, "staff") },
		"delete":       func() (roster.BulkResult, error) { return db.DeleteUsers(local, bad) },
	}
	before := snapshot(t, db)
	n := changes(t, db)
	for name, op := range ops {
		_, err := op()
		if roster.ErrorCode(err) != roster.ENOTFOUND || !strings.Contains(err.Error(), "999") {
			t.Errorf("%s with an unknown id: %v, want not found naming it", name, err)
		}
	}
	if snapshot(t, db) != before {
		t.Error("a failed bulk operation changed the file")
	}
	if changes(t, db) != n {
		t.Error("a failed bulk operation moved the change counter")
	}
}

// Ensure an unknown group fails membership changes whole.
func TestBulkUnknownGroup(t *testing.T) {
	db, us := bulkFixture(t)
	before := snapshot(t, db)
	for _, op := range []func([]uint64, string) (roster.BulkResult, error){
		func(ids []uint64, g string) (roster.BulkResult, error) { return db.AddToGroup(local, ids, g) },
		func(ids []uint64, g string) (roster.BulkResult, error) { return db.RemoveFromGroup(local, ids, g) },
	} {
		_, err := op(idsOf(us...), "nope")
		wantErr(t, err, roster.ENOTFOUND, "group")
		_, err = op(nil, "nope")
		wantErr(t, err, roster.ENOTFOUND, "group")
	}
	if snapshot(t, db) != before {
		t.Error("a failed membership change changed the file")
	}
}

// Ensure SetStatus changes many users in one event, skips those already in
// the status with the reason, and stamps the first activation.
func TestSetStatus(t *testing.T) {
	db, us := bulkFixture(t)
	n := changes(t, db)
	res, err := db.SetStatus(local, idsOf(us[0], us[1]), roster.StatusActive)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Changed, []string{"ada", "bob"}) || len(res.Skipped) != 0 {
		t.Errorf("result %+v", res)
	}
	if changes(t, db) <= n {
		t.Error("change counter did not move")
	}
	ada, _ := db.User(local, us[0].ID)
	if ada.Status != roster.StatusActive || ada.ActivatedAt.IsZero() || ada.UpdatedAt.Before(us[0].UpdatedAt) {
		t.Errorf("ada after activation: %+v", ada)
	}
	first := ada.ActivatedAt

	// Duplicates count once; users already active are skipped.
	res, err = db.SetStatus(local, idsOf(us[0], us[2], us[2]), roster.StatusActive)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Changed, []string{"carol"}) || len(res.Skipped) != 1 || res.Skipped[0] != (roster.Skipped{Target: "ada", Reason: "already active"}) {
		t.Errorf("result %+v", res)
	}
	if got := res.Summary("activated"); got != "1 activated; 1 skipped: 1 already active" {
		t.Errorf("summary %q", got)
	}

	// Disable and re-activate: the first activation time stays.
	if _, err := db.SetStatus(local, idsOf(us[0]), roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(local, idsOf(us[0]), roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	ada, _ = db.User(local, us[0].ID)
	if !ada.ActivatedAt.Equal(first) {
		t.Errorf("ActivatedAt moved from %v to %v", first, ada.ActivatedAt)
	}

	// All skipped: no audit event, no change.
	events := len(mustEvents(t, db))
	n = changes(t, db)
	res, err = db.SetStatus(local, idsOf(us...), roster.StatusActive)
	if err != nil || len(res.Changed) != 0 || len(res.Skipped) != 3 {
		t.Errorf("all active: %+v, %v", res, err)
	}
	if len(mustEvents(t, db)) != events {
		t.Error("an operation that changed nobody wrote an audit event")
	}
	_ = n

	// Pending is not a status one can set.
	_, err = db.SetStatus(local, idsOf(us...), roster.StatusPending)
	wantErr(t, err, roster.EINVALID, "status")
	_, err = db.SetStatus(local, idsOf(us...), 0)
	wantErr(t, err, roster.EINVALID, "status")
}

// Ensure SetRole changes roles, skips those who have it, refuses unknown roles.
func TestSetRole(t *testing.T) {
	db, us := bulkFixture(t)
	res, err := db.SetRole(local, idsOf(us...), roster.RoleAdmin)
	if err != nil || len(res.Changed) != 3 {
		t.Fatalf("SetRole: %+v, %v", res, err)
	}
	res, err = db.SetRole(local, idsOf(us[0]), roster.RoleAdmin)
	if err != nil || len(res.Skipped) != 1 || res.Skipped[0].Reason != "already admin" {
		t.Errorf("again: %+v, %v", res, err)
	}
	for _, r := range []roster.Role{0, 4} {
		_, err := db.SetRole(local, idsOf(us...), r)
		wantErr(t, err, roster.EINVALID, "role")
	}
	ev := mustEvents(t, db)[0]
	if ev.Action != roster.ActionUserRole || ev.Details != "role admin" || len(ev.Targets) != 3 {
		t.Errorf("audit %+v", ev)
	}
}

// Ensure an admin (a Roster user, not local) changes members only, and
// cannot make anyone admin or owner; the refusals are skips with reasons.
func TestBulkPowers(t *testing.T) {
	db, us := bulkFixture(t)
	adm, err := db.CreateUser(local, roster.NewUser{Username: "adm", Name: "Adm", Email: "adm@example.com", Role: roster.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	own, err := db.CreateUser(local, roster.NewUser{Username: "own", Name: "Own", Email: "own@example.com", Role: roster.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	admin := roster.Actor{Name: "adm", UserID: adm.ID, Role: roster.RoleAdmin}
	// A Pending admin has no powers yet.
	if _, err := db.SetStatus(admin, idsOf(us[0]), roster.StatusActive); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("pending admin acted: %v", err)
	}
	if _, err := db.SetStatus(local, idsOf(adm, own), roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	res, err := db.SetStatus(admin, idsOf(us[0], own), roster.StatusActive)
	if err != nil || !slices.Equal(res.Changed, []string{"ada"}) || len(res.Skipped) != 1 || res.Skipped[0].Reason != "needs the owner role" {
		t.Errorf("admin activating a member and an owner: %+v, %v", res, err)
	}
	for _, r := range []roster.Role{roster.RoleOwner, roster.RoleAdmin} {
		res, err = db.SetRole(admin, idsOf(us[1]), r)
		if err != nil || len(res.Changed) != 0 || len(res.Skipped) != 1 || res.Skipped[0].Reason != "needs the owner role" {
			t.Errorf("an admin making bob %s: %+v, %v", r, res, err)
		}
	}
	if bob, _ := db.User(local, us[1].ID); bob.Role != roster.RoleMember {
		t.Errorf("bob is %s", bob.Role)
	}
	// A member cannot administer at all.
	if _, err := db.SetStatus(local, idsOf(us[2]), roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	member := roster.Actor{Name: "carol", UserID: us[2].ID, Role: roster.RoleMember}
	if _, err := db.SetStatus(member, idsOf(us[0]), roster.StatusDisabled); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("member acted: %v", err)
	}
	// A disabled admin loses the power even with an old actor value.
	if _, err := db.SetStatus(local, idsOf(adm), roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(admin, idsOf(us[1]), roster.StatusActive); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("disabled admin acted: %v", err)
	}
}

// Ensure group membership is indexed both ways and skips say why.
func TestAddRemoveGroup(t *testing.T) {
	db, us := bulkFixture(t)
	staff, _ := db.Group(local, "staff")
	res, err := db.AddToGroup(local, idsOf(us...), "STAFF")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Changed, []string{"ada", "carol"}) || len(res.Skipped) != 1 || res.Skipped[0] != (roster.Skipped{Target: "bob", Reason: "already in STAFF"}) {
		t.Errorf("add: %+v", res)
	}
	members, _ := db.GroupMembers(local, staff.ID)
	if !slices.Equal(members, idsOf(us...)) {
		t.Errorf("members %v", members)
	}
	if g, _ := db.Group(local, "staff"); g.Members != 3 {
		t.Errorf("member count %d", g.Members)
	}
	ev := mustEvents(t, db)[0]
	if ev.Action != roster.ActionGroupAdd || !strings.Contains(ev.Details, "added to") {
		t.Errorf("audit %+v", ev)
	}

	res, err = db.RemoveFromGroup(local, idsOf(us[0], us[1]), "staff")
	if err != nil || !slices.Equal(res.Changed, []string{"ada", "bob"}) {
		t.Fatalf("remove: %+v, %v", res, err)
	}
	res, err = db.RemoveFromGroup(local, idsOf(us[0]), "staff")
	if err != nil || len(res.Skipped) != 1 || res.Skipped[0].Reason != "not in staff" {
		t.Errorf("remove again: %+v, %v", res, err)
	}
	if members, _ := db.GroupMembers(local, staff.ID); !slices.Equal(members, idsOf(us[2])) {
		t.Errorf("members after removal %v", members)
	}
	ada, _ := db.User(local, us[0].ID)
	if len(ada.GroupIDs) != 0 {
		t.Errorf("ada's record still names groups %v", ada.GroupIDs)
	}

	// Group ids stay sorted in the record whatever the order of joining.
	ops := mustGroup(t, db, "ops")
	aaa := mustGroup(t, db, "aaa")
	for _, g := range []string{"ops", "aaa", "staff"} {
		if _, err := db.AddToGroup(local, idsOf(us[0]), g); err != nil {
			t.Fatal(err)
		}
	}
	ada, _ = db.User(local, us[0].ID)
	if !slices.IsSorted(ada.GroupIDs) || len(ada.GroupIDs) != 3 || !ada.InGroup(ops.ID) || !ada.InGroup(aaa.ID) {
		t.Errorf("ada's groups %v", ada.GroupIDs)
	}
}

// Ensure deleting users removes their record, indexes and memberships, frees
// their username and e-mail, and keeps their audit events.
func TestDeleteUsers(t *testing.T) {
	db, us := bulkFixture(t)
	staff, _ := db.Group(local, "staff")
	res, err := db.DeleteUsers(local, idsOf(us[1], us[2]))
	if err != nil || !slices.Equal(res.Changed, []string{"bob", "carol"}) {
		t.Fatalf("delete: %+v, %v", res, err)
	}
	for _, ref := range []string{"bob", "bob@example.com", "carol"} {
		if _, err := db.FindUser(local, ref); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("%s still found: %v", ref, err)
		}
	}
	if _, err := db.User(local, us[1].ID); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("bob's record remains: %v", err)
	}
	if m, _ := db.GroupMembers(local, staff.ID); len(m) != 0 {
		t.Errorf("staff still lists %v", m)
	}
	all, _ := db.AllUsers(local)
	if len(all) != 1 || all[0].Username != "ada" {
		t.Errorf("left: %v", all)
	}
	events, _ := db.AuditEvents(local, AuditFilter{UserID: us[1].ID})
	if len(events) != 2 || events[0].Action != roster.ActionUserDelete || events[1].Action != roster.ActionUserCreate {
		t.Errorf("bob's history: %+v", events)
	}
	// The username and e-mail are free again, and the new user gets a new id.
	b := mustCreate(t, db, "bob", "Bob Again", "BOB@example.com")
	if b.ID == us[1].ID {
		t.Errorf("a deleted id was reused: %d", b.ID)
	}
}
