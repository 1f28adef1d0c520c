package ssh

import (
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/tui"
)

// TerminalApp runs Roster's terminal app as the session's user: members
// get My account (their details, sign-ins and keys), admins and owners the
// administration app. The role is the one the user had at sign-in; the
// store checks the current one on every change. Every session shares one
// loaded copy of the users, so twenty sessions do not hold twenty copies
// nor reload twenty times when the database changes.
func TerminalApp(db *store.DB, services tui.Services) App {
	shared := tui.NewShared(db)
	return func(s Session) tea.Model {
		o := tui.Options{DB: db, Actor: s.Actor, Services: services, DarkBackground: true, Shared: shared}
		if s.Actor.Role < roster.RoleAdmin {
			return tui.NewAccount(o)
		}
		return tui.New(o)
	}
}

// defaultApp is TerminalApp without mail.
func defaultApp(db *store.DB) App { return TerminalApp(db, tui.Services{}) }
