package tui

import "testing"

// Ensure the footer's selection count, kept up to date as the selection
// and the view change, says how many are selected and how many the
// filter hides.
func TestSelectionCountKeptUpToDate(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("space", "space") // ada (active), alan (pending)
	h.waitText("2 selected")
	h.keys("3") // Active: alan hidden
	h.waitText("2 selected (1 hidden by the filter)")
	h.keys("ctrl+a") // every active user: ada was, grace joins
	h.waitText("3 selected (1 hidden by the filter)")
	h.keys("ctrl+a") // all shown were selected: clears
	h.waitGone("selected")
	h.keys("1", "space")
	h.waitText("1 selected")
	h.keys("esc")
	h.waitGone("selected")
}
