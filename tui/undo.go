package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Undo (u, and the palette): the last bulk change of status, role or
// group this session made is taken back, after a question naming what
// goes back for whom, through the store as one audited operation
// (store.DB.Undo), which asks the power table per user and skips, naming
// them, users changed by someone else since.

// lastChange is the session's last bulk change that can be undone.
type lastChange struct {
	label string // the action as the menu named it, with its group or role: "Disable", "Add to group sales"
	undo  store.BulkUndo
}

// remember records a bulk change for undo: the action and the users it
// changed, as it found them. Only the last change is kept.
func (c *Common) remember(act Action, arg string, users []store.UndoUser) {
	label := strings.TrimSuffix(act.Label, "…")
	if arg != "" {
		label += " " + arg
	}
	u := act.Undo(arg)
	u.Users = users
	c.last = &lastChange{label: label, undo: u}
}

// undoUsers reads the users as they are before a change, for undo.
func undoUsers(c *Common, ids []uint64) []store.UndoUser {
	out := make([]store.UndoUser, 0, len(ids))
	for _, id := range ids {
		u, err := c.DB.User(c.Actor, id)
		if err != nil {
			continue // the change will say why
		}
		out = append(out, store.UndoUser{ID: u.ID, Username: u.Username, Status: u.Status, ActivatedAt: u.ActivatedAt, Role: u.Role})
	}
	return out
}

// changedOnly keeps the users a change changed.
func changedOnly(found []store.UndoUser, res roster.BulkResult) []store.UndoUser {
	changed := make(map[string]bool, len(res.Changed))
	for _, name := range res.Changed {
		changed[name] = true
	}
	out := found[:0]
	for _, u := range found {
		if changed[u.Username] {
			out = append(out, u)
		}
	}
	return out
}

// undoScreen asks before taking the last change back, and does it.
type undoScreen struct {
	c    *Common
	last *lastChange
	busy bool
}

type undoDoneMsg struct {
	res roster.BulkResult
	err error
}

func newUndoScreen(c *Common) *undoScreen { return &undoScreen{c: c, last: c.last} }

func (s *undoScreen) dialog() {}

// TakesText implements screen: nothing is typed, but keys wait while busy.
func (s *undoScreen) TakesText() bool { return s.busy }

// Help implements screen.
func (s *undoScreen) Help() help.KeyMap {
	return keyMap{short: []key.Binding{kb("y", "undo", "y"), kb("n/esc", "cancel", "n", "esc")}}
}

// Update implements screen.
func (s *undoScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case undoDoneMsg:
		s.c.last = nil // tried: what is left is the audit log's
		if msg.err != nil {
			return asks(s, closeMsg{}, say("Nothing was undone: "+roster.ErrorMessage(msg.err), true), reloadMsg{}), nil
		}
		text, isErr := undoSummary(msg.res)
		return asks(s, closeMsg{}, say(text, isErr), reloadMsg{}), nil
	case tea.KeyPressMsg:
		if s.busy {
			return s, nil
		}
		switch msg.String() {
		case "y", "Y":
			s.busy = true
			db, actor, u := s.c.DB, s.c.Actor, s.last.undo
			return s, func() tea.Msg {
				res, err := db.Undo(actor, u)
				return undoDoneMsg{res: res, err: err}
			}
		case "n", "N", "esc":
			return asks(s, closeMsg{}), nil
		}
	}
	return s, nil
}

// undoSummary says what went back and names whom it skipped, and why.
func undoSummary(res roster.BulkResult) (string, bool) {
	text := "Undone: " + plural(len(res.Changed), "user") + " changed back"
	if len(res.Changed) == 0 {
		text = "Nothing undone"
	}
	if len(res.Skipped) > 0 {
		names := make([]string, 0, len(res.Skipped))
		for i, sk := range res.Skipped {
			if i == 5 {
				names = append(names, "and "+itoa(len(res.Skipped)-5)+" more")
				break
			}
			names = append(names, sk.Target+" ("+sk.Reason+")")
		}
		text += "; skipped " + strings.Join(names, ", ")
	}
	return text, len(res.Changed) == 0
}

// View implements screen: the question, naming what goes back for whom.
func (s *undoScreen) View() string {
	st := s.c.Styles.App
	u := s.last.undo
	var b strings.Builder
	b.WriteString(st.DialogTitle.Render("Undo “" + s.last.label + "” (" + plural(len(u.Users), "user") + ")?"))
	b.WriteString("\n\n")
	for _, line := range undoLines(u) {
		b.WriteString(line + "\n")
	}
	b.WriteString("\n" + st.Muted.Render("Users changed by someone else since are left as they are."))
	b.WriteString("\n\n")
	if s.busy {
		b.WriteString(st.Muted.Render("Undoing…"))
	} else {
		b.WriteString(st.Key.Render("y") + " undo    " + st.Key.Render("n") + " cancel")
	}
	return s.c.box(b.String())
}

// undoLines says, per value going back, whom it concerns: "ada, bob: back
// to pending".
func undoLines(u store.BulkUndo) []string {
	var order []string
	who := map[string][]string{}
	for _, x := range u.Users {
		var what string
		switch u.Field {
		case store.UndoStatus:
			what = "back to " + x.Status.String()
		case store.UndoRole:
			what = "back to " + x.Role.String()
		case store.UndoGroupAdd:
			what = "out of " + u.Group + " again"
		case store.UndoGroupRemove:
			what = "back into " + u.Group
		}
		if who[what] == nil {
			order = append(order, what)
		}
		who[what] = append(who[what], x.Username)
	}
	lines := make([]string, len(order))
	for i, what := range order {
		names := who[what]
		list := strings.Join(names[:min(len(names), 5)], ", ")
		if len(names) > 5 {
			list += " and " + itoa(len(names)-5) + " more"
		}
		lines[i] = list + ": " + what
	}
	return lines
}
