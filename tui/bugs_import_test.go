package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Issue 16, bug 7: the import preview shows each row's role, the question
// names the roles created, and so does the audit event; the hint for a
// missing group names this screen's key, not the CLI's flag.
func TestImportShowsRoles(t *testing.T) {
	db := mustOpenDB(t)
	dir := t.TempDir()
	csv := "username,name,email,role,groups\nolga,Olga Owner,olga@example.com,owner,\nadam,Adam Admin,adam@example.com,admin,\nmia,Mia Member,mia@example.com,,ops\n"
	if err := os.WriteFile(filepath.Join(dir, "people.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	h := start(t, db, 120, 30)
	h.waitText("No users yet")
	h.keys("I")
	h.waitText("Import users", "people.csv")
	h.keys("enter")
	h.waitText("ROLE", "olga")
	h.keys("down", "down") // mia's row: its problem shows in full
	s := h.waitText("✗ line 4")
	for _, want := range []string{"owner", "admin", "press c to create missing groups"} {
		if !strings.Contains(s, want) {
			t.Errorf("preview lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "--create-groups") {
		t.Errorf("the preview names the CLI flag:\n%s", s)
	}
	h.keys("c")
	h.waitText("create missing groups: yes")
	h.keys("enter")
	h.waitText("Create 3 users (1 owner, 1 admin, 1 member)")
	h.keys("y")
	h.waitText("Imported: created 3")
	evs, err := db.AuditEvents(testActor, store.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		if ev.Action == roster.ActionUserCreate && strings.Contains(ev.Details, "1 owner, 1 admin, 1 member") {
			found = true
		}
	}
	if !found {
		t.Errorf("no audit event names the roles: %+v", evs)
	}
}

// Issue 16, bug 5: "Re-send" only for users who were sent an invitation;
// one only queued, or a selection mixing both, says "Send".
func TestSendOrResendWording(t *testing.T) {
	db := openMailDB(t)
	ada := addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	addUser(t, db, "bob", "Bob Byte", "bob@example.com")
	m, run := newMailer(t, db, "")
	if _, err := m.Invite(testActor, []uint64{ada.ID}); err != nil { // queued, not sent
		t.Fatal(err)
	}
	h := startOpts(t, db, 100, 30, mailOptions(m))
	h.waitText("Ada Lovelace")
	h.keys("a")
	s := h.waitText("Actions for ada")
	if strings.Contains(s, "Re-send") {
		t.Fatalf("a queued invitation counts as sent:\n%s", s)
	}
	h.keys("esc")
	run()
	h.waitText("✉ sent")
	h.keys("a")
	h.waitText("Actions for ada", "Re-send invitation")
	h.keys("esc", "ctrl+a", "a") // ada (sent one) and bob (never)
	s = h.waitText("Actions for 2 users", "Send invitation (2)")
	if strings.Contains(s, "Re-send") {
		t.Fatalf("bob was never sent one:\n%s", s)
	}
}
