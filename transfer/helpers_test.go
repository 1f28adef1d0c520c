package transfer

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/store"
)

// local is the actor of the tests: the operating-system user.
var local = roster.LocalActor("tester")

// mustOpenDB opens a fresh database in t.TempDir() and checks it at the end.
func mustOpenDB(t testing.TB) *store.DB {
	t.Helper()
	return storetest.Open(t)
}

// writeFile writes data to a file of that name in t.TempDir().
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// dbState is what a refused import must leave as it was.
type dbState struct {
	users   []*roster.User
	groups  []*roster.Group
	changes uint64
}

func stateOf(t testing.TB, db *store.DB) dbState {
	t.Helper()
	users, err := db.AllUsers(local)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := db.Groups(local)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.Changes()
	if err != nil {
		t.Fatal(err)
	}
	return dbState{users, groups, n}
}

func wantUntouched(t testing.TB, db *store.DB, before dbState) {
	t.Helper()
	after := stateOf(t, db)
	if !reflect.DeepEqual(before.users, after.users) {
		t.Errorf("the users changed: %d before, %d after", len(before.users), len(after.users))
	}
	if !reflect.DeepEqual(before.groups, after.groups) {
		t.Errorf("the groups changed: %v → %v", before.groups, after.groups)
	}
	if before.changes != after.changes {
		t.Errorf("the change counter moved from %d to %d", before.changes, after.changes)
	}
}

// importFile runs an import of the file at path as the CLI does: read,
// preview, commit unless blocked. It returns the report, the result and
// the error of the commit (or of Blocked).
func importFile(t testing.TB, db *store.DB, path string, opts Options) (*Report, Result, error) {
	t.Helper()
	data, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts.Source = path
	opts.Actor = local
	r, err := Preview(db, local, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Blocked(); err != nil {
		return r, Result{}, err
	}
	res, err := Commit(db, local, r, nil)
	return r, res, err
}

// reportText renders the report or fails.
func reportText(t testing.TB, r *Report) string {
	t.Helper()
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// userView is what an import sets of a user, for comparisons.
type userView struct {
	Username, Name, Email, Role, Status string
	Groups                              string
}

func viewUsers(t testing.TB, db *store.DB) map[string]userView {
	t.Helper()
	users, err := db.AllUsers(local)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := db.Groups(local)
	if err != nil {
		t.Fatal(err)
	}
	names := map[uint64]string{}
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	out := map[string]userView{}
	for _, u := range users {
		var gs []string
		for _, id := range u.GroupIDs {
			gs = append(gs, names[id])
		}
		out[u.Username] = userView{u.Username, u.Name, u.Email, u.Role.String(), u.Status.String(), strings.Join(gs, ";")}
	}
	return out
}

// genCSV makes a file of n users in the spreadsheet style: BOM, CRLF, a
// header with loose names, groups in one cell, every tenth row a quoted
// name with the delimiter in it.
func genCSV(n int, delim string) []byte {
	var b strings.Builder
	b.Grow(n * 80)
	b.WriteString("\ufeffUser name" + delim + "Full Name" + delim + "E-Mail" + delim + "Role" + delim + "Groups\r\n")
	for i := range n {
		name := fmt.Sprintf("Person %d", i)
		if i%10 == 0 {
			name = fmt.Sprintf(`"Person%s ""No. %d"""`, delim, i)
		}
		role := "member"
		if i%100 == 0 {
			role = "admin"
		}
		fmt.Fprintf(&b, "user%d%s%s%suser%d@example.com%s%s%sstaff|team%d\r\n", i, delim, name, delim, i, delim, role, delim, i%5)
	}
	return []byte(b.String())
}
