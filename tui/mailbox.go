package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// MailboxLimit is how many of the newest messages the Mailbox screen shows.
const MailboxLimit = 200

// mailboxScreen (M) shows the built-in dev mailbox, newest first: when,
// to whom, the subject, and under the list the message at the cursor with
// its link in full, so it can be copied and opened in a browser.
type mailboxScreen struct {
	c        *Common
	msgs     []*store.MailboxMessage
	loaded   bool
	err      error
	cursor   int
	offset   int
	clearing bool // asking whether to empty the mailbox
	reading  bool // showing the message at the cursor in full
	scroll   int  // first line of the message shown while reading
}

// mailboxMsg carries the mailbox's messages.
type mailboxMsg struct {
	msgs []*store.MailboxMessage
	err  error
}

// mailboxClearedMsg reports that the mailbox was emptied.
type mailboxClearedMsg struct{ err error }

func newMailboxScreen(c *Common) *mailboxScreen { return &mailboxScreen{c: c} }

func (s *mailboxScreen) loadCmd() tea.Cmd {
	db, actor := s.c.DB, s.c.Actor
	return func() tea.Msg {
		msgs, err := db.MailboxMessages(actor, MailboxLimit, false)
		return mailboxMsg{msgs: msgs, err: err}
	}
}

func (s *mailboxScreen) clearCmd() tea.Cmd {
	db, actor := s.c.DB, s.c.Actor
	return func() tea.Msg { return mailboxClearedMsg{err: db.ClearMailbox(actor)} }
}

// TakesText implements screen.
func (s *mailboxScreen) TakesText() bool { return false }

// Help implements screen.
func (s *mailboxScreen) Help() help.KeyMap {
	if s.clearing {
		return keyMap{short: []key.Binding{kb("y", "empty it", "y"), kb("n/esc", "keep", "n")}}
	}
	if s.reading {
		keys := []key.Binding{kb("↑/↓", "scroll", "up", "down"), kb("c", "copy link", "c"), kb("enter/esc", "back to the list", "esc")}
		return keyMap{short: keys, full: [][]key.Binding{keys}}
	}
	keys := []key.Binding{
		kb("↑/↓", "move", "up", "down"),
		kb("enter", "read", "enter"),
		kb("c", "copy link", "c"),
		kb("x", "empty mailbox", "x"),
		kb("esc/q", "back", "esc"),
	}
	return keyMap{short: keys, full: [][]key.Binding{keys}}
}

// Update implements screen.
func (s *mailboxScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case mailboxMsg:
		// Keep the cursor on the same message when new mail arrives on top.
		var at uint64
		if s.cursor < len(s.msgs) {
			at = s.msgs[s.cursor].ID
		}
		s.msgs, s.err, s.loaded = msg.msgs, msg.err, true
		s.cursor = 0
		for i, m := range s.msgs {
			if m.ID == at {
				s.cursor = i
			}
		}
		s.clamp()
	case mailboxClearedMsg:
		s.clearing = false
		if msg.err != nil {
			return asks(s, say("Cannot empty the mailbox: "+roster.ErrorMessage(msg.err), true)), nil
		}
		return asks(s, say("The dev mailbox is empty", false)), s.loadCmd()
	case dataMsg:
		return s, s.loadCmd()
	case tea.KeyPressMsg:
		return s.key(msg)
	}
	return s, nil
}

func (s *mailboxScreen) key(msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := msg.String()
	if s.clearing {
		switch k {
		case "y", "Y":
			return s, s.clearCmd()
		case "n", "N", "esc", "q":
			s.clearing = false
		}
		return s, nil
	}
	if s.reading {
		switch k {
		case "up", "k":
			s.scroll = max(0, s.scroll-1)
		case "down", "j":
			s.scroll = min(s.scroll+1, max(0, len(s.messageLines())-s.c.bodyHeight()+1))
		case "c":
			if m := s.current(); m != nil && m.Link != "" {
				return asks(s, say("Link copied to the clipboard (if the terminal allows it)", false)), tea.SetClipboard(m.Link)
			}
		case "enter", "esc", "q":
			s.reading = false
		}
		return s, nil
	}
	switch k {
	case "enter":
		if s.current() != nil {
			s.reading, s.scroll = true, 0
		}
	case "up", "k":
		s.cursor--
	case "down", "j":
		s.cursor++
	case "pgup":
		s.cursor -= s.listRows()
	case "pgdown":
		s.cursor += s.listRows()
	case "home":
		s.cursor = 0
	case "end":
		s.cursor = len(s.msgs) - 1
	case "x":
		if len(s.msgs) > 0 {
			s.clearing = true
		}
	case "c":
		if m := s.current(); m != nil && m.Link != "" {
			return asks(s, say("Link copied to the clipboard (if the terminal allows it)", false)), tea.SetClipboard(m.Link)
		}
	case "esc", "q":
		return asks(s, closeMsg{}), nil
	}
	s.clamp()
	return s, nil
}

func (s *mailboxScreen) current() *store.MailboxMessage {
	if s.cursor >= 0 && s.cursor < len(s.msgs) {
		return s.msgs[s.cursor]
	}
	return nil
}

// listRows is how many messages the list shows: what the message pane
// under it leaves.
func (s *mailboxScreen) listRows() int {
	return max(1, s.c.bodyHeight()-2-s.paneHeight())
}

// paneHeight is the height of the message pane: a rule, From, To,
// Subject, and the link in as many lines as it takes.
func (s *mailboxScreen) paneHeight() int {
	return 5 + len(s.linkLines())
}

func (s *mailboxScreen) linkLines() []string {
	m := s.current()
	if m == nil || m.Link == "" {
		return []string{"(no link in this message)"}
	}
	width := max(20, s.c.Width-2)
	var out []string
	for l := m.Link; l != ""; {
		n := min(len(l), width)
		out = append(out, l[:n])
		l = l[n:]
	}
	return out
}

func (s *mailboxScreen) clamp() {
	s.cursor = max(0, min(s.cursor, len(s.msgs)-1))
	h := s.listRows()
	if s.cursor < s.offset {
		s.offset = s.cursor
	}
	if s.cursor >= s.offset+h {
		s.offset = s.cursor - h + 1
	}
	s.offset = max(0, min(s.offset, len(s.msgs)-h))
}

// messageLines is the message at the cursor as lines of the screen's
// width: its headers, then its text, with long lines (the link) cut, not
// hyphenated, so they can be copied.
func (s *mailboxScreen) messageLines() []string {
	m := s.current()
	if m == nil {
		return nil
	}
	width := max(20, s.c.Width)
	lines := []string{
		"From     " + m.From,
		"To       " + strings.Join(m.To, ", "),
		"Subject  " + m.Subject,
		"Received " + m.ReceivedAt.Local().Format("2006-01-02 15:04:05"),
		"",
	}
	for _, l := range strings.Split(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n") {
		l, _ = s.c.cells.safe(l)
		lines = append(lines, strings.Split(ansi.Hardwrap(l, width, true), "\n")...)
	}
	return lines
}

// View implements screen.
func (s *mailboxScreen) View() string {
	c := s.c
	st := c.Styles.App
	if s.reading {
		lines := s.messageLines()
		lines = lines[min(s.scroll, len(lines)):]
		return st.Title.Render("Mailbox") + st.Muted.Render(" · message "+itoa(s.cursor+1)+" of "+itoa(len(s.msgs))) + "\n" + strings.Join(lines, "\n")
	}
	var b strings.Builder
	title := ""
	if m := c.Services.Mail; m != nil && !m.DevMailbox() {
		title += st.Muted.Render(" · mail goes to " + m.Mode() + "; this is the old dev mailbox")
	} else {
		title += st.Muted.Render(" · dev mailbox (no SMTP server set)")
	}
	b.WriteString(st.Title.Render("Mailbox") + title + "\n")
	switch {
	case s.err != nil:
		b.WriteString(st.Error.Render("Cannot read the mailbox: " + roster.ErrorMessage(s.err)))
		return b.String()
	case !s.loaded:
		b.WriteString(st.Muted.Render("Loading…"))
		return b.String()
	case len(s.msgs) == 0:
		b.WriteString("\n" + st.Muted.Render("  No mail yet. Invite a user (a on the list, then Send invitation)\n  and the invitation shows up here with its link."))
		return b.String()
	}
	if s.clearing {
		b.WriteString(st.Warn.Render("Empty the mailbox ("+plural(len(s.msgs), "message")+")? ") + st.Key.Render("y") + " yes  " + st.Key.Render("n") + " no\n")
	} else {
		b.WriteString(c.Styles.List.Header.Render(s.row("Received", "To", "Subject")) + "\n")
	}
	now := c.Now()
	end := min(len(s.msgs), s.offset+s.listRows())
	for i := s.offset; i < end; i++ {
		m := s.msgs[i]
		to := strings.Join(m.To, ", ")
		line := s.row(when(now, m.ReceivedAt), to, m.Subject)
		if i == s.cursor {
			b.WriteString(c.Styles.List.Cursor.Render("›" + line[1:]))
		} else {
			b.WriteString(line)
		}
		b.WriteByte('\n')
	}
	for i := end - s.offset; i < s.listRows(); i++ {
		b.WriteByte('\n')
	}
	if m := s.current(); m != nil {
		b.WriteString(st.Muted.Render(strings.Repeat("─", c.Width)) + "\n")
		field := func(name, v string) {
			v, w := c.cells.safe(v)
			b.WriteString(st.Muted.Render(name) + c.cells.fit(v, w, c.Width-len(name)) + "\n")
		}
		field("From     ", m.From)
		field("To       ", strings.Join(m.To, ", "))
		field("Subject  ", m.Subject)
		b.WriteString(st.Muted.Render("Link") + st.Muted.Render("  (c copies it; open it in a browser)") + "\n")
		for _, l := range s.linkLines() {
			b.WriteString(st.Key.Render(l) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// row lays out one line of the list: time, recipient, subject.
func (s *mailboxScreen) row(at, to, subject string) string {
	c := s.c
	w := c.Width - 2 - 11 - 2
	toW := min(32, w*2/5)
	subW := max(0, w-toW-1)
	to, tw := c.cells.safe(to)
	subject, sw := c.cells.safe(subject)
	return "  " + c.cells.fit(at, len(at), 11) + " " + c.cells.fit(to, tw, toW) + " " + c.cells.fit(subject, sw, subW)
}

// when shows a time briefly: the clock for today, else the date and clock.
func when(now, t time.Time) string {
	t = t.Local()
	if y, m, d := now.Local().Date(); t.Year() == y && t.Month() == m && t.Day() == d {
		return t.Format("15:04:05")
	}
	return t.Format("01-02 15:04")
}
