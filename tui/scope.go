package tui

import (
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// loadFor loads what actor sees, with the actor as the database has them
// now. A group manager gets a copy of their own: the store returns only
// their groups' users and their groups, so the list, its group filter,
// the form's group picker and the counts show nothing else, and the menus
// ask the table with their current scope. Everyone else gets the shared
// copy when there is one.
func loadFor(db *store.DB, shared *Shared, actor roster.Actor) loadedMsg {
	a, err := db.Resolve(actor)
	if err != nil {
		return loadedMsg{err: err, actor: actor}
	}
	var snap *snapshot
	if shared != nil && !a.IsManager() {
		snap, err = shared.load(a)
	} else {
		snap, err = loadSnapshot(db, a)
	}
	return loadedMsg{snap: snap, err: err, actor: a}
}
