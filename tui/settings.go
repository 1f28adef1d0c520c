package tui

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// settingsScreen (D) is "Check settings": the checks of `roster doctor`,
// one line each with ✓/⚠/✗ and what to do. It decides nothing itself: the
// checks are Services.CheckSettings, run off the Update loop; r runs them
// again.
type settingsScreen struct {
	c       *Common
	report  []SettingsCheck
	running bool
	runs    int // how many runs have finished, so a stale answer is dropped
	offset  int // first line shown
}

// CheckStatus is a settings check's verdict.
type CheckStatus int

// The verdicts, as `roster doctor` has them.
const (
	CheckPass CheckStatus = iota // ✓
	CheckWarn                    // ⚠
	CheckFail                    // ✗
)

// SettingsCheck is one line of the Check settings screen: a check's name,
// its verdict, what it found and, when something is wrong, what to do.
type SettingsCheck struct {
	Check   string
	Status  CheckStatus
	Message string
	Fix     string
}

// settingsMsg carries one run's report.
type settingsMsg struct {
	run    int
	report []SettingsCheck
}

func newSettingsScreen(c *Common) *settingsScreen { return &settingsScreen{c: c} }

// runCmd runs the checks in a command: they dial the relay, the site and
// the directory, which takes seconds.
func (s *settingsScreen) runCmd() tea.Cmd {
	s.running = true
	check, run := s.c.Services.CheckSettings, s.runs+1
	return func() tea.Msg {
		return settingsMsg{run: run, report: check(context.Background())}
	}
}

// TakesText implements screen.
func (s *settingsScreen) TakesText() bool { return false }

// Help implements screen.
func (s *settingsScreen) Help() help.KeyMap {
	k := s.c.Global
	keys := []key.Binding{kb("↑/↓", "scroll", "up", "down"), k.Recheck, kb("esc/q", "back", "esc")}
	return keyMap{short: keys, full: [][]key.Binding{keys}}
}

// Update implements screen.
func (s *settingsScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case settingsMsg:
		if msg.run == s.runs+1 {
			s.runs, s.report, s.running = msg.run, msg.report, false
			s.clamp()
		}
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, s.c.Global.Recheck):
			if !s.running {
				return s, s.runCmd()
			}
		case msg.String() == "up" || msg.String() == "k":
			s.offset--
		case msg.String() == "down" || msg.String() == "j":
			s.offset++
		case msg.String() == "esc" || msg.String() == "q":
			return asks(s, closeMsg{}), nil
		}
		s.clamp()
	}
	return s, nil
}

func (s *settingsScreen) clamp() {
	s.offset = max(0, min(s.offset, len(s.lines())-s.rows()))
}

func (s *settingsScreen) rows() int { return max(1, s.c.bodyHeight()-2) }

// lines renders the report: the mark in the status's colour, the check,
// what was found and, for ⚠ and ✗, what to do, wrapped to the width.
func (s *settingsScreen) lines() []string {
	st := s.c.Styles.App
	width := 0
	for _, r := range s.report {
		width = max(width, len(r.Check))
	}
	textWidth := max(20, s.c.Width-width-4)
	indent := strings.Repeat(" ", width+4)
	var out []string
	for _, r := range s.report {
		mark := st.Success.Render("✓")
		switch r.Status {
		case CheckWarn:
			mark = st.Warn.Render("⚠")
		case CheckFail:
			mark = st.Error.Render("✗")
		}
		text, _ := s.c.cells.safe(r.Message)
		if r.Fix != "" {
			fix, _ := s.c.cells.safe(r.Fix)
			text += " → " + fix
		}
		wrapped := strings.Split(ansi.Wrap(text, textWidth, " "), "\n")
		out = append(out, mark+" "+st.Key.Render(r.Check)+strings.Repeat(" ", width-len(r.Check))+"  "+wrapped[0])
		for _, w := range wrapped[1:] {
			out = append(out, indent+w)
		}
	}
	return out
}

// summary counts the report's verdicts.
func (s *settingsScreen) summary() string {
	var n [3]int
	for _, r := range s.report {
		n[max(CheckPass, min(r.Status, CheckFail))]++
	}
	return itoa(n[CheckPass]) + " ✓  " + itoa(n[CheckWarn]) + " ⚠  " + itoa(n[CheckFail]) + " ✗"
}

// View implements screen.
func (s *settingsScreen) View() string {
	st := s.c.Styles.App
	head := st.Title.Render("Check settings")
	switch {
	case s.running && s.runs == 0:
		return head + "\n" + st.Muted.Render("Checking the database, mail relay, site, directory and SSH server…")
	case s.running:
		head += st.Muted.Render(" · checking again…")
	default:
		head += st.Muted.Render(" · " + s.summary() + " · same checks as roster doctor")
	}
	lines := s.lines()
	lines = lines[min(s.offset, len(lines)):]
	lines = lines[:min(len(lines), s.rows())]
	return head + "\n\n" + strings.Join(lines, "\n")
}
