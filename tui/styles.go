package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// palette names the few colour roles every screen draws with. The basic
// ANSI colours keep the app readable on 16-colour terminals and follow the
// terminal's own theme; the greys adapt to light and dark backgrounds.
// Colour is dropped entirely (NO_COLOR, dumb terminals) by Bubble Tea's
// output, which downsamples to the profile of the terminal it writes to, so
// every state is also told apart without colour (marks, bold, reverse).
type palette struct {
	primary, subtle, faint, errc, success, warn, selected color.Color
}

func newPalette(dark bool) palette {
	ld := lipgloss.LightDark(dark)
	return palette{
		primary:  ld(lipgloss.Blue, lipgloss.BrightBlue),
		subtle:   ld(lipgloss.Color("243"), lipgloss.Color("246")),
		faint:    ld(lipgloss.Color("250"), lipgloss.Color("240")),
		errc:     ld(lipgloss.Red, lipgloss.BrightRed),
		success:  ld(lipgloss.Green, lipgloss.BrightGreen),
		warn:     ld(lipgloss.Yellow, lipgloss.BrightYellow),
		selected: ld(lipgloss.Magenta, lipgloss.BrightMagenta),
	}
}

// Styles holds every style of the app, grouped by where it is used.
type Styles struct {
	Dark bool

	App struct {
		Title, Path, Muted, Faint, Error, Success, Warn, Key, Status lipgloss.Style
		Box, Dialog, DialogTitle                                     lipgloss.Style
	}
	Tabs struct {
		Active, Inactive lipgloss.Style
	}
	List struct {
		Header, Cursor, Selected, Mark, Empty lipgloss.Style
		Badge                                 map[string]lipgloss.Style
	}
	Form struct {
		Valid, Invalid lipgloss.Style
	}
	Help help.Styles
}

// NewStyles builds the styles for a light or dark background.
func NewStyles(dark bool) *Styles {
	p := newPalette(dark)
	s := &Styles{Dark: dark}
	st := lipgloss.NewStyle
	s.App.Title = st().Bold(true).Foreground(p.primary)
	s.App.Path = st().Foreground(p.subtle)
	s.App.Muted = st().Foreground(p.subtle)
	s.App.Faint = st().Foreground(p.faint)
	s.App.Error = st().Foreground(p.errc).Bold(true)
	s.App.Success = st().Foreground(p.success)
	s.App.Warn = st().Foreground(p.warn)
	s.App.Key = st().Bold(true)
	s.App.Status = st().Foreground(p.subtle)
	s.App.Box = st().Border(lipgloss.RoundedBorder()).BorderForeground(p.faint).Padding(0, 1)
	s.App.Dialog = st().Border(lipgloss.RoundedBorder()).BorderForeground(p.primary).Padding(1, 2)
	s.App.DialogTitle = st().Bold(true).Foreground(p.primary)

	s.Tabs.Active = st().Bold(true).Reverse(true).Padding(0, 1)
	s.Tabs.Inactive = st().Foreground(p.subtle).Padding(0, 1)

	s.List.Header = st().Bold(true).Foreground(p.subtle)
	s.List.Cursor = st().Reverse(true)
	s.List.Selected = st().Foreground(p.selected)
	s.List.Mark = st().Foreground(p.selected).Bold(true)
	s.List.Empty = st().Foreground(p.subtle)
	s.List.Badge = map[string]lipgloss.Style{
		"pending":  st().Foreground(p.warn),
		"active":   st().Foreground(p.success),
		"disabled": st().Foreground(p.errc),
	}

	s.Form.Valid = st().Foreground(p.success)
	s.Form.Invalid = st().Foreground(p.errc)

	s.Help = help.DefaultStyles(dark)
	return s
}
