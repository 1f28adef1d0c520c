package ssh

import (
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/tui"
)

// defaultApp runs Roster's terminal app as the session's user.
func defaultApp(db *store.DB) App {
	return func(s Session) tea.Model {
		return tui.New(tui.Options{DB: db, Actor: s.Actor, DarkBackground: true})
	}
}
