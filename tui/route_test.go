package tui

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
)

// probeScreen records the messages it gets and answers with what it is told.
type probeScreen struct {
	name  string
	got   []tea.Msg
	reply func(msg tea.Msg) (screen, tea.Cmd)
}

type pingMsg struct{ n int }

func (s *probeScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	if _, ok := msg.(pingMsg); ok {
		s.got = append(s.got, msg)
	}
	if _, ok := msg.(groupFilterMsg); ok {
		s.got = append(s.got, msg)
	}
	if s.reply != nil {
		if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "x" {
			return s.reply(msg)
		}
	}
	return s, nil
}
func (s *probeScreen) View() string      { return s.name }
func (s *probeScreen) Help() help.KeyMap { return keyMap{} }
func (s *probeScreen) TakesText() bool   { return false }

// run runs cmd and gives its messages (batches opened) to the root, as the
// program would.
func run(m *Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			run(m, c)
		}
	default:
		_, next := m.Update(msg)
		run(m, next)
	}
}

// Ensure the result of a screen's command goes to that screen alone, even
// when another screen is on top by then; and that what a screen asks (open,
// close, a result for its opener, a status line) is applied at once.
func TestResultsGoToTheScreenThatAsked(t *testing.T) {
	m := New(Options{DB: mustOpenDB(t), Actor: testActor})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	a := &probeScreen{name: "a"}
	b := &probeScreen{name: "b"}
	// a's key starts a command, then opens b over itself.
	a.reply = func(tea.Msg) (screen, tea.Cmd) {
		return asks(a, open(b, nil)), func() tea.Msg { return pingMsg{1} }
	}
	// b's key closes b, gives its opener a result and sets the status line.
	b.reply = func(tea.Msg) (screen, tea.Cmd) {
		return asks(b, closeMsg{}, groupFilterMsg{7}, say("chosen", false)), nil
	}
	m.push(a, nil)
	_, cmd := m.Update(keyMsg("x"))
	if m.top() != b {
		t.Fatalf("b is not on top after a asked for it: %v", m.top())
	}
	run(m, cmd) // a's ping arrives while b is on top
	if len(a.got) != 1 || len(b.got) != 0 {
		t.Fatalf("a got %v, b got %v; want the ping for a alone", a.got, b.got)
	}
	_, cmd = m.Update(keyMsg("x"))
	run(m, cmd)
	if m.top() != a {
		t.Fatalf("b did not close: top is %v", m.top())
	}
	if len(a.got) != 2 || a.got[1] != (groupFilterMsg{7}) {
		t.Errorf("a (b's opener) got %v; want b's result", a.got)
	}
	if m.status.text != "chosen" {
		t.Errorf("status %q", m.status.text)
	}
	// A result for a screen that has closed is dropped.
	a.reply = func(tea.Msg) (screen, tea.Cmd) {
		return asks(a, closeMsg{}), func() tea.Msg { return pingMsg{2} }
	}
	_, cmd = m.Update(keyMsg("x"))
	run(m, cmd)
	if len(a.got) != 2 || m.top() != m.base {
		t.Errorf("closed a got %v, top %v", a.got, m.top())
	}
}

// Ensure tagging leaves Bubble Tea's own messages to the program and tags
// the commands inside its batches.
func TestTagLeavesProgramMessages(t *testing.T) {
	if msg := tag(3, tea.QuitMsg{}); msg != (tea.QuitMsg{}) {
		t.Errorf("quit tagged: %#v", msg)
	}
	batch := tag(3, tea.BatchMsg{func() tea.Msg { return pingMsg{1} }})
	b, ok := batch.(tea.BatchMsg)
	if !ok || len(b) != 1 {
		t.Fatalf("batch became %#v", batch)
	}
	if got := b[0](); got != (routedMsg{to: 3, msg: pingMsg{1}}) {
		t.Errorf("inside the batch: %#v", got)
	}
	seq := tea.Sequence(func() tea.Msg { return pingMsg{1} }, func() tea.Msg { return pingMsg{2} })()
	if _, ok := tag(3, seq).(routedMsg); ok {
		t.Errorf("a sequence was tagged whole")
	}
}

// Ensure My account is a screen under the one root: the root's too-small
// view, status line and quit key apply to it, and what it loads goes to it.
func TestAccountUnderTheRoot(t *testing.T) {
	db := mustOpenDB(t)
	u := addUser(t, db, "mia", "Mia Member", "mia@example.com")
	setStatus(t, db, roster.StatusActive, u)
	actor := roster.Actor{Name: "mia", UserID: u.ID, Role: u.Role}
	var asked []string
	m := NewAccount(Options{DB: db, Actor: actor, Services: Services{RequestReset: func(email string) error {
		asked = append(asked, email)
		return nil
	}}})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	run(m, route(baseID, m.base.(*accountScreen).loadCmd()))
	s := ansi.Strip(m.render())
	for _, want := range []string{"Roster My account · mia", "mia@example.com", "Last sign-ins", "r send me a password reset link"} {
		if !strings.Contains(s, want) {
			t.Errorf("My account lacks %q:\n%s", want, s)
		}
	}
	m.Update(keyMsg("r"))
	_, cmd := m.Update(keyMsg("y"))
	run(m, cmd)
	if s := ansi.Strip(m.render()); len(asked) != 1 || !strings.Contains(s, "✓ A password reset link is on its way to mia@example.com") {
		t.Errorf("reset asked %v; screen:\n%s", asked, s)
	}
	m.Update(tea.WindowSizeMsg{Width: 40, Height: 10})
	if s := m.render(); !strings.Contains(s, "Terminal too small") {
		t.Errorf("too small:\n%s", s)
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	if _, cmd := m.Update(keyMsg("q")); cmd == nil || cmd() != tea.Quit() {
		t.Error("q does not quit My account")
	}
}
