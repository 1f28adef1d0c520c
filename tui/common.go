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

	lastChoice string // the add form's submit choice last used, chosen again next time

	// launchers are the screens a global key opens (G, L, and those other
	// parts of Roster add); the help lists their keys.
	launchers []launcher

	snap *snapshot // the latest data; replaced, never changed
	nav  []navOp   // screens' requests, applied by the root after Update
}

// screen is a page the root shows on top of the user list. Update returns
// the screen itself (or its replacement); a screen asks the root to open
// or close screens, set the status line or filter the list through its
// Common (openScreen, closeScreen, setStatus, closeAndFilter), which the
// root applies as soon as Update returns, before the next key.
type screen interface {
	Update(msg tea.Msg) (screen, tea.Cmd)
	View() string
	Help() help.KeyMap
	// TakesText reports that keys currently go to a text input, so the root
	// leaves q, ? and other letters alone.
	TakesText() bool
}

// navOp is one request of a screen to the root.
type navOp struct {
	open   screen
	close  screen
	status *statusMsg
	filter *uint64 // set the list's group filter
	focus  uint64  // put the list's cursor on this user
}

// statusMsg is the status line's text.
type statusMsg struct {
	text string
	err  bool
}

// Messages for the root.
type (
	// reloadMsg asks for an immediate reload after a change this session made.
	reloadMsg struct{}
	// dataMsg tells screens that a new snapshot is loaded.
	dataMsg struct{}
)

// openScreen asks the root to show s on top.
func (c *Common) openScreen(s screen) tea.Cmd {
	c.nav = append(c.nav, navOp{open: s})
	return nil
}

// closeScreen asks the root to close s.
func (c *Common) closeScreen(s screen) tea.Cmd {
	c.nav = append(c.nav, navOp{close: s})
	return nil
}

// setStatus asks the root to show text in the status line.
func (c *Common) setStatus(text string, isErr bool) tea.Cmd {
	c.nav = append(c.nav, navOp{status: &statusMsg{text: text, err: isErr}})
	return nil
}

// focusUser asks the root to put the list's cursor on user id (one just
// added), as soon as the data holds them.
func (c *Common) focusUser(id uint64) tea.Cmd {
	c.nav = append(c.nav, navOp{focus: id})
	return nil
}

// closeAndFilter closes s and shows the users of group gid (0: all).
func (c *Common) closeAndFilter(s screen, gid uint64) tea.Cmd {
	c.nav = append(c.nav, navOp{close: s}, navOp{filter: &gid})
	return nil
}

// inviter is the one way screens invite: through the mail system when it
// is set (the dev mailbox counts), else the Invite hook; nil when neither.
func (c *Common) inviter() func(roster.Actor, []uint64) (roster.BulkResult, error) {
	if m := c.Services.Mail; m != nil {
		return func(a roster.Actor, ids []uint64) (roster.BulkResult, error) {
			q, err := m.Invite(a, ids)
			return q.BulkResult, err
		}
	}
	return c.Services.Invite
}
