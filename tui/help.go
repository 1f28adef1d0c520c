package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// helpScreen shows every key of the screen below it, grouped, from the
// same KeyMap that drives that screen's footer.
type helpScreen struct {
	c    *Common
	keys help.KeyMap
}

func newHelpScreen(c *Common, km help.KeyMap) *helpScreen { return &helpScreen{c: c, keys: km} }

// TakesText implements screen.
func (s *helpScreen) TakesText() bool { return false }

func (s *helpScreen) dialog() {}

// Help implements screen.
func (s *helpScreen) Help() help.KeyMap {
	return keyMap{short: []key.Binding{kb("esc/?", "close", "esc")}}
}

// Update implements screen.
func (s *helpScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc", "?", "q", "enter":
			return asks(s, closeMsg{}), nil
		}
	}
	return s, nil
}

// View implements screen. Each group of keys is a column; columns that
// do not fit side by side go on further rows, so a narrow terminal still
// shows every key.
func (s *helpScreen) View() string {
	st := s.c.Styles
	groups := s.keys.FullHelp()
	if len(groups) == 0 {
		groups = [][]key.Binding{s.keys.ShortHelp()}
	}
	var cols []string
	for _, g := range groups {
		var lines []string
		kw := 0
		for _, b := range g {
			if b.Enabled() {
				kw = max(kw, lipgloss.Width(b.Help().Key))
			}
		}
		for _, b := range g {
			if !b.Enabled() {
				continue
			}
			k := b.Help().Key
			lines = append(lines, st.Help.FullKey.Render(k+strings.Repeat(" ", kw-lipgloss.Width(k)))+" "+st.Help.FullDesc.Render(b.Help().Desc))
		}
		if len(lines) > 0 {
			cols = append(cols, strings.Join(lines, "\n"))
		}
	}
	avail := max(20, s.c.Width-10) // inside the box: border, padding, margin
	var rows []string
	var row []string
	w := 0
	for _, c := range cols {
		cw := lipgloss.Width(c) + 3
		if len(row) > 0 && w+cw > avail {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, w = nil, 0
		}
		row = append(row, lipgloss.NewStyle().PaddingRight(3).Render(c))
		w += cw
	}
	if len(row) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	}
	return s.c.box(st.App.DialogTitle.Render("Keys") + "\n\n" + strings.Join(rows, "\n\n"))
}
