package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

func newRow(line int, username, name, email string, groups ...string) ImportRow {
	return ImportRow{Line: line, User: roster.NewUser{Username: username, Name: name, Email: email, Groups: groups}}
}

// Ensure an import creates every row in one transaction with one audit
// event, and gives new users the status the row asks for.
func TestImportCreates(t *testing.T) {
	db := MustOpenDB(t)
	mustGroup(t, db, "staff")
	before := changes(t, db)
	rows := []ImportRow{
		newRow(2, "ada", "Ada Lovelace", "ada@example.com", "Staff"),
		newRow(3, "grace", "Grace Hopper", "grace@example.com"),
		newRow(4, "alan", "Alan Turing", "alan@example.com"),
	}
	rows[1].Status = roster.StatusActive
	rows[2].Status = roster.StatusDisabled
	rows[2].User.Role = roster.RoleAdmin
	res, err := db.Import(local, rows, ImportOptions{Source: "staff.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 3 || len(res.Updated) != 0 {
		t.Fatalf("created %d, updated %d; want 3, 0", len(res.Created), len(res.Updated))
	}
	if got := changes(t, db); got != before+1 {
		t.Errorf("change counter moved by %d, want 1", got-before)
	}
	want := map[string]roster.Status{"ada": roster.StatusPending, "grace": roster.StatusActive, "alan": roster.StatusDisabled}
	for name, st := range want {
		u, err := db.FindUser(local, name)
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != st {
			t.Errorf("%s: status %s, want %s", name, u.Status, st)
		}
		if (st == roster.StatusActive) == u.ActivatedAt.IsZero() {
			t.Errorf("%s: activated at %v", name, u.ActivatedAt)
		}
	}
	if ada, _ := db.FindUser(local, "ada"); len(ada.GroupIDs) != 1 {
		t.Errorf("ada's groups: %v", ada.GroupIDs)
	}
	if alan, _ := db.FindUser(local, "alan"); alan.Role != roster.RoleAdmin {
		t.Errorf("alan's role: %s", alan.Role)
	}
	events, err := db.AuditEvents(local, AuditFilter{Search: "staff.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Action != roster.ActionUserCreate || len(events[0].Targets) != 3 {
		t.Errorf("audit events %+v, want one user.create for 3 users", events)
	}
}

// Ensure one bad row anywhere writes nothing at all, and the error names
// its line and keeps the field and code.
func TestImportAllOrNothing(t *testing.T) {
	db := MustOpenDB(t)
	mustCreate(t, db, "taken", "Taken", "taken@example.com")
	cases := []struct {
		name  string
		last  ImportRow
		code  string
		field string
		line  string
	}{
		{"e-mail taken in another case", newRow(9, "new", "New", "TAKEN@example.com"), roster.ECONFLICT, "email", "line 9:"},
		{"username taken", newRow(7, "taken", "New", "new@example.com"), roster.ECONFLICT, "username", "line 7:"},
		{"form refuses the name", newRow(5, "new", "New\nLine", "new@example.com"), roster.EINVALID, "name", "line 5:"},
		{"unknown group", newRow(4, "new", "New", "new@example.com", "nowhere"), roster.ENOTFOUND, "group", "line 4:"},
		{"e-mail twice in the rows", newRow(8, "new", "New", "First@Example.com"), roster.ECONFLICT, "email", "line 8:"},
		{"username twice in the rows", newRow(6, "first", "New", "new@example.com"), roster.ECONFLICT, "username", "line 6:"},
		{"unknown role", ImportRow{Line: 3, User: roster.NewUser{Username: "x", Name: "X", Email: "x@example.com", Role: 9}}, roster.EINVALID, "role", "line 3:"},
		{"unknown status", ImportRow{Line: 3, Status: 7, User: roster.NewUser{Username: "x", Name: "X", Email: "x@example.com"}}, roster.EINVALID, "status", "line 3:"},
		{"unknown user to update", ImportRow{Line: 3, User: roster.NewUser{Name: "X", Email: "x@example.com"}, UpdateID: 999}, roster.ENOTFOUND, "", "line 3:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, n := contentSnapshot(t, db), changes(t, db)
			rows := []ImportRow{newRow(2, "first", "First", "first@example.com"), tc.last}
			_, err := db.Import(local, rows, ImportOptions{})
			wantErr(t, err, tc.code, tc.field)
			if !strings.HasPrefix(err.Error(), tc.line) {
				t.Errorf("error %q does not start with %q", err, tc.line)
			}
			if contentSnapshot(t, db) != before || changes(t, db) != n {
				t.Error("a refused import changed the database")
			}
		})
	}
}

// Ensure missing groups are created on request, once each, in the same
// transaction; and that a bad group name still fails the whole import.
func TestImportCreatesGroups(t *testing.T) {
	db := MustOpenDB(t)
	mustGroup(t, db, "staff")
	rows := []ImportRow{
		newRow(2, "ada", "Ada", "ada@example.com", "staff", "Ops"),
		newRow(3, "bob", "Bob", "bob@example.com", "ops", "Sales"),
	}
	res, err := db.Import(local, rows, ImportOptions{CreateGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.GroupsCreated, ",") != "Ops,Sales" {
		t.Errorf("groups created %v, want Ops, Sales", res.GroupsCreated)
	}
	ops, err := db.Group(local, "ops")
	if err != nil || ops.Members != 2 {
		t.Errorf("group ops: %+v, %v; want 2 members", ops, err)
	}

	before := contentSnapshot(t, db)
	_, err = db.Import(local, []ImportRow{newRow(4, "cy", "Cy", "cy@example.com", "new", "-bad")}, ImportOptions{CreateGroups: true})
	wantErr(t, err, roster.EINVALID, "group")
	if contentSnapshot(t, db) != before {
		t.Error("a refused import created a group")
	}
}

// Ensure an update row changes only what the row sets, records one audit
// event, and counts rows that change nothing apart.
func TestImportUpdates(t *testing.T) {
	db := MustOpenDB(t)
	staff, ops := mustGroup(t, db, "staff"), mustGroup(t, db, "ops")
	ada := mustCreate(t, db, "ada", "Ada", "ada@example.com", "staff")
	bob := mustCreate(t, db, "bob", "Bob", "bob@example.com")

	rows := []ImportRow{
		// Name and e-mail case always; role and groups only when set.
		{Line: 2, UpdateID: ada.ID, User: roster.NewUser{Name: "Ada Lovelace", Email: "Ada@example.com", Role: roster.RoleAdmin, Groups: []string{"ops"}}},
		{Line: 3, UpdateID: bob.ID, SetUsername: true, SetRole: true, SetGroups: true, Status: roster.StatusActive,
			User: roster.NewUser{Username: "robert", Name: "Bob", Email: "bob@example.com", Role: roster.RoleAdmin, Groups: []string{"ops", "staff"}}},
	}
	res, err := db.Import(local, rows, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated) != 2 {
		t.Fatalf("updated %d, want 2", len(res.Updated))
	}
	got, _ := db.User(local, ada.ID)
	if got.Name != "Ada Lovelace" || got.Email != "Ada@example.com" || got.Role != roster.RoleMember ||
		len(got.GroupIDs) != 1 || got.GroupIDs[0] != staff.ID {
		t.Errorf("ada after update: %+v", got)
	}
	got, _ = db.User(local, bob.ID)
	if got.Username != "robert" || got.Role != roster.RoleAdmin || got.Status != roster.StatusActive ||
		len(got.GroupIDs) != 2 || !got.InGroup(ops.ID) || !got.InGroup(staff.ID) {
		t.Errorf("bob after update: %+v", got)
	}
	if _, err := db.FindUser(local, "bob"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("the old username still finds someone: %v", err)
	}

	// The same rows again change nothing and write no event.
	n := len(mustEvents(t, db))
	res, err = db.Import(local, rows, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated) != 0 || len(res.Unchanged) != 2 {
		t.Errorf("second run: updated %d, unchanged %d; want 0, 2", len(res.Updated), len(res.Unchanged))
	}
	if len(mustEvents(t, db)) != n {
		t.Error("an import that changed nothing wrote an audit event")
	}
}

// Ensure imports obey the power rules: an admin creates and changes members
// only, and the last active owner keeps the role.
func TestImportPowers(t *testing.T) {
	c := newPowerCast(t)
	before := contentSnapshot(t, c.db)

	owner := newRow(2, "newowner", "New Owner", "newowner@example.com")
	owner.User.Role = roster.RoleOwner
	_, err := c.db.Import(c.admin, []ImportRow{newRow(1, "ok", "Ok", "ok@example.com"), owner}, ImportOptions{})
	wantForbidden(t, "admin imports an owner", err, "owner role")

	_, err = c.db.Import(c.admin, []ImportRow{{Line: 3, UpdateID: c.alan.ID, User: roster.NewUser{Name: "Al", Email: c.alan.Email}}}, ImportOptions{})
	wantForbidden(t, "admin updates an admin", err, "owner role")

	_, err = c.db.Import(c.memb, []ImportRow{newRow(1, "ok", "Ok", "ok@example.com")}, ImportOptions{})
	wantForbidden(t, "member imports", err, "admin or owner")

	demote := ImportRow{Line: 4, UpdateID: c.olga.ID, SetRole: true, User: roster.NewUser{Name: c.olga.Name, Email: c.olga.Email, Role: roster.RoleMember}}
	_, err = c.db.Import(c.owner, []ImportRow{demote}, ImportOptions{})
	wantErr(t, err, roster.ECONFLICT, "")
	disable := ImportRow{Line: 5, UpdateID: c.olga.ID, Status: roster.StatusDisabled, User: roster.NewUser{Name: c.olga.Name, Email: c.olga.Email}}
	_, err = c.db.Import(c.owner, []ImportRow{disable}, ImportOptions{})
	wantErr(t, err, roster.ECONFLICT, "")
	if contentSnapshot(t, c.db) != before {
		t.Error("a refused import changed the database")
	}

	// With a second active owner imported first, the demotion goes through.
	second := newRow(6, "otto", "Otto", "otto@example.com")
	second.User.Role, second.Status = roster.RoleOwner, roster.StatusActive
	if _, err := c.db.Import(c.owner, []ImportRow{second, demote}, ImportOptions{}); err != nil {
		t.Fatalf("demote with a second owner: %v", err)
	}
}

// Ensure the progress function hears about every thousand rows and the end.
func TestImportProgress(t *testing.T) {
	db := MustOpenDB(t)
	rows := make([]ImportRow, 2500)
	for i := range rows {
		name := "u" + strconv.Itoa(i)
		rows[i] = newRow(i+2, name, "User", name+"@example.com")
	}
	var heard []int
	_, err := db.Import(local, rows, ImportOptions{Progress: func(done, total int) {
		if total != len(rows) {
			t.Errorf("total %d, want %d", total, len(rows))
		}
		heard = append(heard, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(heard, []int{1000, 2000, 2500}) {
		t.Errorf("progress heard %v, want 1000, 2000, 2500", heard)
	}
}

// Ensure new users imported into a database that already holds many, with
// usernames, e-mails and groups that fall between the existing ones, are
// found by every index (the bulk path writes indexes in key order).
func TestImportIntoPopulatedDatabase(t *testing.T) {
	db := MustOpenDB(t) // its clean-up runs Check over every index
	for _, g := range []string{"a", "m", "z"} {
		mustGroup(t, db, g)
	}
	var first, second []ImportRow
	for i := range 3000 {
		name := fmt.Sprintf("u%05d", i)
		row := newRow(i+2, name, "User "+name, name+"@example.com", []string{"a", "m", "z"}[i%3])
		if i%2 == 0 {
			first = append(first, row)
		} else {
			second = append(second, row)
		}
	}
	if _, err := db.Import(local, first, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := db.Import(local, second, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != len(second) {
		t.Fatalf("created %d, want %d", len(res.Created), len(second))
	}
	for _, ref := range []string{"u00001", "u02999@example.com", "U01501", "u00000"} {
		if _, err := db.FindUser(local, ref); err != nil {
			t.Errorf("find %s: %v", ref, err)
		}
	}
	m, err := db.Group(local, "m")
	if err != nil || m.Members != 1000 {
		t.Errorf("group m: %+v, %v; want 1000 members", m, err)
	}
}
