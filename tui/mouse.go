package tui

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// wheelStep is how many rows one turn of the wheel moves.
const wheelStep = 3

// mouse handles a click or the wheel on the user list: a click on a tab
// picks it, a click on a row puts the cursor there (a second click on it
// opens the details), the wheel moves the cursor.
func (s *usersScreen) mouse(msg tea.MouseMsg) (screen, tea.Cmd) {
	if s.c.snap == nil {
		return s, nil
	}
	m := msg.Mouse()
	switch msg.(type) {
	case tea.MouseWheelMsg:
		switch m.Button {
		case tea.MouseWheelUp:
			s.move(-wheelStep)
		case tea.MouseWheelDown:
			s.move(wheelStep)
		}
		return s, nil
	case tea.MouseClickMsg:
		if m.Button != tea.MouseLeft {
			return s, nil
		}
	default:
		return s, nil
	}
	const tabsY = 1 // under the header
	if m.Y == tabsY {
		x := 0
		for i := range statusTabs {
			w := lipgloss.Width(s.tabLabel(i))
			if m.X >= x && m.X < x+w {
				s.setTab(i)
				return s, nil
			}
			x += w
		}
		return s, nil
	}
	first := tabsY + 2 // the column titles, then the rows
	if s.filterLine() {
		first++
	}
	i := s.offset + m.Y - first
	if m.Y < first || i >= len(s.view) || i >= s.offset+s.listHeight() {
		return s, nil
	}
	if i == s.cursor {
		return s.key(keyPress("enter"))
	}
	s.move(i - s.cursor)
	return s, nil
}
