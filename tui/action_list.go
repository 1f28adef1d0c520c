package tui

// What the actions menu offers: the actions, whom each applies to, and the
// menu entry (label, count, reason) built for a selection. The screen that
// shows them and runs the chosen one is actions.go.

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// ActionArg is what an action needs chosen before it runs.
type ActionArg int

// Arguments an action can ask for.
const (
	ArgNone  ActionArg = iota
	ArgGroup           // a group, from the group picker
	ArgRole            // a role
)

// Action is one entry of the actions menu. Other parts of Roster append
// their own through Options.Actions.
type Action struct {
	Label string // menu text: "Disable"
	Verb  string // past tense for the summary: "disabled"; the chosen group or role follows it
	// Question, when set, asks for confirmation ("Add 3 users to sales?");
	// who names the users, arg is the chosen group or role. The default is
	// the label, who and arg.
	Question func(who, arg string) string
	Arg      ActionArg // what to ask before running
	Danger   bool      // destroys data: always confirmed, and the count typed for more than one user
	// Hidden, when set and true, leaves the action out of the menu.
	Hidden func(c *Common) bool
	// Run does the work for one batch of users; arg is the chosen group
	// name or role name. Long selections are run in batches.
	Run func(c *Common, ids []uint64, arg string) (roster.BulkResult, error)
	// Open, when set, replaces Run: choosing the action opens the screen it
	// returns (for work with its own confirmation and progress, such as
	// sending mail).
	Open func(c *Common, ids []uint64) (screen, tea.Cmd)
	// LabelFor, when set, names the action for these users ("Re-send
	// invitation" when every one was sent one before); "" leaves it out.
	LabelFor func(c *Common, ids []uint64) string
	// Skip, when set, says why the action would leave u alone ("" when it
	// applies). The menu counts whom it applies to ("Send invitation (3)")
	// and shows it disabled, with the reason, when nobody.
	Skip func(c *Common, u *roster.User) string
	// Single marks an action for one user at a time.
	Single bool
	// Confirm asks even for one user (the action is easy to mistake for another).
	Confirm bool
	// Undo, when set, says what Run sets for arg, so that `u` can take the
	// change back (see undo.go); the users are recorded as Run finds them.
	Undo func(arg string) store.BulkUndo
}

// menuEntry is an action as the menu shows it for the chosen users.
type menuEntry struct {
	Action
	count  int    // users it applies to
	reason string // why it applies to nobody ("" when it applies)
}

// entryFor works out whom a applies to among ids.
func entryFor(c *Common, a Action, ids []uint64) menuEntry {
	e := menuEntry{Action: a, count: len(ids)}
	switch {
	case a.Single && len(ids) != 1:
		e.count, e.reason = 0, "for one user at a time"
	case a.Skip != nil && c.snap != nil:
		e.count = 0
		reasons := map[string]int{}
		for _, id := range ids {
			i, ok := c.snap.indexOf(id)
			if !ok {
				continue
			}
			if r := a.Skip(c, c.snap.user(i)); r != "" {
				reasons[r]++
				continue
			}
			e.count++
		}
		if e.count == 0 {
			e.reason = commonest(reasons)
		}
	}
	return e
}

// commonest returns the key with the highest count, the first by name on a tie.
func commonest(m map[string]int) string {
	best, n := "", 0
	for k, v := range m {
		if v > n || (v == n && k < best) {
			best, n = k, v
		}
	}
	return best
}

// maySkip asks the rule table whether the actor may do op to u: "" when
// so, else the reason, short, for the menu ("needs the owner role").
func maySkip(c *Common, op roster.Op, u *roster.User) string {
	err := c.Actor.May(op, u)
	if err == nil {
		return ""
	}
	msg := roster.ErrorMessage(err)
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return strings.TrimPrefix(msg, "that ")
}

// opSkip is a Skip that asks only the rule table.
func opSkip(op roster.Op) func(c *Common, u *roster.User) string {
	return func(c *Common, u *roster.User) string { return maySkip(c, op, u) }
}

// BatchSize is how many users one transaction of a bulk action changes.
const BatchSize = 500

func builtinActions(sv Services) []Action {
	acts := []Action{
		{Label: "Mark active without invitation", Verb: "marked active", Confirm: true,
			Question: func(who, _ string) string {
				return "Mark " + who + " active without an invitation? They get no e-mail and have no password until one is set."
			},
			Skip: func(c *Common, u *roster.User) string {
				if u.Status == roster.StatusActive {
					return "already active"
				}
				return maySkip(c, roster.OpSetStatus, u)
			},
			Run: func(c *Common, ids []uint64, _ string) (roster.BulkResult, error) {
				return c.DB.SetStatus(c.Actor, ids, roster.StatusActive)
			},
			Undo: func(string) store.BulkUndo {
				return store.BulkUndo{Field: store.UndoStatus, Status: roster.StatusActive}
			}},
		{Label: "Disable", Verb: "disabled",
			Skip: func(c *Common, u *roster.User) string {
				if u.Status == roster.StatusDisabled {
					return "already disabled"
				}
				return maySkip(c, roster.OpSetStatus, u)
			},
			Run: func(c *Common, ids []uint64, _ string) (roster.BulkResult, error) {
				return c.DB.SetStatus(c.Actor, ids, roster.StatusDisabled)
			},
			Undo: func(string) store.BulkUndo {
				return store.BulkUndo{Field: store.UndoStatus, Status: roster.StatusDisabled}
			}},
		{Label: "Add to group…", Verb: "added to", Arg: ArgGroup, Skip: opSkip(roster.OpMembership), Question: func(who, g string) string { return "Add " + who + " to " + g + "?" }, Run: func(c *Common, ids []uint64, g string) (roster.BulkResult, error) {
			return c.DB.AddToGroup(c.Actor, ids, g)
		}, Undo: func(g string) store.BulkUndo { return store.BulkUndo{Field: store.UndoGroupAdd, Group: g} }},
		{Label: "Remove from group…", Verb: "removed from", Arg: ArgGroup, Skip: opSkip(roster.OpMembership), Question: func(who, g string) string { return "Remove " + who + " from " + g + "?" }, Run: func(c *Common, ids []uint64, g string) (roster.BulkResult, error) {
			return c.DB.RemoveFromGroup(c.Actor, ids, g)
		}, Undo: func(g string) store.BulkUndo { return store.BulkUndo{Field: store.UndoGroupRemove, Group: g} }},
		{Label: "Change role…", Verb: "made", Arg: ArgRole, Skip: opSkip(roster.OpSetRole), Question: func(who, r string) string { return "Make " + who + " " + r + "?" }, Run: func(c *Common, ids []uint64, r string) (roster.BulkResult, error) {
			role, err := roster.ParseRole(r)
			if err != nil {
				return roster.BulkResult{}, err
			}
			return c.DB.SetRole(c.Actor, ids, role)
		}, Undo: func(r string) store.BulkUndo {
			role, _ := roster.ParseRole(r)
			return store.BulkUndo{Field: store.UndoRole, Role: role}
		}},
	}
	if sv.Mail != nil {
		acts = append(acts, mailActions()...)
	}
	return append(acts, Action{Label: "Delete", Verb: "deleted", Danger: true, Skip: opSkip(roster.OpDeleteUser), Run: func(c *Common, ids []uint64, _ string) (roster.BulkResult, error) {
		return c.DB.DeleteUsers(c.Actor, ids)
	}})
}
