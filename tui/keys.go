package tui

import "charm.land/bubbles/v2/key"

func kb(help, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// GlobalKeys are the keys the root answers on every screen that does not
// take text. Groups, Audit, Mailbox and Settings open screens through the
// launchers; Recheck runs the settings checks again on that screen.
type GlobalKeys struct {
	Quit, Help, Palette, Groups, Audit, Mailbox key.Binding
	Settings, Recheck                           key.Binding
}

// NewGlobalKeys returns the root's key map.
func NewGlobalKeys() GlobalKeys {
	return GlobalKeys{
		Quit:     kb("q", "quit", "q", "ctrl+c"),
		Help:     kb("?", "all keys", "?"),
		Palette:  kb(":/ctrl+p", "command palette", ":", "ctrl+p"),
		Groups:   kb("G", "groups", "G"),
		Audit:    kb("L", "audit log", "L"),
		Mailbox:  kb("M", "mailbox", "M"),
		Settings: kb("D", "check settings", "D"),
		Recheck:  kb("r", "check again", "r"),
	}
}

// UserKeys drive the user list.
type UserKeys struct {
	Up, Down, PageUp, PageDown, Home, End     key.Binding
	NextTab, PrevTab, Tab1, Tab2, Tab3, Tab4  key.Binding
	Tab5                                      key.Binding
	Sort, Reverse, Filter, ClearFilter, Group key.Binding
	Invitation, Role, Lifecycle               key.Binding
	Toggle, SelectAll                         key.Binding
	Open, Add, Edit, Actions                  key.Binding
	InviteByEmail, Undo                       key.Binding
}

// NewUserKeys returns the user list's key map.
func NewUserKeys() UserKeys {
	return UserKeys{
		Up:            kb("↑/k", "up", "up", "k"),
		Down:          kb("↓/j", "down", "down", "j"),
		PageUp:        kb("pgup", "page up", "pgup", "ctrl+u"),
		PageDown:      kb("pgdn", "page down", "pgdown", "ctrl+d"),
		Home:          kb("home", "first", "home"),
		End:           kb("end", "last", "end"),
		NextTab:       kb("tab", "next status", "tab"),
		PrevTab:       kb("shift+tab", "previous status", "shift+tab"),
		Tab1:          kb("1", "all", "1"),
		Tab2:          kb("2", "pending", "2"),
		Tab3:          kb("3", "active", "3"),
		Tab4:          kb("4", "disabled", "4"),
		Tab5:          kb("5", "service accounts", "5"),
		Sort:          kb("s", "sort column", "s"),
		Reverse:       kb("S", "reverse sort", "S"),
		Filter:        kb("/", "filter", "/"),
		ClearFilter:   kb("esc", "clear filter/selection", "esc"),
		Group:         kb("g", "filter by group", "g"),
		Invitation:    kb("i", "filter by invitation", "i"),
		Role:          kb("r", "filter by role", "r"),
		Lifecycle:     kb("d", "expiring / no sign-in", "d"),
		Toggle:        kb("space", "select", "space"),
		SelectAll:     kb("ctrl+a", "select all shown", "ctrl+a"),
		Open:          kb("enter", "details", "enter"),
		Add:           kb("n/+", "add user", "n", "+"),
		Edit:          kb("e", "edit", "e"),
		Actions:       kb("a", "actions", "a"),
		InviteByEmail: kb("N", "invite by e-mail", "N"),
		Undo:          kb("u", "undo the last change", "u"),
	}
}

// keyMap joins a screen's short and full help for bubbles/help.
type keyMap struct {
	short []key.Binding
	full  [][]key.Binding
}

// ShortHelp implements help.KeyMap.
func (k keyMap) ShortHelp() []key.Binding { return k.short }

// FullHelp implements help.KeyMap.
func (k keyMap) FullHelp() [][]key.Binding { return k.full }

func (k UserKeys) help(g GlobalKeys, screens []key.Binding) keyMap {
	return keyMap{
		short: []key.Binding{k.Filter, k.Toggle, k.Actions, k.Add, k.Open, k.Group, g.Help, g.Quit},
		full: [][]key.Binding{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
			{k.NextTab, k.PrevTab, k.Tab1, k.Tab2, k.Tab3, k.Tab4, k.Tab5},
			{k.Filter, k.ClearFilter, k.Group, k.Role, k.Invitation, k.Lifecycle, k.Sort, k.Reverse},
			{k.Toggle, k.SelectAll, k.Actions, k.Open, k.Add, k.InviteByEmail, k.Edit, k.Undo},
			append(screens, g.Palette, g.Help, g.Quit),
		},
	}
}

// ListKeys drive the small lists: menus and pickers.
type ListKeys struct {
	Up, Down, Choose, Back key.Binding
}

// NewListKeys returns the key map shared by menus and pickers.
func NewListKeys() ListKeys {
	return ListKeys{
		Up:     kb("↑/k", "up", "up", "k"),
		Down:   kb("↓/j", "down", "down", "j"),
		Choose: kb("enter", "choose", "enter"),
		Back:   kb("esc/q", "back", "esc"),
	}
}
