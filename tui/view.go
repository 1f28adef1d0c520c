package tui

import (
	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/roster-dev/roster"
)

// View implements tea.Model.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "Roster"
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
	var km help.KeyMap = m.users.Help()
	body := ""
	bodyH := c.Height - lipgloss.Height(header) - 2 // footer: status + help
	switch t := m.top(); {
	case m.loadErr != nil && !m.ready:
		body = c.Styles.App.Error.Render("Cannot read the database: " + roster.ErrorMessage(m.loadErr))
	case !m.ready:
		body = c.Styles.App.Muted.Render("Loading…")
	case t != nil:
		body = m.bodyAt(len(m.stack) - 1)
		km = t.Help()
	default:
		body = m.users.View()
	}
	return header + "\n" + c.cells.clip(body, c.Width, bodyH) + "\n" + m.statusLine() + "\n" + m.help.View(km)
}

// dialogScreen is a screen drawn as a box over the screen below it.
type dialogScreen interface{ dialog() }

// bodyAt draws the screen at stack index i (-1: the user list), with the
// screens below it showing through when it is a dialog.
func (m *Model) bodyAt(i int) string {
	if i < 0 {
		return m.users.View()
	}
	s := m.stack[i]
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
		left = m.users.footerText()
	}
	return lipgloss.NewStyle().MaxWidth(c.Width).Render(left)
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
