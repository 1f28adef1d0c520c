package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// managerWorld makes the power table's world in a database: A ∋ A1, B,
// C; mona manages A; gus in A, bea in A and B, ned in A1, mel in A (and
// manages C), ada an admin in A, max in B.
func managerWorld(t *testing.T, db *DB) (mona roster.Actor, u map[string]*roster.User) {
	t.Helper()
	for _, g := range []string{"A", "B", "A1", "C"} {
		mustGroup(t, db, g)
	}
	if err := db.NestGroup(local, "A1", "A"); err != nil {
		t.Fatal(err)
	}
	u = map[string]*roster.User{}
	for _, c := range [][]string{{"mona"}, {"gus", "A"}, {"bea", "A", "B"}, {"ned", "A1"}, {"mel", "A"}, {"ada", "A"}, {"max", "B"}} {
		u[c[0]] = mustCreate(t, db, c[0], strings.ToUpper(c[0][:1])+c[0][1:], c[0]+"@example.com", c[1:]...)
	}
	if _, err := db.SetRole(local, []uint64{u["ada"].ID}, roster.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(local, []uint64{u["mona"].ID, u["mel"].ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	for _, m := range [][2]string{{"A", "mona"}, {"C", "mel"}} {
		if err := db.SetManager(local, m[0], u[m[1]].ID, true); err != nil {
			t.Fatal(err)
		}
	}
	return roster.Actor{Name: "mona", UserID: u["mona"].ID, Role: roster.RoleMember}, u
}

func sortedNames(users []*roster.User) string {
	names := strings.Fields(usernames(users))
	slices.Sort(names)
	return strings.Join(names, " ")
}

func skipped(r roster.BulkResult) string {
	var parts []string
	for _, s := range r.Skipped {
		parts = append(parts, s.Target+": "+s.Reason)
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// Ensure a manager sees only the users of their groups (subgroups
// included) and themselves, and only their groups.
func TestManagerSeesTheirGroups(t *testing.T) {
	db := MustOpenDB(t)
	mona, u := managerWorld(t, db)
	all, err := db.AllUsers(mona)
	if err != nil {
		t.Fatal(err)
	}
	if got := sortedNames(all); got != "ada bea gus mel mona ned" {
		t.Errorf("mona's list %q", got)
	}
	b, _ := db.Group(local, "B")
	inB, err := db.ListUsers(mona, roster.UserFilter{GroupID: b.ID})
	if err != nil || usernames(inB) != "bea" {
		t.Errorf("mona's list of B: %q, %v", usernames(inB), err)
	}
	groups, err := db.Groups(mona)
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	if err != nil || strings.Join(names, " ") != "A A1" {
		t.Errorf("mona's groups %v, %v", names, err)
	}
	if _, err := db.FindUser(mona, "max"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("max, outside her groups, found: %v", err)
	}
	if _, err := db.User(mona, u["max"].ID); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("max's details: %v", err)
	}
	if _, err := db.GroupMembers(mona, b.ID); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("the members of B: %v", err)
	}
	if got, err := db.FindUser(mona, "ned"); err != nil || got.ID != u["ned"].ID {
		t.Errorf("ned, in a subgroup of A: %v", err)
	}
	a, _ := db.Group(local, "A")
	if !slices.Equal(a.Managers, []uint64{u["mona"].ID}) {
		t.Errorf("A's managers %v", a.Managers)
	}
}

// Ensure the store applies the manager's column: what they may do to whom,
// and the refusals when an adapter forces what the menus disable.
func TestManagerChanges(t *testing.T) {
	db := MustOpenDB(t)
	mona, u := managerWorld(t, db)
	ids := func(names ...string) []uint64 {
		var out []uint64
		for _, n := range names {
			out = append(out, u[n].ID)
		}
		return out
	}
	res, err := db.SetStatus(mona, ids("gus", "bea", "ned", "mel", "ada", "max"), roster.StatusDisabled)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Changed, " "); got != "gus bea ned" {
		t.Errorf("disabled %q", got)
	}
	want := "ada: needs the owner role; max: not in your groups; mel: manages a group: needs the admin or owner role"
	if got := skipped(res); got != want {
		t.Errorf("skipped %q\nwant    %q", got, want)
	}
	if res, err = db.AddToGroup(mona, ids("gus"), "B"); err != nil || skipped(res) != "gus: B is not a group you manage" {
		t.Errorf("gus into B: %v %q", err, skipped(res))
	}
	if res, err = db.AddToGroup(mona, ids("gus"), "A1"); err != nil || len(res.Changed) != 1 {
		t.Errorf("gus into A1: %v %+v", err, res)
	}
	// Her form shows A and A1 only: bea's B stays whatever it sends.
	onlyA1 := []string{"A", "A1"}
	if got, err := db.UpdateUser(mona, u["bea"].ID, roster.UserUpdate{Groups: &onlyA1}); err != nil || len(got.GroupIDs) != 3 {
		t.Errorf("bea's groups to A, A1: %v, %v", err, got)
	}
	if res, err = db.RemoveFromGroup(mona, ids("bea"), "A1"); err != nil || len(res.Changed) != 1 {
		t.Errorf("bea out of A1: %v %+v", err, res)
	}
	if res, err = db.RemoveFromGroup(mona, ids("bea"), "A"); err != nil || len(res.Changed) != 1 {
		t.Errorf("bea out of A: %v %+v", err, res)
	}
	// bea, now in B only, is out of mona's reach.
	if _, err := db.User(mona, u["bea"].ID); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("bea after leaving A: %v", err)
	}
	name, login := "Gus Grey", "gusg"
	if _, err := db.UpdateUser(mona, u["gus"].ID, roster.UserUpdate{Name: &name}); err != nil {
		t.Errorf("gus's name: %v", err)
	}
	if _, err := db.UpdateUser(mona, u["gus"].ID, roster.UserUpdate{Username: &login}); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("gus's username: %v", err)
	}
	admin := roster.RoleAdmin
	if _, err := db.UpdateUser(mona, u["gus"].ID, roster.UserUpdate{Role: &admin}); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("gus's role: %v", err)
	}
	groups := []string{"A", "B"}
	if _, err := db.UpdateUser(mona, u["gus"].ID, roster.UserUpdate{Groups: &groups}); !strings.Contains(fmt.Sprint(err), "in B: it is not a group you manage") {
		t.Errorf("gus's groups to A, B: %v", err)
	}
	if _, err := db.UpdateUser(mona, u["max"].ID, roster.UserUpdate{Name: &name}); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("max's name: %v", err)
	}
	if _, err := db.SetRole(mona, ids("gus"), roster.RoleAdmin); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("set role: %v", err)
	}
	if _, err := db.DeleteUsers(mona, ids("gus")); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("delete: %v", err)
	}
	if _, err := db.CreateUser(mona, roster.NewUser{Username: "nia", Name: "Nia", Email: "nia@example.com", Groups: []string{"A1"}}); err != nil {
		t.Errorf("create into A1: %v", err)
	}
	for _, n := range []roster.NewUser{
		{Username: "bob", Name: "Bob", Email: "bob@example.com", Groups: []string{"B"}},
		{Username: "bob", Name: "Bob", Email: "bob@example.com"},
		{Username: "bob", Name: "Bob", Email: "bob@example.com", Groups: []string{"A"}, Role: roster.RoleAdmin},
	} {
		if _, err := db.CreateUser(mona, n); roster.ErrorCode(err) != roster.EFORBIDDEN {
			t.Errorf("create %v in %v: %v", n.Role, n.Groups, err)
		}
	}
	// The audit log names the manager for her changes.
	events, err := db.AuditEvents(local, AuditFilter{Search: roster.ActionUserStatus})
	if err != nil || len(events) == 0 || events[0].Actor != "mona" {
		t.Errorf("status events %+v, %v", events, err)
	}
}

// Ensure making and unmaking a manager is audited, follows at once, and
// that deleting a manager or a group leaves no entry behind.
func TestSetManager(t *testing.T) {
	db := MustOpenDB(t)
	mona, u := managerWorld(t, db)
	events, err := db.AuditEvents(local, AuditFilter{Search: roster.ActionManagerAdd})
	if err != nil || len(events) != 2 {
		t.Fatalf("manager events %+v, %v", events, err)
	}
	if got := strings.Join(events[1].Targets, " ") + ": " + events[1].Details; got != "A mona: mona manages A" {
		t.Errorf("event %q", got)
	}
	if err := db.SetManager(local, "A", u["mona"].ID, true); err != nil {
		t.Errorf("twice: %v", err)
	}
	if again, _ := db.AuditEvents(local, AuditFilter{Search: roster.ActionManagerAdd}); len(again) != 2 {
		t.Errorf("making mona manager twice wrote %d events", len(again)-2)
	}
	if err := db.SetManager(mona, "B", u["mona"].ID, true); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("a manager makes herself manager of B: %v", err)
	}
	if err := db.SetManager(local, "A", u["mona"].ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AllUsers(mona); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("no longer a manager, she still lists users: %v", err)
	}
	if err := db.SetManager(local, "A", u["mona"].ID, false); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("unmake a non-manager: %v", err)
	}
	if _, err := db.DeleteUsers(local, []uint64{u["mel"].ID}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetManager(local, "B", u["gus"].ID, true); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteGroup(local, "B", true); err != nil {
		t.Fatal(err)
	}
	if m, err := db.ManagedGroups(local, u["gus"].ID); err != nil || len(m) != 0 {
		t.Errorf("gus manages %v after B's deletion (%v)", m, err)
	}
	// MustOpenDB's Check at cleanup finds entries naming missing users or groups.
}
