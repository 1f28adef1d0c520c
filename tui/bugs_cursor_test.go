package tui

import (
	"strings"
	"testing"
)

// cursorRow returns the list row under the cursor.
func cursorRow(s string) string {
	for _, r := range listRows(s) {
		if strings.HasPrefix(r, "›") {
			return r
		}
	}
	return ""
}

// Issue 16, bug 4: the cursor follows a user just added, and after a
// delete it stays on the row that took the deleted user's place.
func TestCursorFollows(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("n")
	h.focus("Username")
	h.typeText("zed")
	h.keys("tab")
	h.focus("Name")
	h.typeText("Zed Last")
	h.keys("tab", "tab", "tab") // past first and last name
	h.focus("E-mail")
	h.typeText("zed@example.com")
	h.waitText("✓ valid and free")
	h.keys("tab", "tab", "tab")
	h.focusSubmit()
	h.keys("enter")
	h.waitFor("the cursor on zed", func(s string) bool { return strings.Contains(cursorRow(s), "Zed Last") })

	h.keys("home", "down", "down") // Barbara, the third row
	h.waitFor("the cursor on Barbara", func(s string) bool { return strings.Contains(cursorRow(s), "Barbara") })
	h.keys("a", "6")
	h.waitText("Delete barbara")
	h.keys("y")
	h.waitText("Done: 1 deleted")
	h.keys("enter")
	h.waitFor("the cursor on Grace, now third", func(s string) bool {
		return strings.Contains(cursorRow(s), "Grace Hopper") && !strings.Contains(s, "Barbara")
	})
}
