package tui

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Ensure u takes the session's last bulk change back after a question
// naming what goes back for whom, in one store operation, skipping and
// naming a user someone else changed since; the palette offers it too.
func TestUndoLastBulkChange(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("u")
	h.waitText("Nothing to undo")

	h.keys("ctrl+a", "a", "2") // Disable all five: ken is already disabled
	h.waitText("Disable 5 users?")
	h.keys("y")
	h.waitText("Done: 4 disabled")
	h.keys("enter")
	// Someone else activates grace meanwhile.
	setStatus(t, db, roster.StatusActive, h.user("grace"))

	h.keys("esc", ":") // clear the selection; undo from the palette
	h.typeText("undo")
	h.waitText("undo the last change")
	h.keys("enter")
	s := h.waitText("Undo “Disable” (4 users)?")
	box := boxText(s)
	for _, want := range []string{"ada, grace: back to active", "alan, barbara: back to pending"} {
		if !strings.Contains(box, want) {
			t.Errorf("question lacks %q:\n%s", want, box)
		}
	}
	h.keys("y")
	h.waitText("✓ Undone: 3 users changed back; skipped grace (changed since: now active)")
	for name, want := range map[string]roster.Status{"ada": roster.StatusActive, "alan": roster.StatusPending,
		"barbara": roster.StatusPending, "grace": roster.StatusActive, "ken": roster.StatusDisabled} {
		if got := h.user(name).Status; got != want {
			t.Errorf("%s is %s, want %s", name, got, want)
		}
	}
	// One audited operation.
	evs, err := db.AuditEvents(testActor, store.AuditFilter{Limit: 1})
	if err != nil || len(evs) != 1 || evs[0].Action != roster.ActionUserUndo || len(evs[0].Targets) != 3 {
		t.Errorf("last audit event %+v, %v", evs, err)
	}
	// Undone once: nothing is left to undo.
	h.keys("u")
	h.waitText("Nothing to undo")
}
