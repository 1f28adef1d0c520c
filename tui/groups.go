package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
)

// groupPickerScreen chooses the group the user list shows.
type groupPickerScreen struct {
	c    *Common
	pick *picker
}

func newGroupPicker(c *Common, current uint64) *groupPickerScreen {
	items := append([]pickItem{{label: "Any group", detail: c.Styles.App.Muted.Render(plural(len(c.snap.rows), "user"))}}, groupItems(c)...)
	s := &groupPickerScreen{c: c, pick: newPicker(c, "Show the users of group", items, current)}
	s.pick.input.Focus()
	return s
}

// TakesText implements screen.
func (s *groupPickerScreen) TakesText() bool { return true }

func (s *groupPickerScreen) dialog() {}

// Help implements screen.
func (s *groupPickerScreen) Help() help.KeyMap {
	return keyMap{short: []key.Binding{kb("type", "filter", "x"), kb("↑/↓", "move", "up"), kb("enter", "show", "enter"), kb("esc/q", "back", "esc")}}
}

// Update implements screen.
func (s *groupPickerScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case dataMsg:
		items := append([]pickItem{{label: "Any group"}}, groupItems(s.c)...)
		s.pick.setItems(items)
	case tea.KeyPressMsg:
		it, done, cmd := s.pick.update(msg)
		if done {
			if it == nil {
				return asks(s, closeMsg{}), nil
			}
			gid := it.id
			return asks(s, closeMsg{}, groupFilterMsg{gid}), nil
		}
		return s, cmd
	}
	return s, nil
}

// View implements screen.
func (s *groupPickerScreen) View() string {
	return s.c.box(s.pick.view(min(14, s.c.bodyHeight()-8)))
}

type groupsMode int

const (
	groupsList groupsMode = iota
	groupsAdd
	groupsRename
	groupsDelete
	groupsNest     // choosing the group to nest the target in (groups_tree.go)
	groupsManagers // choosing a user to make or unmake the target's manager
)

// groupsScreen manages the groups themselves: add, rename, delete.
type groupsScreen struct {
	c      *Common
	keys   groupsKeys
	cursor int
	mode   groupsMode
	input  textinput.Model
	target *roster.Group
	err    string
	tkeys  treeKeys
	pick   *picker // groupsNest, groupsManagers
}

type groupsKeys struct {
	Up, Down, Add, Rename, Delete, Show, Back key.Binding
}

func newGroupsScreen(c *Common) *groupsScreen {
	in := textinput.New()
	in.Prompt = "name: "
	in.CharLimit = roster.MaxGroupNameLen
	return &groupsScreen{c: c, input: in, tkeys: newTreeKeys(), keys: groupsKeys{
		Up:     kb("↑/k", "up", "up", "k"),
		Down:   kb("↓/j", "down", "down", "j"),
		Add:    kb("n", "new group", "n", "+"),
		Rename: kb("r", "rename", "r"),
		Delete: kb("d", "delete", "d", "delete"),
		Show:   kb("enter", "show its users", "enter"),
		Back:   kb("esc/q", "back", "esc"),
	}}
}

// TakesText implements screen.
func (s *groupsScreen) TakesText() bool {
	return s.mode == groupsAdd || s.mode == groupsRename || s.mode == groupsNest || s.mode == groupsManagers
}

// Help implements screen.
func (s *groupsScreen) Help() help.KeyMap {
	k := s.keys
	switch s.mode {
	case groupsAdd, groupsRename:
		return keyMap{short: []key.Binding{kb("enter", "save", "enter"), kb("esc", "cancel", "esc")}}
	case groupsDelete:
		return keyMap{short: []key.Binding{kb("esc", "keep the group", "esc")}}
	case groupsNest, groupsManagers:
		return keyMap{short: []key.Binding{kb("type", "filter", "x"), kb("enter", "choose", "enter"), kb("esc", "cancel", "esc")}}
	}
	t := s.tkeys
	return keyMap{
		short: []key.Binding{k.Add, k.Rename, k.Delete, t.Nest, t.Unnest, t.Managers, k.Show, k.Back},
		full:  [][]key.Binding{{k.Up, k.Down, k.Show}, {k.Add, k.Rename, k.Delete, k.Back}, {t.Nest, t.Unnest, t.Managers}},
	}
}

// groupDoneMsg reports a finished group change.
type groupDoneMsg struct {
	text string
	err  error
}

// groups returns the groups in the tree's order, one per line.
func (s *groupsScreen) groups() []*roster.Group {
	rows := groupTree(s.c.snap)
	gs := make([]*roster.Group, len(rows))
	for i, r := range rows {
		gs[i] = r.g
	}
	return gs
}

// Update implements screen.
func (s *groupsScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case dataMsg:
		s.cursor = max(0, min(s.cursor, len(s.groups())-1))
		// A dialog opened before the reload arrived names the group as
		// it is now (renamed, or with other members).
		if s.target != nil && s.c.snap != nil {
			if g := s.c.snap.groupByID[s.target.ID]; g != nil {
				s.target = g
			}
		}
	case groupDoneMsg:
		if msg.err != nil {
			s.err = plainErr(msg.err).Error()
			return s, nil
		}
		s.mode, s.err = groupsList, ""
		return asks(s, say(msg.text, false)), func() tea.Msg { return reloadMsg{} }
	case tea.KeyPressMsg:
		return s.key(msg)
	case tea.PasteMsg:
		if s.TakesText() {
			var cmd tea.Cmd
			s.input, cmd = s.input.Update(msg)
			return s, cmd
		}
	}
	return s, nil
}

func (s *groupsScreen) key(msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := s.keys
	gs := s.groups()
	switch s.mode {
	case groupsAdd, groupsRename:
		switch msg.String() {
		case "esc":
			s.mode, s.err = groupsList, ""
			return s, nil
		case "enter":
			name := strings.TrimSpace(s.input.Value())
			if err := roster.ValidateGroupName(name); err != nil {
				s.err = plainErr(err).Error()
				return s, nil
			}
			return s, s.saveCmd(name)
		}
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		s.err = ""
		return s, cmd
	case groupsNest, groupsManagers:
		return s.pickKey(msg)
	case groupsDelete:
		switch msg.String() {
		case "y", "r":
			return s, s.deleteCmd(s.target.Name, s.target.Members > 0)
		case "n", "esc", "q":
			s.mode, s.err = groupsList, ""
		}
		return s, nil
	}
	switch {
	case key.Matches(msg, k.Up):
		s.cursor = max(0, s.cursor-1)
	case key.Matches(msg, k.Down):
		s.cursor = max(0, min(len(gs)-1, s.cursor+1))
	case key.Matches(msg, k.Back):
		return asks(s, closeMsg{}), nil
	case key.Matches(msg, k.Add):
		s.mode, s.err, s.target = groupsAdd, "", nil
		s.input.SetValue("")
		return s, s.input.Focus()
	case len(gs) == 0:
	case key.Matches(msg, k.Rename):
		s.mode, s.err, s.target = groupsRename, "", gs[s.cursor]
		s.input.SetValue(s.target.Name)
		s.input.CursorEnd()
		return s, s.input.Focus()
	case key.Matches(msg, k.Delete):
		s.mode, s.err, s.target = groupsDelete, "", gs[s.cursor]
	case key.Matches(msg, k.Show):
		gid := gs[s.cursor].ID
		return asks(s, closeMsg{}, groupFilterMsg{gid}), nil
	default:
		if cmd, ok := s.treeKey(msg, groupTree(s.c.snap)[s.cursor]); ok {
			return s, cmd
		}
	}
	return s, nil
}

func (s *groupsScreen) saveCmd(name string) tea.Cmd {
	c, mode, target := s.c, s.mode, s.target
	return func() tea.Msg {
		if mode == groupsAdd {
			_, err := c.DB.CreateGroup(c.Actor, name, "")
			return groupDoneMsg{text: "Group " + name + " added", err: err}
		}
		_, err := c.DB.UpdateGroup(c.Actor, target.Name, name, nil)
		return groupDoneMsg{text: "Group " + target.Name + " renamed to " + name, err: err}
	}
}

func (s *groupsScreen) deleteCmd(name string, removeMembers bool) tea.Cmd {
	c := s.c
	return func() tea.Msg {
		err := c.DB.DeleteGroup(c.Actor, name, removeMembers)
		return groupDoneMsg{text: "Group " + name + " deleted", err: err}
	}
}

// View implements screen.
func (s *groupsScreen) View() string {
	st := s.c.Styles
	var b strings.Builder
	switch s.mode {
	case groupsAdd, groupsRename:
		if s.mode == groupsAdd {
			b.WriteString("New group\n")
		} else {
			b.WriteString("Rename " + s.target.Name + " to\n")
		}
		b.WriteString(s.input.View())
		if s.err != "" {
			b.WriteString("\n" + st.Form.Invalid.Render("✗ "+s.err))
		}
		return s.c.overlay(s.listView(), s.c.box(b.String()))
	case groupsDelete:
		g := s.target
		if g.Members > 0 {
			b.WriteString(st.App.Warn.Render("Group "+g.Name+" has "+plural(g.Members, "member")+".") + "\n\n")
			b.WriteString(st.App.Key.Render("r") + "    remove the memberships and delete the group\n")
			b.WriteString(st.App.Key.Render("esc") + "  keep the group")
		} else {
			b.WriteString("Delete the empty group " + g.Name + "?\n\n")
			b.WriteString(st.App.Key.Render("y") + " delete    " + st.App.Key.Render("n") + " keep")
		}
		if s.err != "" {
			b.WriteString("\n\n" + st.Form.Invalid.Render("✗ "+s.err))
		}
		return s.c.overlay(s.listView(), s.c.box(b.String()))
	case groupsNest, groupsManagers:
		return s.c.overlay(s.listView(), s.c.box(s.pick.view(min(14, s.c.bodyHeight()-8))))
	}
	return s.listView()
}

// listView draws the groups list.
func (s *groupsScreen) listView() string {
	st := s.c.Styles
	gs := s.groups()
	var b strings.Builder
	b.WriteString(st.App.DialogTitle.Render("Groups"))
	b.WriteString(st.App.Muted.Render("  " + plural(len(gs), "group")))
	b.WriteString("\n\n")
	if len(gs) == 0 {
		b.WriteString(st.App.Muted.Render("No groups yet. Press n to add one."))
		return b.String()
	}
	h := max(1, s.c.bodyHeight()-3)
	start := max(0, min(s.cursor-h/2, len(gs)-h))
	end := min(len(gs), start+h)
	tree := groupTree(s.c.snap)
	nameW := 10
	for i := start; i < end; i++ {
		nameW = max(nameW, 2*tree[i].depth+s.c.cells.safeWidth(gs[i].Name))
	}
	nameW = min(nameW, max(10, s.c.Width/2))
	for i := start; i < end; i++ {
		g := gs[i]
		name, w := s.c.cells.safe(g.Name)
		indent := strings.Repeat("  ", tree[i].depth) // the tree: nested groups under their parent
		line := s.c.cells.fit(indent+name, w+len(indent), nameW) + "  " + s.c.cells.fit(plural(g.Members, "member"), len(plural(g.Members, "member")), 12)
		inW := 0 // "in staff": the groups it is nested in
		if in := s.c.snap.parentNames(g.ID); in != "" {
			in, iw := s.c.cells.safe("in " + in)
			inW = min(iw, max(0, s.c.Width-nameW-20))
			line += "  " + s.c.cells.fit(in, iw, inW)
			inW += 2
		}
		if m := s.managerNames(g); m != "" {
			m, mw := s.c.cells.safe("managed by " + m)
			line += "  " + s.c.cells.fit(m, mw, min(mw, max(0, s.c.Width-nameW-20-inW)))
			inW += min(mw, max(0, s.c.Width-nameW-20-inW)) + 2
		}
		if g.Description != "" {
			d, dw := s.c.cells.safe(g.Description)
			line += "  " + s.c.cells.fit(d, dw, max(0, s.c.Width-nameW-20-inW))
		}
		if i == s.cursor {
			b.WriteString(st.List.Cursor.Render("› " + line))
		} else {
			b.WriteString("  " + line)
		}
		if i < end-1 {
			b.WriteByte('\n')
		}
	}
	if s.err != "" {
		b.WriteString("\n" + st.Form.Invalid.Render("✗ "+s.err))
	}
	return b.String()
}
