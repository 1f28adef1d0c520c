package tui

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure I opens the import screen: pick the file, see the problem rows,
// create missing groups, invite, confirm, read the summary; the users land.
func TestImportScreen(t *testing.T) {
	db := mustOpenDB(t)
	addGroup(t, db, "staff")
	addUser(t, db, "ada", "Ada", "ada@example.com")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "staff.csv"), []byte("\ufeffFull name;E-Mail;Groups\r\nAda;ada@example.com;staff\r\nGrace Hopper;grace@example.com;staff|ops\r\nBad;nope;\r\nJürgen Weiß;jürgen@example.de;\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.md"), []byte("x"), 0o600)
	t.Chdir(dir)
	var invited []uint64
	h := startOpts(t, db, 120, 30, Options{Services: Services{Mail: fakeMail{invite: func(a roster.Actor, ids []uint64) (roster.BulkResult, error) {
		invited = append(invited, ids...)
		return roster.BulkResult{Changed: []string{"x", "y"}}, nil
	}}}})
	h.waitText("ada@example.com")
	h.keys("I")
	h.waitText("Import users", "staff.csv")
	h.keys("down", "enter")
	h.waitText("invalid")
	h.keys("c")
	h.waitText("create missing groups: yes", "new groups: ops")
	h.keys("i")
	h.waitText("invite new users: yes")
	h.keys("p")
	h.waitText("e-mail needs an @")
	h.keys("enter")
	h.waitText("Create 2 users", "invitation")
	h.keys("y")
	h.waitText("Imported: created 2", "2 invitations queued")
	h.keys("enter")
	h.waitText("grace@example.com")
	u := h.user("grace")
	if len(u.GroupIDs) != 2 || u.Status != roster.StatusPending || len(invited) != 2 {
		t.Errorf("grace %+v invited %v", u, invited)
	}
}

// Ensure over SSH the file screens are not offered and say why.
func TestImportExportRemote(t *testing.T) {
	c := &Common{Styles: NewStyles(true), Actor: roster.Actor{Name: "olga", UserID: 1, Role: roster.RoleOwner}, Width: 80, Height: 24}
	if len(importLaunchers(c)) != 0 {
		t.Error("import offered over SSH")
	}
	s := newImportScreen(c)
	if s.Init() != nil {
		t.Error("a remote import screen reads a folder")
	}
	if v := s.View(); !strings.Contains(v, "only offered in the local app") {
		t.Errorf("view %q", v)
	}
	e := newExportScreen(c, []uint64{1})
	if v := e.View(); !strings.Contains(v, "only offered in the local app") {
		t.Errorf("view %q", v)
	}
}

// Ensure the export screen writes only the chosen users.
func TestExportScreen(t *testing.T) {
	db := mustOpenDB(t)
	addUser(t, db, "ada", "Ada", "ada@example.com")
	addUser(t, db, "bob", "Bob", "bob@example.com")
	dir := t.TempDir()
	t.Chdir(dir)
	c := &Common{Styles: NewStyles(true), Actor: testActor, Width: 100, Height: 24, DB: db}
	e := newExportScreen(c, []uint64{2})
	e.input.SetValue(filepath.Join(dir, "out.json"))
	_, cmd := e.Update(keyMsg("enter"))
	msg := cmd()
	_, _ = e.Update(msg)
	data, err := os.ReadFile(filepath.Join(dir, "out.json"))
	if err != nil || !strings.Contains(string(data), "bob@example.com") || strings.Contains(string(data), "ada@") {
		t.Errorf("export: %v %s", err, data)
	}
}

// Ensure Export… in the actions menu writes the selection to a file.
func TestExportAction(t *testing.T) {
	db := mustOpenDB(t)
	addUser(t, db, "ada", "Ada", "ada@example.com")
	addUser(t, db, "bob", "Bob", "bob@example.com")
	dir := t.TempDir()
	t.Chdir(dir)
	h := startOpts(t, db, 120, 30, Options{Actions: []Action{ExportAction()}})
	h.waitText("bob@example.com")
	h.keys("down", "space", "a")
	s := h.waitText("Export…")
	m := regexp.MustCompile(`(\d+)\s+Export…`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no Export… entry:\n%s", s)
	}
	h.keys(m[1])
	h.waitText("Export 1 user", "roster-users.csv")
	h.keys("enter")
	h.waitText("Exported 1 user to")
	data, err := os.ReadFile(filepath.Join(dir, "roster-users.csv"))
	if err != nil || !strings.Contains(string(data), "bob@example.com") || strings.Contains(string(data), "ada@") {
		t.Errorf("export: %v %s", err, data)
	}
}
