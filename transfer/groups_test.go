package transfer

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// exportWithGroups exports every user of db with the groups section.
func exportWithGroups(t *testing.T, db *store.DB) []byte {
	t.Helper()
	users, err := db.AllUsers(local)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := db.Groups(local)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[uint64]string{}
	for _, u := range users {
		byID[u.ID] = u.Username
	}
	names := map[uint64]string{}
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	var b bytes.Buffer
	opts := ExportOptions{Format: FormatJSON, Groups: roster.GroupRecords(groups, func(id uint64) string { return byID[id] })}
	if err := Export(&b, users, func(id uint64) string { return names[id] }, opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Ensure an export with the groups section carries descriptions, nesting
// and managers, and an import of it into an empty database makes them,
// audited (issue 18).
func TestGroupsSectionRoundTrip(t *testing.T) {
	src := mustOpenDB(t)
	for _, g := range [][2]string{{"staff", "everyone"}, {"devs", "the developers"}, {"ops", ""}} {
		if _, err := src.CreateGroup(local, g[0], g[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range [][2]string{{"devs", "staff"}, {"ops", "staff"}} {
		if err := src.NestGroup(local, n[0], n[1]); err != nil {
			t.Fatal(err)
		}
	}
	mona, err := src.CreateUser(local, roster.NewUser{Username: "mona", Name: "Mona", Email: "mona@example.com", Groups: []string{"staff"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.CreateUser(local, roster.NewUser{Username: "ned", Name: "Ned", Email: "ned@example.com", Groups: []string{"devs"}}); err != nil {
		t.Fatal(err)
	}
	if err := src.SetManager(local, "staff", mona.ID, true); err != nil {
		t.Fatal(err)
	}
	data := exportWithGroups(t, src)
	var doc struct {
		Groups []roster.GroupRecord `json:"groups"`
		Users  []json.RawMessage    `json:"users"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Users) != 2 || len(doc.Groups) != 4 {
		t.Fatalf("export %v: %s", err, data)
	}

	dst := mustOpenDB(t)
	r, res, err := importFile(t, dst, writeFile(t, "all.json", data), Options{})
	if err != nil {
		t.Fatalf("import: %v\n%s", err, reportText(t, r))
	}
	if text := reportText(t, r); !strings.Contains(text, "Groups section: 4 groups (3 to create), 2 nestings, 1 manager") {
		t.Errorf("report:\n%s", text)
	}
	if len(res.Created) != 2 {
		t.Errorf("created %d users", len(res.Created))
	}
	if got := exportWithGroups(t, dst); !bytes.Equal(groupsPart(t, got), groupsPart(t, data)) {
		t.Errorf("groups after the round trip:\n%s\nwant\n%s", groupsPart(t, got), groupsPart(t, data))
	}
	events, err := dst.AuditEvents(local, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action+" "+strings.Join(e.Targets, ","))
	}
	for _, want := range []string{"group.create devs,ops,staff", "group.nest devs,staff", "group.nest ops,staff", "group.managers.add staff,mona"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit lacks %q: %v", want, actions)
		}
	}
	// Imported again: nothing new (no second nesting, no second manager).
	if _, _, err := importFile(t, dst, writeFile(t, "again.json", data), Options{OnDuplicate: DuplicateSkip}); err != nil {
		t.Fatal(err)
	}
}

func groupsPart(t *testing.T, data []byte) []byte {
	t.Helper()
	var doc struct {
		Groups json.RawMessage `json:"groups"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Groups
}

// Ensure a groups section that would nest in a cycle, names an unknown
// parent or an unknown manager, is refused with the reason and writes
// nothing.
func TestGroupsSectionRefusals(t *testing.T) {
	db := mustOpenDB(t)
	users := `"users": [{"username": "ann", "name": "Ann", "email": "ann@example.com"}]`
	for _, c := range []struct{ section, want string }{
		{`[{"name": "a", "parents": ["b"]}, {"name": "b", "parents": ["a"]}]`, "nesting b in a would make a cycle: a → b → a"},
		{`[{"name": "a", "parents": ["nosuch"]}]`, `a is nested in "nosuch", which is neither in the section nor in the database`},
		{`[{"name": "a", "managers": ["nosuch"]}]`, `the manager "nosuch" of a is no user of the database or of the file`},
		{`[{"name": "bad name!"}]`, `groups section: "bad name!"`},
	} {
		before := stateOf(t, db)
		r, _, err := importFile(t, db, writeFile(t, "g.json", []byte(`{"groups": `+c.section+`, `+users+`}`)), Options{})
		if err == nil || !strings.Contains(err.Error()+reportText(t, r), c.want) {
			t.Errorf("section %s: %v\n%s", c.section, err, reportText(t, r))
		}
		wantUntouched(t, db, before)
	}
}
