package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// InvitationsKey opens the invitation list from anywhere (and from the palette).
var InvitationsKey = kb("V", "invitations", "V")

// invitationsRecent is how far back the list shows closed invitations
// (accepted, revoked, replaced); open ones are always listed.
const invitationsRecent = 30 * 24 * time.Hour

// invitationLaunchers offers the invitation list to whoever may read the outbox.
func invitationLaunchers(c *Common) []launcher {
	if c.Actor.May(roster.OpReadOutbox, nil) != nil {
		return nil
	}
	return []launcher{{
		Key: InvitationsKey,
		open: func(c *Common) (screen, tea.Cmd) {
			s := newInvitationsScreen(c)
			return s, s.loadCmd()
		},
		is: func(s screen) bool { _, ok := s.(*invitationsScreen); return ok },
	}}
}

type invMode int

const (
	invBrowse invMode = iota
	invRevoke         // asking before revoking
	invFix            // typing a corrected address
)

// invitationsScreen lists live and recent invitations (store.Invitations):
// address, user, who sent it, when, until when, and what became of it,
// with re-send (a new link), revoke, and fix address and re-send.
type invitationsScreen struct {
	c       *Common
	list    []store.Invitation
	err     error
	loaded  bool
	cursor  int
	offset  int
	mode    invMode
	input   textinput.Model
	busy    bool
	keys    invKeys
	changes uint64 // the snapshot the list was loaded for
	follow  string // after an action, the cursor goes to this user's newest row
}

type invKeys struct {
	Up, Down, Resend, Revoke, Fix, Open, Back key.Binding
}

// invitationsMsg carries the loaded list.
type invitationsMsg struct {
	list []store.Invitation
	err  error
}

// invDoneMsg reports an action on one invitation.
type invDoneMsg struct {
	text string
	err  error
}

func newInvitationsScreen(c *Common) *invitationsScreen {
	in := textinput.New()
	in.Prompt = "new address: "
	in.CharLimit = 254
	return &invitationsScreen{c: c, input: in, keys: invKeys{
		Up:     kb("↑/k", "up", "up", "k"),
		Down:   kb("↓/j", "down", "down", "j"),
		Resend: kb("r", "re-send (new link)", "r"),
		Revoke: kb("x", "revoke", "x"),
		Fix:    kb("e", "fix address and re-send", "e"),
		Open:   kb("enter", "user details", "enter"),
		Back:   kb("esc/q", "back", "esc"),
	}}
}

func (s *invitationsScreen) loadCmd() tea.Cmd {
	db, actor, since := s.c.DB, s.c.Actor, s.c.Now().Add(-invitationsRecent)
	return func() tea.Msg {
		list, err := db.Invitations(actor, since)
		return invitationsMsg{list: list, err: err}
	}
}

// TakesText implements screen.
func (s *invitationsScreen) TakesText() bool { return s.mode == invFix }

// Unsaved implements unsavedScreen: a corrected address being typed.
func (s *invitationsScreen) Unsaved() bool { return s.mode == invFix && s.input.Value() != "" }

// Help implements screen.
func (s *invitationsScreen) Help() help.KeyMap {
	k := s.keys
	switch s.mode {
	case invRevoke:
		return keyMap{short: []key.Binding{kb("y", "revoke", "y"), kb("n/esc", "keep it", "n")}}
	case invFix:
		return keyMap{short: []key.Binding{kb("enter", "save and re-send", "enter"), kb("esc", "cancel", "esc")}}
	}
	return keyMap{short: []key.Binding{k.Up, k.Down, k.Resend, k.Revoke, k.Fix, k.Open, k.Back}}
}

func (s *invitationsScreen) current() *store.Invitation {
	if s.cursor < 0 || s.cursor >= len(s.list) {
		return nil
	}
	return &s.list[s.cursor]
}

// Update implements screen.
func (s *invitationsScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case invitationsMsg:
		s.list, s.err, s.loaded = msg.list, msg.err, true
		for i := range s.list {
			if s.follow != "" && s.list[i].Username == s.follow {
				s.cursor, s.follow = i, ""
				break
			}
		}
		s.cursor = max(0, min(s.cursor, len(s.list)-1))
	case invDoneMsg:
		s.busy = false
		if inv := s.current(); inv != nil {
			s.follow = inv.Username
		}
		if msg.err != nil {
			return asks(s, say(roster.ErrorMessage(msg.err), true), reloadMsg{}), s.loadCmd()
		}
		return asks(s, say(msg.text, false), reloadMsg{}), s.loadCmd()
	case dataMsg:
		// Another session or this one changed something: the states move.
		if s.c.snap != nil && s.c.snap.changes != s.changes {
			s.changes = s.c.snap.changes
			return s, s.loadCmd()
		}
	case tea.PasteMsg:
		if s.mode == invFix {
			var cmd tea.Cmd
			s.input, cmd = s.input.Update(msg)
			return s, cmd
		}
	case tea.KeyPressMsg:
		return s.key(msg)
	}
	return s, nil
}

func (s *invitationsScreen) key(msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := s.keys
	inv := s.current()
	switch s.mode {
	case invRevoke:
		s.mode = invBrowse
		if (msg.String() == "y" || msg.String() == "Y") && inv != nil {
			s.busy = true
			return s, s.revokeCmd(*inv)
		}
		return s, nil
	case invFix:
		switch msg.String() {
		case "esc":
			s.mode = invBrowse
			s.input.Blur()
			return s, nil
		case "enter":
			if inv == nil {
				return s, nil
			}
			s.mode = invBrowse
			s.input.Blur()
			s.busy = true
			return s, s.resendCmd(*inv, s.userEmail(inv), strings.TrimSpace(s.input.Value()))
		}
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return s, cmd
	}
	if s.busy {
		return s, nil
	}
	switch {
	case key.Matches(msg, k.Back):
		return asks(s, closeMsg{}), nil
	case key.Matches(msg, k.Up):
		s.cursor = max(0, s.cursor-1)
	case key.Matches(msg, k.Down):
		s.cursor = max(0, min(len(s.list)-1, s.cursor+1))
	case inv == nil:
	case key.Matches(msg, k.Open):
		if _, ok := s.c.snap.indexOf(inv.UserID); ok {
			d := newDetailsScreen(s.c, inv.UserID)
			return asks(s, open(d, d.loadCmd())), nil
		}
	case key.Matches(msg, k.Resend):
		if why := s.resendSkip(inv); why != "" {
			return asks(s, say("Cannot re-send to "+inv.Username+": "+why, true)), nil
		}
		s.busy = true
		return s, s.resendCmd(*inv, s.userEmail(inv), "")
	case key.Matches(msg, k.Revoke):
		if !revocable(inv.State) {
			return asks(s, say("Only a live invitation can be revoked; this one is "+inv.State, true)), nil
		}
		s.mode = invRevoke
	case key.Matches(msg, k.Fix):
		if why := s.resendSkip(inv); why != "" {
			return asks(s, say("Cannot re-send to "+inv.Username+": "+why, true)), nil
		}
		s.mode = invFix
		s.input.SetValue(s.userEmail(inv))
		s.input.CursorEnd()
		return s, s.input.Focus()
	}
	return s, nil
}

// revocable reports whether an invitation in state st still has a live link.
func revocable(st string) bool {
	switch st {
	case store.InviteQueued, store.InviteSent, store.InviteFailed, store.InviteBounced, store.InviteLink:
		return true
	}
	return false
}

// resendSkip says why inv cannot be sent again ("" when it can): the
// app must be able to invite, and the store's rules must allow it.
func (s *invitationsScreen) resendSkip(inv *store.Invitation) string {
	if s.c.inviter() == nil {
		return "inviting needs mail set up"
	}
	i, ok := s.c.snap.indexOf(inv.UserID)
	if !ok {
		return "the user no longer exists"
	}
	u := s.c.snap.user(i)
	if u.Status != roster.StatusPending {
		return "they are " + u.Status.String() + " now"
	}
	return store.InviteSkip(s.c.Actor, u)
}

// userEmail is the address a re-send of inv goes to: the user's now,
// which may differ from the one the row was sent to.
func (s *invitationsScreen) userEmail(inv *store.Invitation) string {
	if i, ok := s.c.snap.indexOf(inv.UserID); ok {
		return s.c.snap.rows[i].Email
	}
	return inv.Email
}

// resendCmd invites the user again (a new link; the old one is revoked) at
// their current address, first changing it when email is not "".
func (s *invitationsScreen) resendCmd(inv store.Invitation, current, email string) tea.Cmd {
	c, invite := s.c, s.c.inviter()
	return func() tea.Msg {
		if email != "" && email != current {
			if _, err := c.DB.UpdateUser(c.Actor, inv.UserID, roster.UserUpdate{Email: &email}); err != nil {
				return invDoneMsg{err: err}
			}
		}
		res, err := invite(c.Actor, []uint64{inv.UserID})
		if err != nil {
			return invDoneMsg{err: err}
		}
		if len(res.Skipped) > 0 {
			return invDoneMsg{err: textErr("not sent to " + inv.Username + ": " + res.Skipped[0].Reason)}
		}
		to := current
		if email != "" {
			to = email
		}
		return invDoneMsg{text: "New invitation for " + inv.Username + " queued to " + to + "; the old link no longer works"}
	}
}

func (s *invitationsScreen) revokeCmd(inv store.Invitation) tea.Cmd {
	c := s.c
	return func() tea.Msg {
		if err := c.DB.RevokeInvitation(c.Actor, inv.UserID); err != nil {
			return invDoneMsg{err: err}
		}
		return invDoneMsg{text: "Invitation of " + inv.Username + " revoked: the link no longer works"}
	}
}

// invColumns is the list's layout for a width; dates leave out the year
// below 110 columns, so the address keeps its room.
type invColumns struct {
	email, user, by, sent, expires, state int
	dates                                 string // the dates' layout
}

func invLayout(width int) invColumns {
	c := invColumns{sent: 16, expires: 16, state: 9, dates: "2006-01-02 15:04"}
	if width < 110 {
		c.sent, c.expires, c.dates = 11, 11, "01-02 15:04"
	}
	rest := width - 2 - 3 - c.sent - c.expires - c.state - 5
	c.by = min(18, rest*22/100)
	c.user = min(16, rest*22/100)
	c.email = rest - c.by - c.user
	return c
}

// View implements screen.
func (s *invitationsScreen) View() string {
	st := s.c.Styles
	cells := s.c.cells
	lines := []string{"  " + st.App.DialogTitle.Render("Invitations") +
		st.App.Muted.Render("  open ones, and closed ones of the last 30 days")}
	switch {
	case !s.loaded:
		return strings.Join(append(lines, "", "  "+st.App.Muted.Render("loading…")), "\n")
	case s.err != nil:
		return strings.Join(append(lines, "", "  "+st.App.Error.Render(roster.ErrorMessage(s.err))), "\n")
	case len(s.list) == 0:
		return strings.Join(append(lines, "", "  "+st.App.Muted.Render("No invitations. Invite someone from the list (a, or N to invite by e-mail).")), "\n")
	}
	cols := invLayout(s.c.Width)
	fit := func(text string, n int) string {
		t, w := cells.safe(text)
		return cells.fit(t, w, n)
	}
	title := "   " + fit("Address", cols.email) + " " + fit("User", cols.user) + " " + fit("Sent by", cols.by) + " " +
		fit("Sent at", cols.sent) + " " + fit("Expires at", cols.expires) + " " + fit("State", cols.state)
	lines = append(lines, "", st.List.Header.Render(title))
	h := max(1, s.c.bodyHeight()-6)
	if s.cursor < s.offset {
		s.offset = s.cursor
	}
	if s.cursor >= s.offset+h {
		s.offset = s.cursor - h + 1
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format(cols.dates)
	}
	for i := s.offset; i < min(len(s.list), s.offset+h); i++ {
		inv := &s.list[i]
		mark := "  "
		if i == s.cursor {
			mark = "› "
		}
		by := inv.SentBy
		if by == "" {
			by = "—"
		}
		line := mark + " " + fit(inv.Email, cols.email) + " " + fit(inv.Username, cols.user) + " " + fit(by, cols.by) + " " +
			fit(when(inv.SentAt), cols.sent) + " " + fit(when(inv.ExpiresAt), cols.expires) + " "
		state := fit(inv.State, cols.state)
		switch {
		case i == s.cursor:
			line = st.List.Cursor.Render(line + state)
		case inv.State == store.InviteBounced || inv.State == store.InviteFailed || inv.State == store.InviteExpired:
			line += st.App.Warn.Render(state)
		case !inv.Open():
			line = st.App.Muted.Render(line + state)
		default:
			line += state
		}
		lines = append(lines, line)
	}
	if inv := s.current(); inv != nil {
		lines = append(lines, "")
		switch s.mode {
		case invRevoke:
			lines = append(lines, "  "+st.App.Warn.Render("Revoke the invitation of "+inv.Username+"? The link stops working.")+"  "+
				st.App.Key.Render("y")+" revoke  "+st.App.Key.Render("n")+" keep it")
		case invFix:
			lines = append(lines, "  "+s.input.View())
		default:
			if inv.Detail != "" {
				lines = append(lines, "  "+st.App.Muted.Render(inv.State+": ")+fit(inv.Detail, s.c.Width-6-len(inv.State)))
			}
		}
	}
	return strings.Join(lines, "\n")
}
