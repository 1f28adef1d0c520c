package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// allActions are the menu's entries for one invited, active user whose
// mail bounced, with the mail system on: every action there is.
var allActions = []string{"Mark active without invitation", "Disable", "Add to group…", "Remove from group…", "Change role…",
	"Send invitation", "Send password reset", "Set-password link", "Unblock mail", "Delete",
	"Generate password…", "Revoke invitation"}

// TestActionsMenuFitsSmall: at 60×16 the menu with every action keeps its
// whole box on the screen and scrolls to reach every entry.
func TestActionsMenuFitsSmall(t *testing.T) {
	db := openMailDB(t)
	ada := addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	m, _ := newMailer(t, db, "")
	if _, err := m.Invite(testActor, []uint64{ada.ID}); err != nil {
		t.Fatal(err)
	}
	// The invitation bounces: ada's address is blocked.
	jobs, _, err := db.RecordAndClaim(nil, store.ClaimRequest{Owner: "test", Max: 10, Lease: time.Minute})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	if _, _, err := db.RecordAndClaim([]store.JobResult{{ID: jobs[0].ID, Outcome: store.OutcomeBounced, Detail: "550 no such user"}}, store.ClaimRequest{}); err != nil {
		t.Fatal(err)
	}
	setStatus(t, db, roster.StatusActive, ada)
	if u, _ := db.FindUser(testActor, "ada"); !u.Suppressed || u.InvitedAt.IsZero() {
		t.Fatalf("ada is not invited and blocked: %+v", u)
	}

	h := startOpts(t, db, 60, 16, mailOptions(m))
	h.waitText("Ada Lovelace")
	h.keys("a")
	s := h.waitText("Actions for ada", "Mark active", "↓")
	checkBox := func(s string) {
		t.Helper()
		lines := strings.Split(s, "\n")
		if len(lines) != 16 {
			t.Fatalf("%d lines, want 16:\n%s", len(lines), s)
		}
		top, bottom := strings.Count(s, "╭"), strings.Count(s, "╰")
		if top != 1 || bottom != 1 {
			t.Fatalf("the box is cut (%d top, %d bottom corners):\n%s", top, bottom, s)
		}
		for _, l := range lines {
			if w := (cells{}).width(l); w > 60 {
				t.Fatalf("line of %d cells: %q", w, l)
			}
		}
	}
	checkBox(s)
	// The cursor starts on the first entry that applies (ada is active).
	h.waitText("›  2  Disable")
	h.keys("up")
	// Walk down through every entry: each comes into view under the
	// cursor, and the box stays whole.
	seen := map[string]bool{}
	for i := range allActions {
		s = h.waitText(fmt.Sprintf("› %2d  %s", i+1, allActions[i]))
		checkBox(s)
		for _, a := range allActions {
			if strings.Contains(boxText(s), "  "+a) {
				seen[a] = true
			}
		}
		h.keys("down")
	}
	for _, a := range allActions {
		if !seen[a] {
			t.Errorf("the menu never showed %q", a)
		}
	}
	// Down from the last wraps to the first; up from the first to the last.
	s = h.waitText("›  1  Mark active without invitation", "↓")
	checkBox(s)
	h.keys("up")
	h.waitText("› 12  Revoke invitation", "↑")
	h.keys("up", "up")
	s = h.waitText("› 10  Delete", "↑")
	// Numbers are right-aligned: the labels start in one column.
	if !strings.Contains(s, " 9  Unblock mail") {
		t.Errorf("item 9 is not aligned with item 10:\n%s", s)
	}
	checkBox(s)
	// The entry scrolled to works: enter on Delete asks.
	h.keys("enter")
	h.waitText("Delete ada (Ada Lovelace)?", "This cannot be undone.")
	h.keys("n")
	h.waitGone("cannot be undone")
}

// TestActionsMenuUnscrolledWhenItFits: a tall terminal shows every entry
// and no "more" note.
func TestActionsMenuUnscrolledWhenItFits(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 100, 30)
	h.waitText("Ada Lovelace")
	h.keys("a")
	s := h.waitText("Actions for ada", "Delete")
	if strings.Contains(boxText(s), "more") {
		t.Errorf("the menu scrolls though it fits:\n%s", s)
	}
}
