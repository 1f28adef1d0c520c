package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
)

// linkScreen makes a one-time set-password link for one user and shows it
// once, in full, so it can be copied (c copies it to the clipboard).
type linkScreen struct {
	c       *Common
	id      uint64
	name    string
	pending bool
	link    string
	expires time.Time
	err     error
	busy    bool
}

// linkMsg carries a new link.
type linkMsg struct {
	link    string
	expires time.Time
	err     error
}

func newLinkScreen(c *Common, id uint64) *linkScreen {
	s := &linkScreen{c: c, id: id, name: "#" + itoa(int(id))}
	if i, ok := c.snap.indexOf(id); ok {
		u := c.snap.user(i)
		s.name, s.pending = u.Username, u.Status == roster.StatusPending
	}
	return s
}

func (s *linkScreen) dialog() {}

// TakesText implements screen.
func (s *linkScreen) TakesText() bool { return s.busy }

// Help implements screen.
func (s *linkScreen) Help() help.KeyMap {
	if s.link != "" {
		return keyMap{short: []key.Binding{kb("c", "copy to clipboard", "c"), kb("enter/esc", "close", "enter")}}
	}
	return keyMap{short: []key.Binding{kb("y/enter", "make the link", "y"), kb("n/esc", "cancel", "n")}}
}

// Update implements screen.
func (s *linkScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case linkMsg:
		s.busy = false
		s.link, s.expires, s.err = msg.link, msg.expires, msg.err
		return asks(s, reloadMsg{}), nil
	case tea.KeyPressMsg:
		k := msg.String()
		switch {
		case s.busy:
		case s.link != "" || s.err != nil:
			switch k {
			case "c":
				if s.link != "" {
					return asks(s, say("Link copied to the clipboard (if the terminal allows it)", false)), tea.SetClipboard(s.link)
				}
			case "enter", "esc", "q", "space":
				if s.err != nil {
					return asks(s, closeMsg{}, say("No link: "+roster.ErrorMessage(s.err), true)), nil
				}
				return asks(s, closeMsg{}, say("Set-password link made for "+s.name, false)), nil
			}
		case k == "y" || k == "Y" || k == "enter":
			s.busy = true
			return s, s.issueCmd()
		case k == "n" || k == "N" || k == "esc" || k == "q":
			return asks(s, closeMsg{}), nil
		}
	}
	return s, nil
}

func (s *linkScreen) issueCmd() tea.Cmd {
	db, actor, id, ttl := s.c.DB, s.c.Actor, s.id, s.c.Services.LinkTTL
	base := strings.TrimRight(s.c.Services.Mail.BaseURL(), "/")
	purpose := roster.TokenReset
	if s.pending {
		purpose = roster.TokenInvite
	}
	return func() tea.Msg {
		raw, t, err := db.IssueLink(actor, id, purpose, ttl)
		if err != nil {
			return linkMsg{err: err}
		}
		return linkMsg{link: base + "/invite/" + raw, expires: t.ExpiresAt}
	}
}

// View implements screen.
func (s *linkScreen) View() string {
	st := s.c.Styles.App
	width := max(20, s.c.Width-8) // text inside the dialog frame
	var b strings.Builder
	switch {
	case s.err != nil:
		b.WriteString(st.Error.Render("✗ No link: " + roster.ErrorMessage(s.err)))
		b.WriteString("\n\n" + st.Muted.Render("enter to close"))
	case s.link != "":
		b.WriteString(st.DialogTitle.Render("One-time link for " + s.name))
		b.WriteString("\n\n")
		// The link in full, cut into lines of the dialog's width (no
		// hyphens), so it can be read and copied even on a narrow terminal.
		for l := s.link; l != ""; {
			n := min(len(l), width)
			b.WriteString(st.Key.Render(l[:n]) + "\n")
			l = l[n:]
		}
		b.WriteString("\n" + "Valid until " + s.expires.Local().Format("2006-01-02 15:04") + ", once.")
		b.WriteString("\n" + st.Warn.Render("Shown only now: copy it (c) before closing."))
		b.WriteString("\n" + st.Muted.Render("Any earlier link for "+s.name+" no longer works."))
	case s.busy:
		b.WriteString(st.Muted.Render("Making the link…"))
	default:
		b.WriteString(st.DialogTitle.Render("Make a set-password link for " + s.name + "?"))
		b.WriteString("\n\n")
		b.WriteString("No mail is sent: you hand the link over yourself.\n")
		b.WriteString("It replaces any earlier link, invitation included.\n\n")
		b.WriteString(st.Key.Render("y") + " make it    " + st.Key.Render("n") + " cancel")
	}
	return s.c.box(strings.TrimRight(b.String(), "\n"))
}
