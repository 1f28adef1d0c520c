package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// detailsScreen shows one user: every field, the groups, and the history
// from the audit log.
type detailsScreen struct {
	c       *Common
	id      uint64
	events  []roster.AuditEvent
	err     error
	sshKeys []*store.SSHKey
	keysErr error
	signIns []store.SignIn
	scroll  int
	keys    detailsKeys
	loading bool
}

type detailsKeys struct {
	Edit, Actions, Keys, Up, Down, Back key.Binding
}

// detailsMsg carries a user's history and SSH keys.
type detailsMsg struct {
	id      uint64
	events  []roster.AuditEvent
	err     error
	keys    []*store.SSHKey
	keysErr error
	signIns []store.SignIn
}

func newDetailsScreen(c *Common, id uint64) *detailsScreen {
	return &detailsScreen{c: c, id: id, loading: true, keys: detailsKeys{
		Edit:    kb("e", "edit", "e"),
		Actions: kb("a", "actions", "a"),
		Keys:    kb("K", "SSH keys", "K"),
		Up:      kb("↑/k", "scroll up", "up", "k"),
		Down:    kb("↓/j", "scroll down", "down", "j"),
		Back:    kb("esc/q", "back", "esc"),
	}}
}

func (s *detailsScreen) loadCmd() tea.Cmd {
	db, actor, id := s.c.DB, s.c.Actor, s.id
	return func() tea.Msg {
		evs, err := db.AuditEvents(actor, store.AuditFilter{UserID: id, Limit: 200})
		keys, keysErr := db.Keys(actor, id)
		signIns, _ := db.SignIns(actor, id, detailsSignIns) // the history shows a refusal
		return detailsMsg{id: id, events: evs, err: err, keys: keys, keysErr: keysErr, signIns: signIns}
	}
}

// TakesText implements screen.
func (s *detailsScreen) TakesText() bool { return false }

// Help implements screen.
func (s *detailsScreen) Help() help.KeyMap {
	k := s.keys
	return keyMap{short: []key.Binding{k.Edit, k.Actions, k.Keys, k.Up, k.Down, k.Back}}
}

func (s *detailsScreen) user() *roster.User {
	if i, ok := s.c.snap.indexOf(s.id); ok {
		return s.c.snap.user(i)
	}
	return nil
}

// Update implements screen.
func (s *detailsScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case detailsMsg:
		if msg.id == s.id {
			s.events, s.err, s.loading = msg.events, msg.err, false
			s.sshKeys, s.keysErr, s.signIns = msg.keys, msg.keysErr, msg.signIns
		}
	case dataMsg:
		if s.user() == nil {
			return asks(s, closeMsg{}), nil
		}
		return s, s.loadCmd()
	case keysDoneMsg:
		if msg.uid == s.id {
			return s, s.loadCmd()
		}
	case tea.KeyPressMsg:
		k := s.keys
		u := s.user()
		switch {
		case key.Matches(msg, k.Back):
			return asks(s, closeMsg{}), nil
		case key.Matches(msg, k.Up):
			s.scroll = max(0, s.scroll-1)
		case key.Matches(msg, k.Down):
			s.scroll++
		case u == nil:
		case key.Matches(msg, k.Edit):
			f := newFormScreen(s.c, u)
			return asks(s, open(f, f.Init())), nil
		case key.Matches(msg, k.Actions):
			return asks(s, open(newActionsScreen(s.c, []uint64{u.ID}), nil)), nil
		case key.Matches(msg, k.Keys):
			ks := newKeysScreen(s.c, u.ID, s.sshKeys)
			return asks(s, open(ks, ks.p.loadCmd())), nil
		}
	}
	return s, nil
}

// View implements screen.
func (s *detailsScreen) View() string {
	st := s.c.Styles
	u := s.user()
	if u == nil {
		return st.App.Muted.Render("This user no longer exists.")
	}
	name, _ := s.c.cells.safe(u.DisplayName())
	email, _ := s.c.cells.safe(u.Email)
	var lines []string
	lines = append(lines, st.App.DialogTitle.Render(name)+"  "+st.List.Badge[u.Status.String()].Render(u.Status.String()), "")
	field := func(label, value string) {
		lines = append(lines, st.App.Muted.Render(s.c.cells.fit(label, len(label), 14))+value)
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02 15:04") + st.App.Muted.Render("  ("+agoText(s.c.Now(), t)+")")
	}
	field("Username", u.Username)
	nameFields(s.c, u, field)
	field("E-mail", email)
	field("Role", u.Role.String())
	groups := s.c.snap.groupNames(u)
	if groups == "" {
		groups = "—"
	}
	field("Groups", groups)
	if m := s.c.snap.managedBy(u); m != "" {
		field("Manages", m)
	}
	field("Linux", linuxAccount(u))
	if u.IsService() {
		field("Kind", "service account")
	}
	if !u.ExpiresAt.IsZero() {
		field("Expires", expiryText(s.c, u))
	}
	field("Created", when(u.CreatedAt))
	field("Invited", when(u.InvitedAt))
	field("Activated", when(u.ActivatedAt))
	field("Last login", when(u.LastLoginAt))
	if u.PasswordSetAt.IsZero() {
		text := "no password set"
		if u.Status == roster.StatusActive {
			// Marked active by hand: nobody can sign in until one is set.
			text += ": send a password reset or a set-password link"
		}
		field("Password", st.App.Warn.Render(text))
	} else {
		field("Password", "set "+when(u.PasswordSetAt))
	}
	if u.Delivery != roster.DeliveryNone {
		d := u.Delivery.String()
		if u.DeliveryDetail != "" {
			d += " (" + u.DeliveryDetail + ")"
		}
		field("Last mail", d)
	}
	if u.Suppressed {
		field("Mail", st.App.Warn.Render("suppressed: "+u.SuppressReason))
	}
	lines = append(lines, signInLines(s.c, s.signIns, s.loading)...)
	lines = append(lines, "", st.App.DialogTitle.Render("SSH keys")+st.App.Muted.Render("  "+keysHint(s.c.Actor, u)))
	switch {
	case s.loading:
		lines = append(lines, st.App.Muted.Render("loading…"))
	case s.keysErr != nil:
		lines = append(lines, st.App.Error.Render(roster.ErrorMessage(s.keysErr)))
	default:
		for _, l := range keyLines(s.c.Styles, s.c.cells, s.c.Now(), s.c.Width-2, s.sshKeys, -1, "no keys") {
			lines = append(lines, strings.TrimPrefix(l, "  "))
		}
	}
	lines = append(lines, "", st.App.DialogTitle.Render("History"))
	switch {
	case s.loading:
		lines = append(lines, st.App.Muted.Render("loading…"))
	case s.err != nil:
		lines = append(lines, st.App.Error.Render(roster.ErrorMessage(s.err)))
	case len(s.events) == 0:
		lines = append(lines, st.App.Muted.Render("nothing recorded"))
	}
	for _, ev := range s.events {
		lines = append(lines, eventLine(s.c, ev, s.c.Width-4))
	}
	s.scroll = max(0, min(s.scroll, len(lines)-s.c.bodyHeight()))
	lines = lines[s.scroll:]
	return "  " + strings.Join(lines, "\n  ")
}

// eventLine draws one audit event on one line of at most width cells.
func eventLine(c *Common, ev roster.AuditEvent, width int) string {
	st := c.Styles.App
	t := ev.Time.Local().Format("2006-01-02 15:04:05")
	targets := strings.Join(ev.Targets, ", ")
	if len(ev.Targets) > 3 {
		targets = strings.Join(ev.Targets[:3], ", ") + " and " + itoa(len(ev.Targets)-3) + " more"
	}
	rest := ev.Action + "  " + targets
	if ev.Details != "" {
		rest += "  " + ev.Details
	}
	rest += "  by " + ev.Actor
	rest, w := c.cells.safe(rest)
	return st.Muted.Render(t) + "  " + c.cells.fit(rest, w, max(10, width-len(t)-2))
}

// keysScreen manages one user's SSH keys for an administrator (K in the
// user's details): the list, add (paste a public key line) and remove
// (after a question). The store checks the actor's powers; a refusal shows
// in the status line with the role it needs.
type keysScreen struct {
	c    *Common
	p    *keysPanel
	err  error // the last load's
	back key.Binding
}

// newKeysScreen starts from keys, the list the details showed, until the
// store's answers.
func newKeysScreen(c *Common, id uint64, keys []*store.SSHKey) *keysScreen {
	s := &keysScreen{c: c, p: newKeysPanel(c.DB, c.Actor, id), back: kb("esc/q", "back", "esc")}
	s.p.setWidth(c.Width)
	s.p.setKeys(keys)
	s.allow()
	return s
}

// allow offers what the rule table lets the actor do to the user's keys,
// as the snapshot has them (a role or group change shows at the next).
func (s *keysScreen) allow() {
	if i, ok := s.c.snap.indexOf(s.p.uid); ok {
		s.p.allow(s.c.snap.user(i))
	}
}

// TakesText implements screen.
func (s *keysScreen) TakesText() bool { return s.p.takesText() }

// Help implements screen.
func (s *keysScreen) Help() help.KeyMap {
	if s.p.takesText() {
		return keyMap{short: s.p.helpKeys()}
	}
	return keyMap{short: append(s.p.helpKeys(), s.back)}
}

// Update implements screen.
func (s *keysScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		s.p.setWidth(msg.Width)
	case keysLoadedMsg:
		if msg.uid == s.p.uid {
			s.err = msg.err
			if msg.err == nil {
				s.p.setKeys(msg.keys)
			}
		}
	case keysDoneMsg:
		if msg.uid != s.p.uid {
			return s, nil
		}
		s.p.done()
		if msg.err != nil {
			return asks(s, say(roster.ErrorMessage(msg.err), true)), nil
		}
		return asks(s, say(msg.text, false), reloadMsg{}), s.p.loadCmd()
	case dataMsg:
		if _, ok := s.c.snap.indexOf(s.p.uid); !ok {
			return asks(s, closeMsg{}), nil
		}
		s.allow()
		return s, s.p.loadCmd()
	case tea.PasteMsg:
		return s, s.p.paste(msg)
	case tea.KeyPressMsg:
		if !s.p.takesText() && key.Matches(msg, s.back) {
			return asks(s, closeMsg{}), nil
		}
		cmd, _ := s.p.key(msg)
		return s, cmd
	}
	return s, nil
}

// View implements screen.
func (s *keysScreen) View() string {
	st := s.c.Styles
	whose := "the user's"
	title := "SSH keys"
	if i, ok := s.c.snap.indexOf(s.p.uid); ok {
		u := s.c.snap.user(i)
		whose = u.Username + "'s"
		title = "SSH keys of " + u.Username
	}
	lines := []string{"  " + st.App.DialogTitle.Render(title), ""}
	if note := s.p.refusedNote(); note != "" {
		lines = append(lines[:1], wrapLines(note, s.c.Width-2)...)
		for i := 1; i < len(lines); i++ {
			lines[i] = st.App.Muted.Render(lines[i])
		}
		lines = append(lines, "")
	}
	if s.err != nil {
		lines = append(lines, "  "+st.App.Error.Render(roster.ErrorMessage(s.err)))
	} else {
		lines = append(lines, s.p.lines(st, s.c.cells, s.c.Now(), s.c.Width-2, whose)...)
	}
	return strings.Join(lines, "\n")
}

// keysHint says what K offers for u's keys, as the rule table allows.
func keysHint(a roster.Actor, u *roster.User) string {
	add, remove := a.May(roster.OpAddKey, u) == nil, a.May(roster.OpRemoveKey, u) == nil
	switch {
	case add && remove:
		return "K to add or remove"
	case add:
		return "K to add"
	case remove:
		return "K to remove"
	}
	return "not yours to change (K says why)"
}

// linuxAccount describes u's Linux account (RFC 2307) on one line.
func linuxAccount(u *roster.User) string {
	shell := "default shell"
	if u.Shell != "" {
		shell = "shell " + u.Shell
	}
	return fmt.Sprintf("uid %d · %s", u.UIDNumber, shell)
}
