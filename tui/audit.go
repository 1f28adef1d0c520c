package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// AuditLimit is how many events the audit screen loads.
const AuditLimit = 2000

// auditScreen lists the audit log newest first; / filters it.
type auditScreen struct {
	c         *Common
	events    []roster.AuditEvent
	err       error
	loading   bool
	cursor    int
	input     textinput.Model
	filtering bool
	query     string // the search the events were loaded for
	open      bool   // the entry under the cursor is shown whole
}

// auditMsg carries audit events.
type auditMsg struct {
	query  string
	events []roster.AuditEvent
	err    error
}

func newAuditScreen(c *Common) *auditScreen {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "filter by actor, action, user or details"
	in.CharLimit = 100
	return &auditScreen{c: c, input: in, loading: true}
}

func (s *auditScreen) loadCmd() tea.Cmd {
	db, actor, q := s.c.DB, s.c.Actor, s.query
	return func() tea.Msg {
		evs, err := db.AuditEvents(actor, store.AuditFilter{Limit: AuditLimit, Search: q})
		return auditMsg{query: q, events: evs, err: err}
	}
}

// TakesText implements screen.
func (s *auditScreen) TakesText() bool { return s.filtering }

// Help implements screen.
func (s *auditScreen) Help() help.KeyMap {
	if s.filtering {
		return keyMap{short: []key.Binding{kb("enter", "done", "enter"), kb("esc", "clear", "esc")}}
	}
	if s.open {
		return keyMap{short: []key.Binding{kb("↑/↓", "previous/next entry", "up"), kb("enter/esc", "close", "enter")}}
	}
	return keyMap{short: []key.Binding{kb("↑/↓", "move", "up"), kb("enter", "read whole", "enter"), kb("/", "filter", "/"), kb("esc/q", "back", "esc")}}
}

// footer is the status line while the audit log is shown.
func (s *auditScreen) footer() string {
	text := plural(len(s.events), "event")
	if len(s.events) > 0 {
		text = itoa(s.cursor+1) + " of " + text
	}
	if s.query != "" {
		text += " matching " + s.query
	}
	return s.c.Styles.App.Muted.Render(text)
}

// Update implements screen.
func (s *auditScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case auditMsg:
		if msg.query == s.query {
			s.events, s.err, s.loading = msg.events, msg.err, false
			s.cursor = max(0, min(s.cursor, len(s.events)-1))
		}
	case dataMsg:
		return s, s.loadCmd()
	case tea.KeyPressMsg:
		if s.filtering {
			switch msg.String() {
			case "enter":
				s.filtering = false
				s.input.Blur()
				return s, nil
			case "esc":
				s.filtering = false
				s.input.Blur()
				s.input.SetValue("")
				return s, s.search("")
			}
			var cmd tea.Cmd
			s.input, cmd = s.input.Update(msg)
			return s, tea.Batch(cmd, s.search(s.input.Value()))
		}
		page := max(1, s.c.bodyHeight()-3)
		switch msg.String() {
		case "enter":
			s.open = !s.open && len(s.events) > 0
		case "esc":
			if s.open {
				s.open = false
				return s, nil
			}
			if s.query != "" {
				s.input.SetValue("")
				return s, s.search("")
			}
			return asks(s, closeMsg{}), nil
		case "/":
			s.filtering = true
			return s, s.input.Focus()
		case "up", "k":
			s.cursor = max(0, s.cursor-1)
		case "down", "j":
			s.cursor = max(0, min(len(s.events)-1, s.cursor+1))
		case "pgup":
			s.cursor = max(0, s.cursor-page)
		case "pgdown":
			s.cursor = max(0, min(len(s.events)-1, s.cursor+page))
		case "home":
			s.cursor = 0
		case "end":
			s.cursor = max(0, len(s.events)-1)
		}
	}
	return s, nil
}

func (s *auditScreen) search(q string) tea.Cmd {
	q = strings.TrimSpace(q)
	if q == s.query {
		return nil
	}
	s.query, s.loading = q, true
	return s.loadCmd()
}

// View implements screen.
func (s *auditScreen) View() string {
	st := s.c.Styles
	var b strings.Builder
	b.WriteString(st.App.DialogTitle.Render("Audit log"))
	b.WriteString(st.App.Muted.Render("  newest first · " + plural(len(s.events), "event")))
	if len(s.events) == AuditLimit {
		b.WriteString(st.App.Muted.Render(" (the latest " + itoa(AuditLimit) + ")"))
	}
	b.WriteString("\n")
	if s.filtering || s.query != "" {
		b.WriteString(s.input.View())
	}
	b.WriteString("\n")
	switch {
	case s.err != nil:
		b.WriteString(st.App.Error.Render(roster.ErrorMessage(s.err)))
		return b.String()
	case s.loading && len(s.events) == 0:
		b.WriteString(st.App.Muted.Render("loading…"))
		return b.String()
	case len(s.events) == 0:
		b.WriteString(st.App.Muted.Render("no events"))
		return b.String()
	}
	h := max(1, s.c.bodyHeight()-2)
	start := max(0, min(s.cursor-h/2, len(s.events)-h))
	end := min(len(s.events), start+h)
	for i := start; i < end; i++ {
		// The cursor is marked in text too, so it shows without colour.
		line := eventLine(s.c, s.events[i], s.c.Width-4)
		if i == s.cursor {
			line = st.List.Cursor.Render("› " + ansi.Strip(line))
		} else {
			line = "  " + line
		}
		b.WriteString(line)
		if i < end-1 {
			b.WriteByte('\n')
		}
	}
	if s.open && s.cursor < len(s.events) {
		return s.c.overlay(b.String(), s.c.box(eventWhole(s.c, s.events[s.cursor])))
	}
	return b.String()
}

// eventWhole is one audit event, every field on its own line; the box
// wraps what is long.
func eventWhole(c *Common, ev roster.AuditEvent) string {
	st := c.Styles.App
	field := func(name, value string) string {
		value, _ = c.cells.safe(value)
		return st.Muted.Render(name+": ") + value + "\n"
	}
	text := st.DialogTitle.Render(ev.Action) + "\n\n" +
		field("when", ev.Time.Local().Format("2006-01-02 15:04:05")) +
		field("by", ev.Actor)
	if len(ev.Targets) > 0 {
		text += field("users", strings.Join(ev.Targets, ", "))
	}
	if ev.Details != "" {
		text += field("details", ev.Details)
	}
	return strings.TrimRight(text, "\n")
}
