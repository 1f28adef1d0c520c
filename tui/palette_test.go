package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

// Ensure the command palette (: or ctrl+p) lists the keys with what they
// do, filters as you type, and enter does what the key does.
func TestCommandPalette(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys(":")
	h.waitText("Commands", "next status")
	h.typeText("by role")
	h.waitBoxGone("next status")
	h.keys("enter")
	h.waitText("role: owner")
	h.tm.Send(tea.KeyPressMsg{Code: 'p', Mod: tea.ModCtrl})
	h.waitText("Commands")
	h.typeText("audit")
	h.keys("enter")
	h.waitText("Audit log", "newest first")
}
