package tui

import (
	"unicode/utf8"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// paletteScreen is the command palette (: or ctrl+p): every key of the
// screen below it and every screen the app opens, each with its key,
// filtered as you type; enter does what the key does. Nobody has to
// remember a key to find what the app can do.
type paletteScreen struct {
	c    *Common
	pick *picker
	keys []string // the key each item presses, by item id
}

// moves are keys the palette leaves out: moving is not a command.
var moves = map[string]bool{"up": true, "down": true, "pgup": true, "pgdown": true, "home": true, "end": true}

func newPaletteScreen(c *Common, km help.KeyMap) *paletteScreen {
	s := &paletteScreen{c: c}
	var items []pickItem
	seen := map[string]bool{}
	add := func(b key.Binding) {
		h := b.Help()
		if !b.Enabled() || h.Desc == "" || len(b.Keys()) == 0 || seen[h.Desc] || moves[b.Keys()[0]] {
			return
		}
		seen[h.Desc] = true
		items = append(items, pickItem{label: h.Desc, detail: c.Styles.App.Key.Render(h.Key), id: uint64(len(s.keys))})
		s.keys = append(s.keys, b.Keys()[0])
	}
	groups := km.FullHelp()
	if len(groups) == 0 {
		groups = [][]key.Binding{km.ShortHelp()}
	}
	for _, g := range groups {
		for _, b := range g {
			add(b)
		}
	}
	for _, b := range c.launcherKeys() {
		add(b)
	}
	s.pick = newPicker(c, "Commands", items, 0)
	s.pick.focus() // the cursor's blink is not needed to type
	return s
}

func (s *paletteScreen) dialog() {}

// TakesText implements screen: typing filters.
func (s *paletteScreen) TakesText() bool { return true }

// Help implements screen.
func (s *paletteScreen) Help() help.KeyMap {
	return keyMap{short: []key.Binding{kb("type", "search", "x"), kb("↑/↓", "move", "up"), kb("enter", "do it", "enter"), kb("esc", "close", "esc")}}
}

// Update implements screen.
func (s *paletteScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return s, nil
	}
	item, done, cmd := s.pick.update(k)
	if !done {
		return s, cmd
	}
	if item == nil {
		return asks(s, closeMsg{}), nil
	}
	// The key goes to the program as if typed, so the screen below has it.
	press := keyPress(s.keys[item.id])
	return asks(s, closeMsg{}), func() tea.Msg { return press }
}

// View implements screen.
func (s *paletteScreen) View() string {
	return s.c.box(s.pick.view(min(14, s.c.bodyHeight()-8)))
}

// keyPress is the key message for a key's name as key.Binding spells it.
func keyPress(k string) tea.KeyPressMsg {
	named := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "space": tea.KeySpace,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"home": tea.KeyHome, "end": tea.KeyEnd, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
		"backspace": tea.KeyBackspace,
	}
	switch {
	case k == "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case k == "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case named[k] != 0:
		return tea.KeyPressMsg{Code: named[k]}
	case len(k) > 5 && k[:5] == "ctrl+":
		r, _ := utf8.DecodeRuneInString(k[5:])
		return tea.KeyPressMsg{Code: r, Mod: tea.ModCtrl}
	}
	r, _ := utf8.DecodeRuneInString(k)
	return tea.KeyPressMsg{Code: r, Text: k}
}
