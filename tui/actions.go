package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

type actionStep int

const (
	stepMenu actionStep = iota
	stepArg
	stepConfirm
	stepRunning
	stepDone
)

// actionsScreen walks one action through: choose it, choose its group or
// role, confirm, run in batches with progress, and show the summary.
type actionsScreen struct {
	c     *Common
	keys  ListKeys
	ids   []uint64
	acts  []menuEntry
	menu  int
	top   int // first menu entry shown when the menu scrolls
	step  actionStep
	act   menuEntry
	arg   string
	pick  *picker
	typed textinput.Model // the count typed to confirm a large delete

	done      int
	result    roster.BulkResult
	undo      []store.UndoUser // whom the action changed, as it found them (see undo.go)
	err       error
	cancelled bool
}

// batchMsg reports one finished batch.
type batchMsg struct {
	n    int
	res  roster.BulkResult
	err  error
	undo []store.UndoUser // the users changed, as the batch found them
}

func newActionsScreen(c *Common, ids []uint64) *actionsScreen {
	s := &actionsScreen{c: c, keys: NewListKeys(), ids: ids}
	for _, a := range c.Actions {
		if a.Hidden == nil || !a.Hidden(c) {
			if a.LabelFor != nil {
				if a.Label = a.LabelFor(c, ids); a.Label == "" {
					continue
				}
			}
			s.acts = append(s.acts, entryFor(c, a, ids))
		}
	}
	// Start on the first entry that applies, so enter does something.
	for i, a := range s.acts {
		if a.reason == "" {
			s.menu = i
			break
		}
	}
	s.typed = textinput.New()
	s.typed.Prompt = "> "
	s.typed.CharLimit = 12
	return s
}

// TakesText implements screen: while typing the count or running, the root
// leaves letters alone.
func (s *actionsScreen) TakesText() bool {
	return s.step == stepRunning || (s.step == stepConfirm && s.needsTyping()) ||
		(s.step == stepArg && s.pick != nil)
}

// Help implements screen.
func (s *actionsScreen) Help() help.KeyMap {
	switch s.step {
	case stepConfirm:
		if s.act.Danger {
			return keyMap{short: []key.Binding{kb("y", "yes", "y"), kb("n/esc", "no", "n")}}
		}
		return keyMap{short: []key.Binding{kb("y/enter", "yes", "y"), kb("n/esc", "no", "n")}}
	case stepRunning:
		return keyMap{short: []key.Binding{kb("esc", "cancel after this batch", "esc")}}
	case stepDone:
		return keyMap{short: []key.Binding{kb("enter/esc", "close", "enter")}}
	}
	return keyMap{short: []key.Binding{s.keys.Up, s.keys.Down, s.keys.Choose, s.keys.Back}}
}

func (s *actionsScreen) dialog() {}

func (s *actionsScreen) needsTyping() bool { return s.act.Danger && len(s.ids) > 1 }

// Update implements screen.
func (s *actionsScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case batchMsg:
		return s, s.batchDone(msg)
	case dataMsg:
		if s.pick != nil {
			s.pick.setItems(groupItems(s.c))
		}
		return s, nil
	case tea.KeyPressMsg:
		return s.key(msg)
	case tea.MouseClickMsg:
		if i, ok := s.menuAt(msg.Mouse().Y); ok && s.step == stepMenu {
			return s.choose(i)
		}
		return s, nil
	}
	if s.step == stepConfirm && s.needsTyping() {
		var cmd tea.Cmd
		s.typed, cmd = s.typed.Update(msg)
		return s, cmd
	}
	return s, nil
}

func (s *actionsScreen) key(msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := msg.String()
	if len(s.acts) == 0 {
		return asks(s, closeMsg{}), nil
	}
	switch s.step {
	case stepMenu:
		switch {
		case key.Matches(msg, s.keys.Up):
			s.menu = (s.menu + len(s.acts) - 1) % len(s.acts)
		case key.Matches(msg, s.keys.Down):
			s.menu = (s.menu + 1) % len(s.acts)
		case key.Matches(msg, s.keys.Back):
			return asks(s, closeMsg{}), nil
		case key.Matches(msg, s.keys.Choose):
			return s.choose(s.menu)
		case len(k) == 1 && k[0] >= '1' && k[0] <= '9':
			if i := int(k[0] - '1'); i < len(s.acts) {
				return s.choose(i)
			}
		}
	case stepArg:
		if s.act.Arg == ArgRole {
			switch {
			case key.Matches(msg, s.keys.Up):
				s.menu = (s.menu + len(roster.Roles) - 1) % len(roster.Roles)
			case key.Matches(msg, s.keys.Down):
				s.menu = (s.menu + 1) % len(roster.Roles)
			case key.Matches(msg, s.keys.Back):
				s.step = stepMenu
			case key.Matches(msg, s.keys.Choose):
				s.arg = roster.Roles[s.menu].String()
				return s.confirm()
			}
			return s, nil
		}
		item, done, cmd := s.pick.update(msg)
		if done {
			if item == nil {
				s.pick = nil
				s.step = stepMenu
				return s, nil
			}
			s.arg = item.label
			s.pick = nil
			return s.confirm()
		}
		return s, cmd
	case stepConfirm:
		if s.needsTyping() {
			switch k {
			case "esc":
				return asks(s, closeMsg{}), nil
			case "enter":
				if strings.TrimSpace(s.typed.Value()) == itoa(len(s.ids)) {
					return s.run()
				}
				s.typed.SetValue("")
				return s, nil
			}
			var cmd tea.Cmd
			s.typed, cmd = s.typed.Update(msg)
			return s, cmd
		}
		switch k {
		case "y", "Y":
			return s.run()
		case "enter":
			// Enter is not "yes" to what cannot be undone.
			if !s.act.Danger {
				return s.run()
			}
		case "n", "N", "esc", "q":
			return asks(s, closeMsg{}), nil
		}
	case stepRunning:
		if k == "esc" || k == "q" {
			s.cancelled = true
		}
	case stepDone:
		switch k {
		case "enter", "esc", "q", "space":
			summary, isErr := s.summary()
			return asks(s, closeMsg{}, say(summary, isErr)), nil
		}
	}
	return s, nil
}

func (s *actionsScreen) choose(i int) (screen, tea.Cmd) {
	s.menu = i
	if s.acts[i].reason != "" {
		return s, nil // disabled: the menu shows why
	}
	s.act = s.acts[i]
	if s.act.Open != nil {
		next, cmd := s.act.Open(s.c, s.ids)
		if next != nil {
			return asks(s, closeMsg{}, open(next, cmd)), nil
		}
		return asks(s, closeMsg{}), cmd
	}
	switch s.act.Arg {
	case ArgGroup:
		if len(s.c.snap.groups) == 0 {
			return asks(s, closeMsg{}, say("There are no groups yet: press G to add one", true)), nil
		}
		s.pick = newPicker(s.c, "Choose a group", groupItems(s.c), 0)
		s.step = stepArg
		return s, s.pick.focus()
	case ArgRole:
		s.menu = 0
		s.step = stepArg
		return s, nil
	}
	return s.confirm()
}

// confirm asks when the action changes more than one user or deletes;
// otherwise it runs at once.
func (s *actionsScreen) confirm() (screen, tea.Cmd) {
	if len(s.ids) == 1 && !s.act.Danger && !s.act.Confirm {
		return s.run()
	}
	s.step = stepConfirm
	if s.needsTyping() {
		s.typed.SetValue("")
		return s, s.typed.Focus()
	}
	return s, nil
}

func (s *actionsScreen) run() (screen, tea.Cmd) {
	s.step = stepRunning
	return s, s.batchCmd(0)
}

// batchCmd runs the batch starting at from, off the Update loop.
func (s *actionsScreen) batchCmd(from int) tea.Cmd {
	c, act, arg := s.c, s.act, s.arg
	ids := s.ids[from:min(len(s.ids), from+BatchSize)]
	return func() tea.Msg {
		var found []store.UndoUser
		if act.Undo != nil {
			found = undoUsers(c, ids)
		}
		res, err := act.Run(c, ids, arg)
		return batchMsg{n: len(ids), res: res, err: err, undo: changedOnly(found, res)}
	}
}

func (s *actionsScreen) batchDone(msg batchMsg) tea.Cmd {
	s.done += msg.n
	s.result.Changed = append(s.result.Changed, msg.res.Changed...)
	s.result.Skipped = append(s.result.Skipped, msg.res.Skipped...)
	if msg.err != nil {
		s.err = msg.err
	}
	s.undo = append(s.undo, msg.undo...)
	if s.err == nil && !s.cancelled && s.done < len(s.ids) {
		return s.batchCmd(s.done)
	}
	s.step = stepDone
	if len(s.undo) > 0 {
		s.c.remember(s.act.Action, s.arg, s.undo)
	}
	return func() tea.Msg { return reloadMsg{} }
}

// summary says what the action did, as one line.
func (s *actionsScreen) summary() (string, bool) {
	verb := s.act.Verb
	if s.arg != "" {
		verb += " " + s.arg
	}
	text := s.result.Summary(verb)
	if s.cancelled && s.done < len(s.ids) {
		text += "; cancelled with " + itoa(len(s.ids)-s.done) + " not done"
	}
	if s.err != nil {
		return text + "; stopped: " + roster.ErrorMessage(s.err), true
	}
	// A refusal is not a success: nobody changed, somebody skipped.
	if len(s.result.Changed) == 0 && len(s.result.Skipped) > 0 {
		return "Refused: " + text, true
	}
	return text, false
}

func (s *actionsScreen) who() string {
	if len(s.ids) == 1 {
		if i, ok := s.c.snap.indexOf(s.ids[0]); ok {
			u := s.c.snap.user(i)
			if u.Name == "" {
				return u.Username
			}
			name, w := s.c.cells.safe(u.Name)
			// A long name is cut so that the dialogs keep to the screen.
			if room := max(10, s.c.Width-20-len(u.Username)); w > room {
				name = s.c.cells.fit(name, w, room)
			}
			return u.Username + " (" + strings.TrimRight(name, " ") + ")"
		}
	}
	return plural(len(s.ids), "user")
}

// menuAt returns the menu entry drawn on screen row y: the box is centred
// in the body under the one-line header (see Common.overlay); entries
// start under the border, the padding, the title and a blank line.
func (s *actionsScreen) menuAt(y int) (int, bool) {
	boxH := strings.Count(s.View(), "\n") + 1
	top := 1 + max(0, (s.c.bodyHeight()-boxH)/2)
	from, to := s.menuWindow()
	i := from + y - (top + 4)
	return i, i >= from && i < to
}

// menuChrome is how many lines of the menu's box are not entries: the
// border and padding (4), the title and the blank line under it.
const menuChrome = 6

// menuWindow returns the menu entries that fit the body, from to to
// (exclusive), keeping the cursor in view; when they do not all fit, one
// line is kept for the "more" note.
func (s *actionsScreen) menuWindow() (from, to int) {
	n := len(s.acts)
	rows := s.c.bodyHeight() - menuChrome
	if n <= rows {
		s.top = 0
		return 0, n
	}
	rows = max(1, rows-1)
	s.top = max(0, min(s.top, n-rows))
	if s.menu < s.top {
		s.top = s.menu
	}
	if s.menu >= s.top+rows {
		s.top = s.menu - rows + 1
	}
	return s.top, s.top + rows
}

// View implements screen.
func (s *actionsScreen) View() string {
	st := s.c.Styles.App
	var b strings.Builder
	switch s.step {
	case stepMenu:
		b.WriteString(st.DialogTitle.Render("Actions for " + s.who()))
		b.WriteString("\n\n")
		from, to := s.menuWindow()
		numW := len(itoa(len(s.acts)))
		for i := from; i < to; i++ {
			a := s.acts[i]
			num := itoa(i + 1)
			line := strings.Repeat(" ", numW-len(num)) + num + "  " + a.Label
			if a.reason == "" && len(s.ids) > 1 {
				line += " (" + itoa(a.count) + ")"
			}
			mark := "  "
			if i == s.menu {
				mark = "› "
			}
			line = mark + line
			reason := ""
			if a.reason != "" {
				// The reason is cut, never wrapped: one line per entry.
				room := s.c.Width - 10 - s.c.cells.width(line)
				reason, _ = s.c.cells.cut(" — "+a.reason, max(0, room))
			}
			switch {
			case i == s.menu:
				b.WriteString(s.c.Styles.List.Cursor.Render(line) + st.Muted.Render(reason))
			case a.reason != "":
				b.WriteString(st.Muted.Render(line + reason))
			case a.Danger:
				b.WriteString("  " + st.Error.Render(line[len(mark):]))
			default:
				b.WriteString(line)
			}
			b.WriteByte('\n')
		}
		if from > 0 || to < len(s.acts) {
			var more []string
			if from > 0 {
				more = append(more, "↑ "+itoa(from)+" more")
			}
			if to < len(s.acts) {
				more = append(more, "↓ "+itoa(len(s.acts)-to)+" more")
			}
			b.WriteString(st.Muted.Render("  " + strings.Join(more, " · ")))
		}
	case stepArg:
		if s.act.Arg == ArgRole {
			b.WriteString(st.DialogTitle.Render("Give " + s.who() + " the role"))
			b.WriteString("\n\n")
			for i, r := range roster.Roles {
				if i == s.menu {
					b.WriteString(s.c.Styles.List.Cursor.Render("› " + r.String()))
				} else {
					b.WriteString("  " + r.String())
				}
				b.WriteByte('\n')
			}
		} else {
			b.WriteString(s.pick.view(min(12, s.c.bodyHeight()-6)))
		}
	case stepConfirm:
		q := strings.TrimSuffix(s.act.Label, "…") + " " + s.who()
		if s.arg != "" {
			q += " (" + s.arg + ")"
		}
		q += "?"
		if s.act.Question != nil {
			q = s.act.Question(s.who(), s.arg)
		}
		b.WriteString(st.DialogTitle.Render(q))
		b.WriteString("\n\n")
		if s.act.Danger {
			b.WriteString(st.Error.Render("This cannot be undone.") + "\n\n")
		}
		if s.needsTyping() {
			b.WriteString("Type " + st.Key.Render(itoa(len(s.ids))) + " and press enter to confirm, esc to cancel.\n\n")
			b.WriteString(s.typed.View())
		} else {
			b.WriteString(st.Key.Render("y") + " yes    " + st.Key.Render("n") + " no")
		}
	case stepRunning:
		b.WriteString(st.DialogTitle.Render(strings.TrimSuffix(s.act.Label, "…") + " " + s.who()))
		b.WriteString("\n\n")
		b.WriteString(s.c.bar(float64(s.done)/float64(len(s.ids)), 40))
		b.WriteString("\n" + st.Muted.Render(itoa(s.done)+" of "+itoa(len(s.ids))+" done"))
		if s.cancelled {
			b.WriteString("\n" + st.Warn.Render("Cancelling after this batch…"))
		} else {
			b.WriteString("\n" + st.Muted.Render("esc cancels after the current batch"))
		}
	case stepDone:
		text, isErr := s.summary()
		if isErr {
			b.WriteString(st.Error.Render("✗ " + text))
		} else {
			b.WriteString(st.Success.Render("✓ Done: " + text))
		}
		b.WriteString("\n\n" + st.Muted.Render("enter to close"))
	}
	return s.c.box(strings.TrimRight(b.String(), "\n"))
}
