package tui

import (
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Common is what every screen shares: the size, styles, keys and services.
// Screens keep a pointer to the root's one Common.
type Common struct {
	Width, Height int
	Styles        *Styles
	Global        GlobalKeys
	DB            *store.DB
	Actor         roster.Actor
	Services      Services
	Actions       []Action
	Now           func() time.Time

	cells   cells // how the terminal counts cells
	mailErr error // why the mail worker stopped, once it has (Services.MailStopped)

	lastChoice string      // the add form's submit choice last used, chosen again next time
	last       *lastChange // the last bulk change, for undo (undo.go)

	// launchers are the screens a global key opens (G, L, and those other
	// parts of Roster add); the help lists their keys.
	launchers []launcher

	snap *snapshot // the latest data; replaced, never changed
}

// screen is a page the root shows over the base screen (the user list, or
// My account for a member). Update returns the screen and a command. What
// a screen wants of the root it says with values, never by reaching into
// the root:
//
//   - from Update, asks(s, msgs...) in place of s: open a screen on top
//     (openMsg), close this one (closeMsg), a status line (statusMsg), a
//     reload (reloadMsg), or any other message as a result for the screen
//     that opened this one. The root applies them in order as soon as
//     Update returns, before the next key: keys typed ahead go to the
//     screen then on top.
//   - the same messages as the result of a command, applied when it ends.
//
// The results of a screen's commands come back to that screen alone: the
// root tags each command with the screen that returned it (see route), so
// no message needs to say whose it is.
type screen interface {
	Update(msg tea.Msg) (screen, tea.Cmd)
	View() string
	Help() help.KeyMap
	// TakesText reports that keys currently go to a text input, so the root
	// leaves q, ? and other letters alone.
	TakesText() bool
}

// Requests a screen makes of the root (see screen).
type (
	// openMsg shows s on top; cmd (its first load) is s's own command.
	openMsg struct {
		s   screen
		cmd tea.Cmd
	}
	// closeMsg closes the screen that asks.
	closeMsg struct{}
	// statusMsg is the status line's text.
	statusMsg struct {
		text string
		err  bool
	}
	// reloadMsg asks for an immediate reload after a change this session made.
	reloadMsg struct{}
)

// Results screens give the screen that opened them (the user list).
type (
	// focusMsg puts the list's cursor on a user (one just added) as soon
	// as the data holds them.
	focusMsg struct{ id uint64 }
	// groupFilterMsg shows the users of a group (0: all).
	groupFilterMsg struct{ gid uint64 }
)

// dataMsg tells screens that a new snapshot is loaded.
type dataMsg struct{}

// asking is a screen with what it asks of the root, as Update returns it.
type asking struct {
	screen
	msgs []tea.Msg
}

// asks returns s with requests for the root (see screen), applied in order.
func asks(s screen, msgs ...tea.Msg) screen {
	if a, ok := s.(*asking); ok {
		return &asking{screen: a.screen, msgs: append(a.msgs[:len(a.msgs):len(a.msgs)], msgs...)}
	}
	return &asking{screen: s, msgs: msgs}
}

// say is a status line: isErr marks a failure or a refusal.
func say(text string, isErr bool) statusMsg { return statusMsg{text: text, err: isErr} }

// open asks the root to show s on top, with cmd as its first command.
func open(s screen, cmd tea.Cmd) openMsg { return openMsg{s: s, cmd: cmd} }

// inviter is the one way screens invite: through the mail system (the
// dev mailbox counts); nil without one.
func (c *Common) inviter() func(roster.Actor, []uint64) (roster.BulkResult, error) {
	m := c.Services.Mail
	if m == nil {
		return nil
	}
	return func(a roster.Actor, ids []uint64) (roster.BulkResult, error) {
		q, err := m.Invite(a, ids)
		return q.BulkResult, err
	}
}
