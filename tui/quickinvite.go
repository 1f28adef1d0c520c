package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/transfer"
)

// quickInvite invites people by e-mail alone (seed 002): a row per
// address with a role, ctrl+n for another row, groups for them all. The
// username is made from the address, unique, and can be changed; the name
// is left for the invitee to give on the set-password page.
type quickInvite struct {
	c        *Common
	rows     []*quickRow
	groups   textinput.Model
	focus    int            // a field: 3 per row (e-mail, username, role), then groups, then Invite
	problems map[int]string // per row, from the last attempt
	err      string
	busy     bool
	discard  bool
}

type quickRow struct {
	email, username textinput.Model
	role            roster.Role
	edited          bool // the username was typed, not derived
}

// quickDoneMsg reports an attempt to invite.
type quickDoneMsg struct {
	problems map[int]string
	err      error
	ids      []uint64
	invited  roster.BulkResult
}

func newQuickInvite(c *Common) *quickInvite {
	g := textinput.New()
	g.Prompt = ""
	g.Placeholder = "group names, comma-separated (optional)"
	s := &quickInvite{c: c, groups: g, problems: map[int]string{}}
	if only := onlyGroup(c); only != "" {
		s.groups.SetValue(only)
	}
	s.addRow()
	return s
}

func (s *quickInvite) addRow() tea.Cmd {
	e := textinput.New()
	e.Prompt = ""
	e.Placeholder = "name@example.org"
	u := textinput.New()
	u.Prompt = ""
	u.Placeholder = "made from the address"
	s.rows = append(s.rows, &quickRow{email: e, username: u, role: roster.RoleMember})
	return s.setFocus(3 * (len(s.rows) - 1))
}

func (s *quickInvite) fields() int { return 3*len(s.rows) + 2 }

// setFocus moves the focus to field f, focusing its text input.
func (s *quickInvite) setFocus(f int) tea.Cmd {
	// A username emptied by hand is made from the address again.
	for _, r := range s.rows {
		if r.edited && strings.TrimSpace(r.username.Value()) == "" {
			r.edited = false
		}
	}
	s.typed()
	s.focus = max(0, min(f, s.fields()-1))
	for _, r := range s.rows {
		r.email.Blur()
		r.username.Blur()
	}
	s.groups.Blur()
	if in := s.input(); in != nil {
		in.CursorEnd()
		return in.Focus()
	}
	return nil
}

// input is the text input with the focus, nil on a role or on Invite.
func (s *quickInvite) input() *textinput.Model {
	switch i, col := s.focus/3, s.focus%3; {
	case i < len(s.rows) && col == 0:
		return &s.rows[i].email
	case i < len(s.rows) && col == 1:
		return &s.rows[i].username
	case s.focus == 3*len(s.rows):
		return &s.groups
	}
	return nil
}

// TakesText implements screen.
func (s *quickInvite) TakesText() bool { return !s.discard }

// Unsaved implements unsavedScreen.
func (s *quickInvite) Unsaved() bool {
	for _, r := range s.rows {
		if strings.TrimSpace(r.email.Value()) != "" {
			return !s.busy
		}
	}
	return false
}

// Help implements screen.
func (s *quickInvite) Help() help.KeyMap {
	if s.discard {
		return keyMap{short: []key.Binding{kb("y", "discard", "y"), kb("n/esc", "keep editing", "n")}}
	}
	return keyMap{short: []key.Binding{kb("tab/shift+tab", "next/back", "tab"), kb("ctrl+n", "another address", "ctrl+n"),
		kb("←/→", "role", "left"), kb("enter on Invite", "invite", "enter"), kb("esc", "cancel", "esc")}}
}

// Update implements screen.
func (s *quickInvite) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case quickDoneMsg:
		return s.done(msg)
	case tea.KeyPressMsg:
		return s.key(msg)
	case tea.PasteMsg:
		if in := s.input(); in != nil {
			return s, s.edit(in, msg)
		}
	}
	return s, nil
}

func (s *quickInvite) key(msg tea.KeyPressMsg) (screen, tea.Cmd) {
	if s.discard {
		switch msg.String() {
		case "y", "Y":
			return asks(s, closeMsg{}), nil
		case "n", "N", "esc", "q":
			s.discard = false
		}
		return s, nil
	}
	if s.busy {
		return s, nil
	}
	role := s.focus%3 == 2 && s.focus < 3*len(s.rows)
	switch k := msg.String(); {
	case k == "esc":
		if s.Unsaved() {
			s.discard = true
			return s, nil
		}
		return asks(s, closeMsg{}), nil
	case k == "ctrl+n" || (k == "+" && role):
		return s, s.addRow()
	case k == "tab" || k == "down":
		return s, s.setFocus(s.focus + 1)
	case k == "shift+tab" || k == "up":
		return s, s.setFocus(s.focus - 1)
	case k == "enter" && s.focus == s.fields()-1:
		s.busy, s.err = true, ""
		return s, s.inviteCmd()
	case k == "enter":
		return s, s.setFocus(s.focus + 1)
	case role && (k == "left" || k == "right" || k == "space"):
		r := s.rows[s.focus/3]
		i := slices.Index(roster.Roles, r.role)
		if k == "left" {
			i += len(roster.Roles) - 2
		}
		r.role = roster.Roles[(i+1)%len(roster.Roles)]
		return s, nil
	}
	if in := s.input(); in != nil {
		return s, s.edit(in, msg)
	}
	return s, nil
}

// edit gives msg to the focused input; a username typed by hand stays.
func (s *quickInvite) edit(in *textinput.Model, msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	*in, cmd = in.Update(msg)
	if i := s.focus / 3; i < len(s.rows) && s.focus%3 == 1 {
		s.rows[i].edited = true
	}
	s.typed()
	return cmd
}

// typed keeps the usernames made from the addresses up to date; one typed
// by hand stays.
func (s *quickInvite) typed() {
	taken := map[string]bool{}
	for _, r := range s.rows {
		if r.edited {
			taken[roster.NormalizeUsername(r.username.Value())] = true
		}
	}
	for _, r := range s.rows {
		if r.edited {
			continue
		}
		email := strings.TrimSpace(r.email.Value())
		if email == "" {
			r.username.SetValue("")
			continue
		}
		name := transfer.UsernameFor(email, func(n string) bool { return taken[n] || s.c.usernameTaken(n) })
		taken[name] = true
		r.username.SetValue(name)
	}
}

// usernameTaken reports whether a loaded user has the username.
func (c *Common) usernameTaken(name string) bool {
	if c.snap == nil {
		return false
	}
	c.snap.usernamesOnce.Do(func() {
		c.snap.usernames = make(map[string]struct{}, len(c.snap.rows))
		for i := range c.snap.rows {
			c.snap.usernames[c.snap.rows[i].Username] = struct{}{}
		}
	})
	_, ok := c.snap.usernames[name]
	return ok
}

// inviteCmd checks every row, then creates the users and invites them,
// off the Update loop. Nothing is created while any row has a problem.
func (s *quickInvite) inviteCmd() tea.Cmd {
	type want struct {
		row int
		u   roster.NewUser
	}
	var groups []string
	for _, g := range strings.Split(s.groups.Value(), ",") {
		if g = strings.TrimSpace(g); g != "" {
			groups = append(groups, g)
		}
	}
	var wants []want
	for i, r := range s.rows {
		email := strings.TrimSpace(r.email.Value())
		if email == "" {
			continue
		}
		wants = append(wants, want{i, roster.NewUser{Username: roster.NormalizeUsername(r.username.Value()),
			Email: email, Role: r.role, Groups: groups}})
	}
	c := s.c
	invite := c.inviter()
	return func() tea.Msg {
		msg := quickDoneMsg{problems: map[int]string{}}
		if len(wants) == 0 {
			msg.err = roster.Errorf(roster.EINVALID, "type at least one e-mail address")
			return msg
		}
		for _, g := range groups {
			if _, err := c.DB.Group(c.Actor, g); err != nil {
				msg.err = roster.Errorf(roster.EINVALID, "there is no group %q (press G to add it)", g)
				return msg
			}
		}
		seen := map[string]bool{}
		for _, w := range wants {
			if err := w.u.Validate(); err != nil {
				msg.problems[w.row] = roster.ErrorMessage(err)
				continue
			}
			if seen["u:"+w.u.Username] || seen["e:"+roster.NormalizeEmail(w.u.Email)] {
				msg.problems[w.row] = "given twice"
			}
			seen["u:"+w.u.Username], seen["e:"+roster.NormalizeEmail(w.u.Email)] = true, true
			if taken, err := c.DB.EmailTaken(c.Actor, roster.NormalizeEmail(w.u.Email), 0); err == nil && taken {
				msg.problems[w.row] = w.u.Email + " belongs to another user"
			} else if taken, err := c.DB.UsernameTaken(c.Actor, w.u.Username, 0); err == nil && taken {
				msg.problems[w.row] = "username " + w.u.Username + " is taken"
			}
		}
		if len(msg.problems) > 0 {
			return msg
		}
		for _, w := range wants {
			u, err := c.DB.CreateUser(c.Actor, w.u)
			if err != nil {
				msg.problems[w.row] = roster.ErrorMessage(err)
				msg.err = err
				return msg
			}
			msg.ids = append(msg.ids, u.ID)
		}
		if invite != nil {
			msg.invited, msg.err = invite(c.Actor, msg.ids)
		}
		return msg
	}
}

func (s *quickInvite) done(msg quickDoneMsg) (screen, tea.Cmd) {
	s.busy = false
	s.problems = msg.problems
	if len(msg.ids) == 0 {
		if msg.err != nil {
			s.err = roster.ErrorMessage(msg.err)
		}
		return s, nil
	}
	// Users were created: whatever else happened, the form's work is done.
	text := plural(len(msg.ids), "user") + " added"
	isErr := false
	switch {
	case msg.err != nil:
		text += ", but not invited: " + roster.ErrorMessage(msg.err)
		isErr = true
	case len(msg.invited.Changed) > 0:
		text += "; " + msg.invited.Summary("invited")
	}
	return asks(s, focusMsg{msg.ids[0]}, closeMsg{}, say(text, isErr), reloadMsg{}), nil
}

// View implements screen.
func (s *quickInvite) View() string {
	st := s.c.Styles
	k := s.c.cells
	var b strings.Builder
	b.WriteString(st.App.DialogTitle.Render("Invite by e-mail"))
	if s.busy {
		b.WriteString(st.App.Muted.Render("  inviting…"))
	}
	b.WriteString("\n" + st.App.Muted.Render(ansi.Wrap("Each address gets an invitation to set a password. The username is made from the address (change it if you like); they give their name when they set the password.", max(20, s.c.Width-6), " ")) + "\n\n")
	if s.err != "" {
		b.WriteString(st.App.Error.Render("✗ "+s.err) + "\n\n")
	}
	mailW := max(20, min(40, s.c.Width/3))
	userW := max(12, min(24, s.c.Width/5))
	b.WriteString(st.List.Header.Render("  "+k.fit("E-mail", 6, mailW)+"  "+k.fit("Username", 8, userW)+"  Role") + "\n")
	for i, r := range s.rows {
		r.email.SetWidth(mailW - 1)
		r.username.SetWidth(userW - 1)
		mark := func(f int) string {
			if s.focus == f {
				return st.App.Key.Render("›")
			}
			return " "
		}
		role := r.role.String()
		if s.focus == 3*i+2 {
			role = st.App.Key.Render("‹ " + role + " ›")
		} else {
			role = "  " + role
		}
		b.WriteString(mark(3*i) + " " + s.cell(r.email, mailW) + " " + mark(3*i+1) + s.cell(r.username, userW) + " " + mark(3*i+2) + role)
		if p := s.problems[i]; p != "" {
			b.WriteString("  " + st.App.Error.Render("✗ "+p))
		}
		b.WriteByte('\n')
	}
	b.WriteString(st.App.Muted.Render("  ctrl+n (or + on a role) adds another address") + "\n\n")
	s.groups.SetWidth(max(20, min(50, s.c.Width-14)))
	b.WriteString(s.markFocus(3*len(s.rows)) + " Groups  " + s.cell(s.groups, max(20, min(50, s.c.Width-14))+1) + "\n\n")
	n := itoa(s.filled()) + " addresses"
	if s.filled() == 1 {
		n = "1 address"
	}
	invite := "[ Invite " + n + " ]"
	if s.focus == s.fields()-1 {
		invite = st.List.Cursor.Render(invite)
	}
	b.WriteString(s.markFocus(s.fields()-1) + " " + invite)
	body := indent(b.String())
	if s.discard {
		return s.c.overlay(body, s.c.box(st.App.DialogTitle.Render("Discard what you typed?")+"\n\n"+
			st.App.Key.Render("y")+" discard    "+st.App.Key.Render("n")+" keep editing"))
	}
	return body
}

func (s *quickInvite) markFocus(f int) string {
	if s.focus == f {
		return s.c.Styles.App.Key.Render("›")
	}
	return " "
}

// filled counts the rows with an address.
func (s *quickInvite) filled() int {
	n := 0
	for _, r := range s.rows {
		if strings.TrimSpace(r.email.Value()) != "" {
			n++
		}
	}
	return n
}

// cell draws a text input in exactly w cells: the live input when it has
// the focus, else its value (or placeholder) cut to fit.
func (s *quickInvite) cell(in textinput.Model, w int) string {
	k := s.c.cells
	if in.Focused() {
		v := in.View()
		return v + strings.Repeat(" ", max(0, w-k.width(v)))
	}
	v, vw := k.safe(in.Value())
	if v == "" {
		return s.c.Styles.App.Muted.Render(k.fit(in.Placeholder, len(in.Placeholder), w))
	}
	return k.fit(v, vw, w)
}

// indent moves every line of s two cells right.
func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
