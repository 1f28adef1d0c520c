package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
)

// The groups screen's tree and its nesting and managers keys: > nests the
// group under the cursor in another (a cycle is refused, named by the
// store), < takes it out of the group it is shown in, m makes a user its
// manager or no longer one.

// treeRow is one line of the groups tree.
type treeRow struct {
	g      *roster.Group
	depth  int
	parent *roster.Group // the group it is shown in; nil at the top
}

// maxTreeDepth bounds the tree drawn (the store refuses cycles; this is a
// guard against a file changed behind Roster's back).
const maxTreeDepth = 32

// groupTree lists the groups as a tree: the groups nested in no group
// shown, by name, each followed by the groups nested in it, indented. A
// group nested in two groups appears under each.
func groupTree(snap *snapshot) []treeRow {
	if snap == nil {
		return nil
	}
	rank := make(map[uint64]int, len(snap.groups)) // snap.groups is sorted by name
	for i, g := range snap.groups {
		rank[g.ID] = i
	}
	rows := make([]treeRow, 0, len(snap.groups))
	var walk func(g, parent *roster.Group, depth int)
	walk = func(g, parent *roster.Group, depth int) {
		rows = append(rows, treeRow{g: g, depth: depth, parent: parent})
		if depth >= maxTreeDepth {
			return
		}
		children := slices.Clone(snap.nest.Children(g.ID))
		slices.SortFunc(children, func(a, b uint64) int { return rank[a] - rank[b] })
		for _, id := range children {
			if c := snap.groupByID[id]; c != nil {
				walk(c, g, depth+1)
			}
		}
	}
	for _, g := range snap.groups {
		top := true
		for _, p := range snap.nest.Parents(g.ID) {
			if snap.groupByID[p] != nil {
				top = false
			}
		}
		if top {
			walk(g, nil, 0)
		}
	}
	return rows
}

// treeKeys are the groups screen's keys for nesting and managers.
type treeKeys struct{ Nest, Unnest, Managers key.Binding }

func newTreeKeys() treeKeys {
	return treeKeys{
		Nest:     kb(">", "nest in…", ">"),
		Unnest:   kb("<", "take out of its parent", "<"),
		Managers: kb("m", "managers…", "m"),
	}
}

// treeKey answers the nesting and managers keys on the list; ok is false
// for other keys.
func (s *groupsScreen) treeKey(msg tea.KeyPressMsg, row treeRow) (tea.Cmd, bool) {
	c, g := s.c, row.g
	switch {
	case key.Matches(msg, s.tkeys.Nest):
		var items []pickItem
		for _, it := range groupItems(c) {
			if it.id != g.ID {
				items = append(items, it)
			}
		}
		s.mode, s.err, s.target = groupsNest, "", g
		s.pick = newPicker(c, "Nest "+g.Name+" in", items, 0)
		return s.pick.focus(), true
	case key.Matches(msg, s.tkeys.Unnest):
		if row.parent == nil {
			s.err = g.Name + " is not nested in a group"
			return nil, true
		}
		parent := row.parent.Name
		return func() tea.Msg {
			err := c.DB.UnnestGroup(c.Actor, g.Name, parent)
			return groupDoneMsg{text: "Took " + g.Name + " out of " + parent, err: err}
		}, true
	case key.Matches(msg, s.tkeys.Managers):
		s.mode, s.err, s.target = groupsManagers, "", g
		s.pick = newPicker(c, "Managers of "+g.Name+": enter makes or unmakes one", s.managerItems(g), 0)
		return s.pick.focus(), true
	}
	return nil, false
}

// managerItems lists the users, managers of g first.
func (s *groupsScreen) managerItems(g *roster.Group) []pickItem {
	var managers, others []pickItem
	for i := range s.c.snap.rows {
		u := &s.c.snap.rows[i]
		it := pickItem{label: u.Username, id: u.ID}
		if slices.Contains(g.Managers, u.ID) {
			it.detail = s.c.Styles.App.Warn.Render("manages " + g.Name)
			managers = append(managers, it)
			continue
		}
		others = append(others, it)
	}
	return append(managers, others...)
}

// pickKey runs the nest and managers pickers.
func (s *groupsScreen) pickKey(msg tea.KeyPressMsg) (screen, tea.Cmd) {
	it, done, cmd := s.pick.update(msg)
	if !done {
		return s, cmd
	}
	mode, g, c := s.mode, s.target, s.c
	s.mode = groupsList
	if it == nil {
		return s, nil
	}
	if mode == groupsNest {
		parent := it.label
		return s, func() tea.Msg {
			err := c.DB.NestGroup(c.Actor, g.Name, parent)
			return groupDoneMsg{text: "Nested " + g.Name + " in " + parent, err: err}
		}
	}
	uid, name, manage := it.id, it.label, !slices.Contains(g.Managers, it.id)
	return s, func() tea.Msg {
		err := c.DB.SetManager(c.Actor, g.Name, uid, manage)
		if manage {
			return groupDoneMsg{text: name + " now manages " + g.Name, err: err}
		}
		return groupDoneMsg{text: name + " no longer manages " + g.Name, err: err}
	}
}

// managerNames names g's managers the snapshot shows ("mona, mel").
func (s *groupsScreen) managerNames(g *roster.Group) string {
	var names []string
	for _, id := range g.Managers {
		if i, ok := s.c.snap.indexOf(id); ok {
			names = append(names, s.c.snap.rows[i].Username)
		}
	}
	return strings.Join(names, ", ")
}

// managedBy names the groups u manages, for the details ("staff, devs").
func (s *snapshot) managedBy(u *roster.User) string {
	var names []string
	for _, g := range s.groups {
		if slices.Contains(g.Managers, u.ID) {
			names = append(names, g.Name)
		}
	}
	return strings.Join(names, ", ")
}
