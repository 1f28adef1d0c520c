package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/roster-dev/roster"
)

// View implements tea.Model.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	// Clicks and the wheel (shift+drag still selects text in most terminals).
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "Roster"
	if t, ok := m.base.(interface{ title() string }); ok {
		v.WindowTitle = "Roster · " + t.title()
	}
	return v
}

// render draws the whole frame as a string.
func (m *Model) render() string {
	c := m.c
	if m.quitting {
		return ""
	}
	if c.Width == 0 {
		return "" // no size yet
	}
	if m.tooSmall() {
		return tooSmallView(c)
	}
	header := m.header()
	km := m.base.Help()
	body := ""
	bodyH := c.Height - lipgloss.Height(header) - 2 // footer: status + help
	switch t := m.top(); {
	case m.loadErr != nil && !m.ready:
		body = c.Styles.App.Error.Render("Cannot read the database: " + roster.ErrorMessage(m.loadErr))
	case !m.ready:
		body = c.Styles.App.Muted.Render("Loading…")
	case len(m.stack) > 0:
		body = m.bodyAt(len(m.stack) - 1)
		km = t.Help()
		if m.askQuit {
			st := c.Styles.App
			body = c.overlay(body, c.box(st.DialogTitle.Render("Quit and lose what you typed?")+"\n\n"+
				st.Key.Render("y")+" quit    "+st.Key.Render("n")+" keep editing"))
			km = keyMap{short: []key.Binding{kb("y", "quit", "y"), kb("n/esc", "keep editing", "n")}}
		}
	default:
		body = m.base.View()
	}
	return header + "\n" + c.cells.clip(body, c.Width, bodyH) + "\n" + m.statusLine() + "\n" + m.helpLine(km)
}

// dialogScreen is a screen drawn as a box over the screen below it.
type dialogScreen interface{ dialog() }

// bodyAt draws the screen at stack index i (-1: the user list), with the
// screens below it showing through when it is a dialog.
func (m *Model) bodyAt(i int) string {
	if i < 0 {
		return m.base.View()
	}
	s := m.stack[i].s
	if _, ok := s.(dialogScreen); ok {
		return m.c.overlay(m.bodyAt(i-1), s.View())
	}
	return s.View()
}

func (m *Model) statusLine() string {
	c := m.c
	st := c.Styles.App
	left := ""
	switch {
	case m.status.text != "" && m.status.err:
		left = st.Error.Render("✗ " + m.status.text)
	case m.status.text != "":
		left = st.Success.Render("✓ " + m.status.text)
	case m.loadErr != nil:
		left = st.Error.Render("✗ " + roster.ErrorMessage(m.loadErr))
	default:
		left = m.footer()
	}
	return lipgloss.NewStyle().MaxWidth(c.Width).Render(left)
}

// footerScreen is a screen with its own status line.
type footerScreen interface{ footer() string }

// footer is the status line when nothing else is said: the top screen's
// own, the list's under a dialog, nothing under another full screen (the
// list's counts would say nothing about it).
func (m *Model) footer() string {
	for i := len(m.stack) - 1; i >= 0; i-- {
		switch t := m.stack[i].s.(type) {
		case footerScreen:
			return t.footer()
		case dialogScreen:
			continue
		}
		return ""
	}
	if f, ok := m.base.(footerScreen); ok {
		return f.footer()
	}
	return ""
}

// helpLine draws the short help, keeping "? all keys" and "q quit" (or
// back) at its end however narrow the screen: the other keys give way.
func (m *Model) helpLine(km help.KeyMap) string {
	// Drawn again only when the keys offered, the width or the colours change.
	type helpKey struct {
		keys   string
		width  int
		styles *Styles
	}
	var sig strings.Builder
	for _, b := range km.ShortHelp() {
		if b.Enabled() {
			sig.WriteString(b.Help().Key)
			sig.WriteByte(0)
			sig.WriteString(b.Help().Desc)
			sig.WriteByte(0)
		}
	}
	return m.helpMemo.get(helpKey{sig.String(), m.c.Width, m.c.Styles}, func() string { return m.drawHelpLine(km) })
}

// drawHelpLine draws the short help line (see helpLine).
func (m *Model) drawHelpLine(km help.KeyMap) string {
	var keep, rest []key.Binding
	for _, b := range km.ShortHelp() {
		if k := b.Keys(); len(k) > 0 && (k[0] == "?" || k[0] == "q" || k[0] == "esc") {
			keep = append(keep, b)
		} else {
			rest = append(rest, b)
		}
	}
	h := m.help
	h.SetWidth(0)
	if all := h.ShortHelpView(km.ShortHelp()); len(keep) == 0 || lipgloss.Width(all) <= m.c.Width {
		return all
	}
	tail := h.ShortHelpView(keep)
	sep := h.Styles.ShortSeparator.Inline(true).Render(h.ShortSeparator)
	h.SetWidth(max(1, m.c.Width-lipgloss.Width(tail)-lipgloss.Width(sep)))
	head := h.ShortHelpView(rest)
	if head == "" {
		return tail
	}
	return head + sep + tail
}

func tooSmallView(c *Common) string {
	msg := "Terminal too small"
	detail := ""
	if c.Width >= 20 {
		detail = "\nneed at least " + itoa(MinWidth) + "×" + itoa(MinHeight) + ", have " + itoa(c.Width) + "×" + itoa(c.Height)
	}
	s := lipgloss.NewStyle().MaxWidth(c.Width).MaxHeight(c.Height).Render(msg + detail)
	return s
}
