package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
)

// launcher opens a screen from a global key. A new screen (a mailbox, an
// import screen, the signed-in user's account) is one file with its screen
// type plus one entry here.
type launcher struct {
	Key  key.Binding
	open func(c *Common) (screen, tea.Cmd)
	is   func(s screen) bool // whether s is the screen this opens
}

func builtinLaunchers(c *Common) []launcher {
	// The power table says which screens to offer; the store checks again.
	var ls []launcher
	if c.Actor.May(roster.OpReadGroups, nil) == nil {
		ls = append(ls, launcher{
			Key:  c.Global.Groups,
			open: func(c *Common) (screen, tea.Cmd) { return newGroupsScreen(c), nil },
			is:   func(s screen) bool { _, ok := s.(*groupsScreen); return ok },
		})
	}
	if c.Actor.May(roster.OpReadAudit, nil) == nil {
		ls = append(ls, launcher{
			Key: c.Global.Audit,
			open: func(c *Common) (screen, tea.Cmd) {
				s := newAuditScreen(c)
				return s, s.loadCmd()
			},
			is: func(s screen) bool { _, ok := s.(*auditScreen); return ok },
		})
	}
	ls = append(ls, importLaunchers(c)...)
	ls = append(ls, invitationLaunchers(c)...)
	if !c.Actor.IsLocal() { // a signed-in user's own account (a group manager's, issue 18)
		ls = append(ls, launcher{
			Key: kb("A", "my account", "A"),
			open: func(c *Common) (screen, tea.Cmd) {
				s := newAccountScreen(c)
				s.opened = true
				return s, s.loadCmd()
			},
			is: func(s screen) bool { _, ok := s.(*accountScreen); return ok },
		})
	}
	if c.Services.Mail != nil && c.Actor.May(roster.OpReadMailbox, nil) == nil {
		ls = append(ls, launcher{
			Key: c.Global.Mailbox,
			open: func(c *Common) (screen, tea.Cmd) {
				s := newMailboxScreen(c)
				return s, s.loadCmd()
			},
			is: func(s screen) bool { _, ok := s.(*mailboxScreen); return ok },
		})
	}
	if c.Services.CheckSettings != nil {
		ls = append(ls, launcher{
			Key: c.Global.Settings,
			open: func(c *Common) (screen, tea.Cmd) {
				s := newSettingsScreen(c)
				return s, s.runCmd()
			},
			is: func(s screen) bool { _, ok := s.(*settingsScreen); return ok },
		})
	}
	return ls
}

// launcherKeys returns the launchers' keys, for the help.
func (c *Common) launcherKeys() []key.Binding {
	keys := make([]key.Binding, len(c.launchers))
	for i, l := range c.launchers {
		keys[i] = l.Key
	}
	return keys
}
