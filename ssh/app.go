package ssh

import (
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/tui"
)

// TerminalApp runs Roster's terminal app as the session's user: those the
// power table lets list users (admins and owners) get the administration
// app, everyone else My account (their details, sign-ins and keys). The
// table is asked with the role the file has at sign-in; the store asks it
// again on every read and change. Every session shares one
// loaded copy of the users, so twenty sessions do not hold twenty copies
// nor reload twenty times when the database changes.
func TerminalApp(db *store.DB, services tui.Services) App {
	shared := tui.NewShared(db)
	return func(s Session) tea.Model {
		o := tui.Options{DB: db, Actor: s.Actor, Services: services, DarkBackground: true, Shared: shared}
		if db.May(s.Actor, roster.OpListUsers, 0) != nil {
			return tui.NewAccount(o)
		}
		return tui.New(o)
	}
}

// defaultApp is TerminalApp without mail.
func defaultApp(db *store.DB) App { return TerminalApp(db, tui.Services{}) }
