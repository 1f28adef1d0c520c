package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
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
			return s, s.c.closeScreen(s)
		}
	}
	return s, nil
}

// View implements screen.
func (s *helpScreen) View() string {
	h := help.New()
	h.Styles = s.c.Styles.Help
	h.SetWidth(s.c.Width - 4)
	groups := s.keys.FullHelp()
	if len(groups) == 0 {
		groups = [][]key.Binding{s.keys.ShortHelp()}
	}
	// One group per line block, so narrow terminals still show every key.
	var b strings.Builder
	b.WriteString(s.c.Styles.App.DialogTitle.Render("Keys"))
	b.WriteString("\n\n")
	b.WriteString(h.FullHelpView(groups))
	return s.c.box(b.String())
}
