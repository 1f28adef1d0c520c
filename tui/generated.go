package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
)

// generatedScreen generates a strong password for one user (a person or a
// service account), stores it, revokes their live links, and shows it
// once: c copies it (OSC 52). It also shows the password of a service
// account the form just created (newShownPassword).
type generatedScreen struct {
	c       *Common
	id      uint64
	name    string
	service bool
	pending bool
	pw      string // shown once; dropped when the screen closes
	err     error
	busy    bool
	created bool // the form made the account: nothing to confirm
}

// generatedMsg carries the new password, or why there is none.
type generatedMsg struct {
	pw  string
	err error
}

func newGeneratedScreen(c *Common, id uint64) *generatedScreen {
	s := &generatedScreen{c: c, id: id, name: "#" + itoa(int(id))}
	if i, ok := c.snap.indexOf(id); ok {
		u := c.snap.user(i)
		s.name, s.service, s.pending = u.Username, u.IsService(), u.Status == roster.StatusPending
	}
	return s
}

// newShownPassword shows the password of an account just created.
func newShownPassword(c *Common, u *roster.User, pw string) *generatedScreen {
	return &generatedScreen{c: c, id: u.ID, name: u.Username, service: u.IsService(), pw: pw, created: true}
}

func (s *generatedScreen) dialog() {}

// TakesText implements screen.
func (s *generatedScreen) TakesText() bool { return s.busy }

// Help implements screen.
func (s *generatedScreen) Help() help.KeyMap {
	if s.pw != "" {
		return keyMap{short: []key.Binding{kb("c", "copy to clipboard", "c"), kb("enter/esc", "close", "enter")}}
	}
	return keyMap{short: []key.Binding{kb("y", "generate", "y"), kb("n/esc", "cancel", "n")}}
}

// Update implements screen.
func (s *generatedScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case generatedMsg:
		s.busy = false
		s.pw, s.err = msg.pw, msg.err
		return asks(s, reloadMsg{}), nil
	case tea.KeyPressMsg:
		k := msg.String()
		switch {
		case s.busy:
		case s.pw != "" || s.err != nil:
			switch k {
			case "c":
				if s.pw != "" {
					return asks(s, say("Password copied to the clipboard (if the terminal allows it)", false)), tea.SetClipboard(s.pw)
				}
			case "enter", "esc", "q", "space":
				if s.err != nil {
					return asks(s, closeMsg{}, say("No new password: "+roster.ErrorMessage(s.err), true)), nil
				}
				s.pw = ""
				text := "New password for " + s.name + " shown once; live links revoked"
				if s.created {
					text = "Service account " + s.name + " added; its password was shown once"
				}
				return asks(s, closeMsg{}, say(text, false)), nil
			}
		case k == "y" || k == "Y":
			// Enter is not yes: the old password stops working.
			s.busy = true
			return s, s.generateCmd()
		case k == "n" || k == "N" || k == "esc" || k == "q":
			return asks(s, closeMsg{}), nil
		}
	}
	return s, nil
}

// generateCmd makes, approves and stores the password off the Update loop
// (hashing takes a moment).
func (s *generatedScreen) generateCmd() tea.Cmd {
	db, actor, id := s.c.DB, s.c.Actor, s.id
	var username, email string
	if i, ok := s.c.snap.indexOf(id); ok {
		username, email = s.c.snap.rows[i].Username, s.c.snap.rows[i].Email
	}
	return func() tea.Msg {
		pw, ok, err := generatePassword(username, email)
		if err == nil {
			_, err = db.SetGeneratedPassword(actor, id, ok)
		}
		if err != nil {
			return generatedMsg{err: err}
		}
		return generatedMsg{pw: pw}
	}
}

// generatePassword makes a strong password and approves it with the
// policy for the user.
func generatePassword(username, email string) (string, password.Approved, error) {
	pw, err := password.Generate()
	if err != nil {
		return "", password.Approved{}, err
	}
	ok, err := password.Approve(pw, username, email, password.Hash)
	return pw, ok, err
}

// View implements screen.
func (s *generatedScreen) View() string {
	st := s.c.Styles.App
	var b strings.Builder
	switch {
	case s.err != nil:
		b.WriteString(st.Error.Render("✗ No new password: " + roster.ErrorMessage(s.err)))
		b.WriteString("\n\n" + st.Muted.Render("enter to close"))
	case s.pw != "":
		title := "New password for " + s.name
		if s.created {
			title = "Password of the service account " + s.name
		}
		b.WriteString(st.DialogTitle.Render(title) + "\n\n")
		b.WriteString("  " + st.Key.Render(s.pw) + "\n\n")
		b.WriteString(st.Warn.Render("Shown only now: copy it (c) before closing.") + "\n")
		switch {
		case s.service:
			b.WriteString(st.Muted.Render("Put it in the app's settings; the app binds as " + s.name + "."))
		default:
			b.WriteString(st.Muted.Render("Any set-password link for " + s.name + " no longer works.\nThey can change it by LDAP password modify or a reset mail."))
		}
	case s.busy:
		b.WriteString(st.Muted.Render("Generating…"))
	default:
		b.WriteString(st.DialogTitle.Render("Generate a new password for " + s.name + "?"))
		b.WriteString("\n\n")
		b.WriteString("Their current password stops working and any live\nset-password link or invitation is revoked.\n")
		if s.pending {
			b.WriteString("They become active with the new password.\n")
		}
		b.WriteString("The password is shown once, here.\n\n")
		b.WriteString(st.Key.Render("y") + " generate    " + st.Key.Render("n") + " cancel")
	}
	return s.c.box(strings.TrimRight(b.String(), "\n"))
}

// generateAction is the actions menu's "Generate password…", for one user
// at a time; the rule table says who may (OpSetPassword).
func generateAction() Action {
	return Action{
		Label:  "Generate password…",
		Single: true,
		Skip:   opSkip(roster.OpSetPassword),
		Open: func(c *Common, ids []uint64) (screen, tea.Cmd) {
			if len(ids) != 1 {
				return nil, func() tea.Msg { return say("A password is generated for one user at a time: select one", true) }
			}
			return newGeneratedScreen(c, ids[0]), nil
		},
	}
}
