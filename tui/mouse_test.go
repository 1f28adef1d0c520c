package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func (h *harness) click(x, y int) {
	h.tm.Send(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft})
}

// rowOf returns the screen row showing text.
func rowOf(t *testing.T, s, text string) int {
	t.Helper()
	for i, l := range strings.Split(s, "\n") {
		if strings.Contains(l, text) {
			return i
		}
	}
	t.Fatalf("no %q on the screen:\n%s", text, s)
	return -1
}

// Ensure a click on a row moves the cursor there and a second opens the
// details; a click on a tab picks it; the wheel moves; a click on a menu
// entry chooses it.
func TestMouse(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	s := h.waitText("Ada Lovelace")
	y := rowOf(t, s, "Grace Hopper")
	h.click(10, y)
	h.waitFor("the cursor on Grace", func(s string) bool { return strings.Contains(cursorRow(s), "Grace") })
	h.tm.Send(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	h.waitFor("the cursor on Ada", func(s string) bool { return strings.Contains(cursorRow(s), "Ada") })
	h.click(10, rowOf(t, h.screen(), "Grace Hopper"))
	h.click(10, rowOf(t, h.screen(), "Grace Hopper"))
	h.waitText("grace@example.com", "History")
	h.keys("esc")
	s = h.waitText("5 shown")
	h.click(strings.Index(strings.Split(s, "\n")[1], "3 Active")+2, 1)
	h.waitText("2 shown")
	h.keys("a")
	s = h.waitText("Actions for grace", "Disable")
	h.click(50, rowOf(t, s, "2  Disable"))
	h.waitText("Done: 1 disabled")
}
