package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/roster-dev/roster"
)

// checkWidth fails when a line of s is wider than w cells.
func checkWidth(t *testing.T, s string, w int) {
	t.Helper()
	for _, l := range strings.Split(s, "\n") {
		if n := (cells{}).width(l); n > w {
			t.Fatalf("line of %d cells (> %d): %q\n%s", n, w, l, s)
		}
	}
	if top, bottom := strings.Count(s, "╭"), strings.Count(s, "╰"); top != bottom {
		t.Fatalf("the box is cut (%d top, %d bottom corners):\n%s", top, bottom, s)
	}
}

// Issue 16, bug 2: a long name keeps the actions menu and the delete
// confirmation inside 120 columns.
func TestLongNameDialogsFit(t *testing.T) {
	db := mustOpenDB(t)
	long := strings.TrimSpace(strings.Repeat("Bartholomew ", 16))
	addUser(t, db, "bart", long, "bart@example.com")
	h := start(t, db, 120, 30)
	h.waitText("Bartholomew")
	h.keys("a")
	checkWidth(t, h.waitText("Actions for bart", "Delete"), 120)
	h.keys("6")
	s := h.waitText("This cannot be undone.")
	checkWidth(t, s, 120)
	if !strings.Contains(s, "Delete bart") {
		t.Fatalf("the question does not name bart:\n%s", s)
	}
}

// Issue 16, bug 9: Enter is not "yes" on Delete; y is.
func TestDeleteNeedsY(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("a", "6")
	h.waitText("Delete ada (Ada Lovelace)?")
	h.keys("enter")
	h.keys("a") // a key after enter: the frame below shows enter was handled
	s := h.waitText("Delete ada (Ada Lovelace)?")
	if strings.Contains(s, "Done") {
		t.Fatalf("enter deleted:\n%s", s)
	}
	h.user("ada")
	h.keys("y")
	h.waitText("Done: 1 deleted")
}

// Issue 16, bug 9: q goes back from every screen above the list, as esc
// does; only on the list does it quit.
func TestQGoesBack(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	for _, open := range []struct{ key, title string }{
		{"enter", "ada@example.com"}, // details
		{"L", "Audit log"},
		{"G", "Groups"},
		{"a", "Actions for ada"},
		{"?", "all keys"},
	} {
		h.keys(open.key)
		h.waitText(open.title)
		h.keys("q")
		h.waitText("5 shown", "q quit") // the list's own footer
	}
	h.keys("q")
	h.tm.WaitFinished(t, teatest.WithFinalTimeout(waitTime)) // on the list, q quits
}

// Issue 16, bug 8: an action that changed nobody is reported as refused,
// never with a ✓.
func TestRefusalIsNotSuccess(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	refuse := Action{Label: "Frobnicate", Verb: "frobnicated", Run: func(c *Common, ids []uint64, _ string) (roster.BulkResult, error) {
		return roster.BulkResult{Skipped: []roster.Skipped{{Target: "ada", Reason: "needs the owner role"}}}, nil
	}}
	h := startOpts(t, db, 120, 30, Options{Actions: []Action{refuse}})
	h.waitText("Ada Lovelace")
	h.keys("a", "7")
	s := h.waitText("0 frobnicated")
	if strings.Contains(s, "✓") || !strings.Contains(s, "✗ Refused: 0 frobnicated; 1 skipped: 1 needs the owner role") {
		t.Fatalf("a refusal looks like success:\n%s", s)
	}
	h.keys("enter")
	s = h.waitText("✗ Refused: 0 frobnicated")
	if strings.Contains(s, "╭") {
		t.Fatalf("the summary is still open:\n%s", s)
	}
	if strings.Contains(s, "✓") {
		t.Fatalf("the status line reports a refusal with ✓:\n%s", s)
	}
}

// Issue 16, bug 10: an active user's menu shows Mark active (and the
// invitation) disabled with the reason; a selection's entries carry counts.
func TestMenuDisablesWhatDoesNotApply(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	invite := func(_ roster.Actor, ids []uint64) (roster.BulkResult, error) { return roster.BulkResult{}, nil }
	h := startOpts(t, db, 120, 30, Options{Services: Services{Mail: fakeMail{invite: invite}}})
	h.waitText("Ada Lovelace") // active
	h.keys("a")
	s := h.waitText("Actions for ada")
	for _, want := range []string{"Mark active without invitation — already active", "Send invitation — already active"} {
		if !strings.Contains(s, want) {
			t.Errorf("menu lacks %q:\n%s", want, s)
		}
	}
	h.keys("1")                     // disabled: nothing happens
	h.waitText("›  1  Mark active") // ten entries: numbers right-aligned
	if h.statusOf("ada") != roster.StatusActive {
		t.Fatal("a disabled entry ran")
	}
	h.keys("esc", "ctrl+a", "a")
	s = h.waitText("Actions for 5 users")
	for _, want := range []string{"Mark active without invitation (3)", "Disable (4)", "Send invitation (2)", "Delete (5)"} {
		if !strings.Contains(s, want) {
			t.Errorf("menu lacks %q:\n%s", want, s)
		}
	}
}

// Issue 16, bug 10: at 80×24 the footer keeps "? all keys • q quit";
// a disabled user's Latest column never says "activated".
func TestFooterAt80AndDisabledLatest(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 100, 24)
	s := h.waitText("Ken Thompson")
	for _, r := range listRows(s) {
		if strings.Contains(r, "Ken") && (strings.Contains(r, "activated") || !strings.Contains(r, "no login")) {
			t.Errorf("disabled ken's row: %q", r)
		}
	}
	h.tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	s = h.waitFor("80 columns", func(s string) bool { return !strings.Contains(s, "Latest ") })
	lines := strings.Split(s, "\n")
	if last := lines[len(lines)-1]; !strings.HasSuffix(strings.TrimRight(last, " "), "? all keys • q quit") {
		t.Fatalf("the footer lost its last keys: %q", last)
	}
	checkWidth(t, s, 80)
}

// Issue 16, bug 10: the audit log has its own footer, a cursor marked in
// text, and enter shows a long entry whole.
func TestAuditReadable(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	long := strings.Repeat("x", 150) + "END"
	if _, err := db.CreateGroup(testActor, "long", long); err != nil {
		t.Fatal(err)
	}
	h := start(t, db, 100, 30)
	h.waitText("Ada Lovelace")
	h.keys("L")
	s := h.waitText("Audit log", "› ", "1 of ")
	if strings.Contains(s, "shown · sort") {
		t.Fatalf("the audit screen shows the list's footer:\n%s", s)
	}
	h.keys("enter")
	s = h.waitText("by: os:tester")
	if !strings.Contains(s, "END") {
		t.Fatalf("the whole entry is not shown:\n%s", s)
	}
	checkWidth(t, s, 100)
	h.keys("esc")
	h.waitGone("END")
	h.waitText("Audit log")
}
