package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// accountScreen is the whole app for a member signed in over SSH: "My
// account", with their details, groups, last sign-ins and SSH keys (add,
// remove), and "send me a password reset link". Members administer
// nothing, so it offers nothing else; the store refuses the rest anyway.
// It is the base screen of the root model (NewAccount), which gives it the
// size, colours, the status line, help, q and ctrl+c as to the user list.
type accountScreen struct {
	c    *Common
	keys accountKeys

	data    *accountData
	loading bool
	loadErr error

	keysP *keysPanel  // the member's own keys
	mode  accountMode // what the keyboard is doing, besides the keys panel
	busy  bool        // a reset request is on its way
	// opened is set when the administration app opened it over the list
	// (a group manager's own account, launchers.go): esc goes back.
	opened bool
}

type accountMode int

const (
	accountBrowse accountMode = iota
	accountReset              // confirming a reset link
)

type accountKeys struct {
	Reset, Yes, No key.Binding
}

// accountData is what the screen shows, read in one go.
type accountData struct {
	user    *roster.User
	groups  []string
	logins  []roster.AuditEvent
	keys    []*store.SSHKey
	changes uint64
}

type (
	accountLoadedMsg struct {
		data *accountData
		err  error
	}
	accountDoneMsg struct {
		text string
		err  error
	}
)

// accountLogins is how many recent sign-ins the screen lists.
const accountLogins = 5

// NewAccount returns the app of a member: My account under the root model.
// Options.DB and Options.Actor are required; Services.RequestReset, when
// set, offers the reset link.
func NewAccount(o Options) *Model {
	m := New(Options{DB: o.DB, Actor: o.Actor, Services: Services{RequestReset: o.Services.RequestReset},
		DarkBackground: o.DarkBackground, Now: o.Now})
	m.c.launchers, m.c.Actions = nil, nil // a member opens no other screen
	m.users, m.base = nil, newAccountScreen(m.c)
	m.ready = true // nothing to load for the list
	return m
}

func newAccountScreen(c *Common) *accountScreen {
	s := &accountScreen{c: c, loading: true}
	s.keys = accountKeys{
		Reset: kb("r", "send me a password reset link", "r"),
		Yes:   kb("y", "yes", "y"),
		No:    kb("n/esc", "no", "n", "esc"),
	}
	s.keys.Reset.SetEnabled(c.Services.RequestReset != nil)
	s.keysP = newKeysPanel(c.DB, c.Actor, c.Actor.UserID)
	return s
}

// title is the header's path part.
func (s *accountScreen) title() string { return "My account · " + s.c.Actor.Name }

// loadCmd reads the member's record, groups, sign-ins and keys.
func (s *accountScreen) loadCmd() tea.Cmd {
	db, actor := s.c.DB, s.c.Actor
	return func() tea.Msg {
		d := &accountData{}
		var err error
		if d.changes, err = db.Changes(); err != nil {
			return accountLoadedMsg{err: err}
		}
		if d.user, err = db.User(actor, actor.UserID); err != nil {
			return accountLoadedMsg{err: err}
		}
		groups, err := db.Groups(actor)
		if err != nil {
			return accountLoadedMsg{err: err}
		}
		for _, g := range groups {
			if d.user.InGroup(g.ID) {
				d.groups = append(d.groups, g.Name)
			}
		}
		evs, err := db.AuditEvents(actor, store.AuditFilter{UserID: actor.UserID, Search: roster.ActionLogin, Limit: 4 * accountLogins})
		if err != nil {
			return accountLoadedMsg{err: err}
		}
		for _, ev := range evs {
			if (ev.Action == roster.ActionLogin || ev.Action == roster.ActionLoginRefused) && len(d.logins) < accountLogins {
				d.logins = append(d.logins, ev)
			}
		}
		if d.keys, err = db.Keys(actor, actor.UserID); err != nil {
			return accountLoadedMsg{err: err}
		}
		return accountLoadedMsg{data: d}
	}
}

// TakesText reports that a key is being typed.
func (s *accountScreen) TakesText() bool { return s.keysP.takesText() }

// Unsaved reports that a key typed but not added would be lost.
func (s *accountScreen) Unsaved() bool {
	return s.keysP.mode == keysAdd && strings.TrimSpace(s.keysP.input.Value()) != ""
}

// Update implements screen.
func (s *accountScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		s.keysP.setWidth(msg.Width)
	case changesMsg:
		// The root watches the store's counter; reload when it moved.
		if msg.err == nil && (s.data == nil || msg.n != s.data.changes) && !s.loading {
			s.loading = true
			return s, s.loadCmd()
		}
	case accountLoadedMsg:
		s.loading = false
		s.loadErr = msg.err
		if msg.err != nil {
			return asks(s, say(roster.ErrorMessage(msg.err), true)), nil
		}
		s.data = msg.data
		s.keysP.setKeys(s.data.keys)
	case accountDoneMsg:
		s.busy = false
		if msg.err != nil {
			return asks(s, say(roster.ErrorMessage(msg.err), true)), nil
		}
		s.loading = true
		return asks(s, say(msg.text, false)), s.loadCmd()
	case keysDoneMsg:
		s.keysP.done()
		return s.Update(accountDoneMsg{text: msg.text, err: msg.err})
	case tea.PasteMsg:
		return s, s.keysP.paste(msg)
	case tea.KeyPressMsg:
		return s.key(msg)
	}
	return s, nil
}

// key answers a key press according to the mode.
func (s *accountScreen) key(msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := s.keys
	if s.keysP.takesText() {
		cmd, _ := s.keysP.key(msg)
		return s, cmd
	}
	if s.mode == accountReset {
		s.mode = accountBrowse
		if !key.Matches(msg, k.Yes) {
			return s, nil
		}
		s.busy = true
		send, email := s.c.Services.RequestReset, s.data.user.Email
		return s, func() tea.Msg {
			if err := send(email); err != nil {
				return accountDoneMsg{err: err}
			}
			return accountDoneMsg{text: "A password reset link is on its way to " + email}
		}
	}
	switch {
	case s.opened && msg.String() == "esc":
		return asks(s, closeMsg{}), nil
	case s.data == nil || s.busy:
	case s.keysP.handles(msg):
		cmd, _ := s.keysP.key(msg)
		return s, cmd
	case key.Matches(msg, k.Reset) && s.c.Services.RequestReset != nil:
		if u := s.data.user; u.Suppressed {
			return asks(s, say("mail to "+u.Email+" bounced, so none is sent; ask an administrator to check your address", true)), nil
		}
		s.mode = accountReset
	}
	return s, nil
}

// footer is the status line when nothing else is said.
func (s *accountScreen) footer() string {
	if s.busy || s.keysP.busy {
		return s.c.Styles.App.Muted.Render("saving…")
	}
	return ""
}

// View implements screen: the details, sign-ins and keys, and the prompt
// of the mode.
func (s *accountScreen) View() string {
	st := s.c.Styles
	switch {
	case s.data == nil && s.loadErr != nil:
		return st.App.Error.Render("Cannot read your account: " + roster.ErrorMessage(s.loadErr))
	case s.data == nil:
		return st.App.Muted.Render("Loading…")
	}
	d, u := s.data, s.data.user
	cl := s.c.cells
	now := s.c.Now()
	when := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02 15:04") + st.App.Muted.Render("  ("+agoText(now, t)+")")
	}
	width := max(20, s.c.Width-4) // what a line may take after its indent
	lines := []string{""}
	field := func(label, value string) {
		lines = append(lines, "  "+st.App.Muted.Render(padRight(label, 12))+value)
	}
	name, _ := cl.safe(u.DisplayName())
	email, _ := cl.safe(u.Email)
	lines = append(lines, "  "+st.App.DialogTitle.Render(name)+"  "+st.List.Badge[u.Status.String()].Render(u.Status.String()))
	field("Username", u.Username)
	field("E-mail", email)
	field("Role", u.Role.String())
	groups := strings.Join(d.groups, ", ")
	if groups == "" {
		groups = "—"
	}
	field("Groups", groups)
	field("Last login", when(u.LastLoginAt))
	if !u.ExpiresAt.IsZero() {
		field("Expires", accountExpiry(u, now))
	}
	if u.Status != roster.StatusActive {
		lines = append(lines, "  "+st.App.Error.Render("Your account is "+u.Status.String()+": changes are refused."))
	}

	lines = append(lines, "", "  "+st.App.DialogTitle.Render("Last sign-ins"))
	if len(d.logins) == 0 {
		lines = append(lines, "  "+st.App.Muted.Render("none recorded"))
	}
	for _, ev := range d.logins {
		what, w := cl.safe(strings.TrimPrefix(ev.Details, "via "))
		t := ev.Time.Local().Format("2006-01-02 15:04:05")
		label, labelW := "", 0
		if ev.Action == roster.ActionLoginRefused {
			label, labelW = st.App.Warn.Render("refused")+" ", 8
		}
		what = cl.fit(what, w, max(10, width-len(t)-2-labelW))
		lines = append(lines, "  "+st.App.Muted.Render(t)+"  "+label+what)
	}

	lines = append(lines, "", "  "+st.App.DialogTitle.Render("SSH keys"))
	lines = append(lines, s.keysP.lines(st, cl, now, width, "your")...)

	if s.mode == accountReset {
		lines = append(lines, "", "  "+st.App.Warn.Render("Send a password reset link to "+email+"? y/n"))
	}
	return strings.Join(lines, "\n")
}

// Help implements screen: the keys of the current mode.
func (s *accountScreen) Help() help.KeyMap {
	k := s.keys
	switch {
	case s.keysP.takesText():
		return keyMap{short: s.keysP.helpKeys()}
	case s.mode == accountReset:
		return keyMap{short: []key.Binding{k.Yes, k.No}}
	}
	return keyMap{short: append(s.keysP.helpKeys(), k.Reset, s.c.Global.Help, s.c.Global.Quit)}
}

// agoText says "just now" or "5m ago".
func agoText(now, t time.Time) string {
	if a := ago(now, t); a != "now" {
		return a + " ago"
	}
	return "just now"
}

// padRight pads an ASCII label to n cells.
func padRight(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}
