package ssh

import (
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/tui"
)

// TerminalApp runs Roster's terminal app as the session's user: the app
// appFor gives the user's role. The server makes a new one when the role
// changes, and the store checks the current role on every operation.
// Every session shares one loaded copy of the users, so twenty sessions
// do not hold twenty copies nor reload twenty times when the database
// changes.
func TerminalApp(db *store.DB, services tui.Services) App {
	shared := tui.NewShared(db)
	return func(s Session) tea.Model {
		// A member who manages groups gets the administration app, scoped
		// to their groups: the table decides with their scope from the file.
		actor := s.Actor
		if a, err := db.Resolve(actor); err == nil {
			actor = a
		}
		o := tui.Options{DB: db, Actor: actor, Services: services, DarkBackground: true, Shared: shared}
		if appFor(actor) == appAccount {
			return tui.NewAccount(o)
		}
		return tui.New(o)
	}
}

// appKind is which of Roster's terminal apps a session runs.
type appKind int

const (
	appAccount appKind = iota // My account: the user's own details and keys
	appAdmin                  // the administration app: the user list and the rest
)

// appFor asks the power table which app actor gets: the administration
// app to those who may list users, My account to everyone else. The
// server gives it the role the database has now.
func appFor(actor roster.Actor) appKind {
	if actor.May(roster.OpListUsers, nil) != nil {
		return appAccount
	}
	return appAdmin
}

// defaultApp is TerminalApp without mail.
func defaultApp(db *store.DB) App { return TerminalApp(db, tui.Services{}) }
