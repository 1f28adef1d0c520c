package tui

import (
	"reflect"

	tea "charm.land/bubbletea/v2"
)

// How the root gives messages to screens and applies what they ask (see
// screen in common.go).

// layer is a screen on the stack.
type layer struct {
	s      screen
	id     int // tags the results of its commands
	opener int // the screen that opened it: its results go there
}

// baseID is the base screen's id (the user list or My account).
const baseID = 0

// routedMsg is the result of a command a screen returned, for that screen.
type routedMsg struct {
	to  int
	msg tea.Msg
}

var (
	teaPkg  = reflect.TypeFor[tea.KeyPressMsg]().PkgPath()
	cmdType = reflect.TypeFor[tea.Cmd]()
)

// route tags the results of cmd with the screen id that returned it.
func route(id int, cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg { return tag(id, cmd()) }
}

// tag wraps msg for the screen id. Bubble Tea's own messages (quit, the
// clipboard, key presses a screen sends) go to the program as they are;
// its batches and sequences of commands are tagged inside.
func tag(id int, msg tea.Msg) tea.Msg {
	if msg == nil {
		return nil
	}
	t := reflect.TypeOf(msg)
	if t.PkgPath() != teaPkg {
		return routedMsg{to: id, msg: msg}
	}
	if v := reflect.ValueOf(msg); t.Kind() == reflect.Slice && t.Elem() == cmdType {
		cmds := make([]tea.Cmd, v.Len())
		for i := range cmds {
			cmds[i] = route(id, v.Index(i).Interface().(tea.Cmd))
		}
		return reflect.ValueOf(cmds).Convert(t).Interface()
	}
	return msg
}

// top returns the active screen: the top of the stack, or the base.
func (m *Model) top() screen {
	if len(m.stack) == 0 {
		return m.base
	}
	return m.stack[len(m.stack)-1].s
}

// topID is the active screen's id.
func (m *Model) topID() int {
	if len(m.stack) == 0 {
		return baseID
	}
	return m.stack[len(m.stack)-1].id
}

// find returns the stack index of screen id, -1 for the base, and whether
// it is still shown.
func (m *Model) find(id int) (int, bool) {
	if id == baseID {
		return -1, true
	}
	for i, l := range m.stack {
		if l.id == id {
			return i, true
		}
	}
	return 0, false
}

// send gives msg to screen id (if it is still shown), applies what it
// asks and returns its command, tagged.
func (m *Model) send(id int, msg tea.Msg) tea.Cmd {
	i, ok := m.find(id)
	if !ok {
		return nil
	}
	s, opener := m.base, baseID
	if i >= 0 {
		s, opener = m.stack[i].s, m.stack[i].opener
	}
	next, cmd := s.Update(msg)
	var asked []tea.Msg
	if a, ok := next.(*asking); ok {
		next, asked = a.screen, a.msgs
	}
	if i < 0 {
		m.base = next
	} else if i, ok := m.find(id); ok {
		m.stack[i].s = next
	}
	cmds := []tea.Cmd{route(id, cmd)}
	for _, r := range asked {
		cmds = append(cmds, m.apply(id, opener, r))
	}
	return tea.Batch(cmds...)
}

// apply carries out one request of screen id, whose opener is given.
func (m *Model) apply(id, opener int, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case openMsg:
		if _, ok := m.find(id); !ok {
			id = opener // it closed itself first: the new one takes its place
		}
		m.nextID++
		m.stack = append(m.stack, layer{s: msg.s, id: m.nextID, opener: id})
		return route(m.nextID, msg.cmd)
	case closeMsg:
		if i, ok := m.find(id); ok && i >= 0 {
			m.stack = append(m.stack[:i], m.stack[i+1:]...)
		}
		return nil
	case statusMsg:
		m.status = msg
		return nil
	case reloadMsg:
		return m.reload()
	}
	return m.send(opener, msg) // a result, for the screen that opened it
}

// routed handles the result of a screen's command: a request is applied
// (a status line or reload even when the screen has closed since), anything
// else goes to the screen, if it is still shown.
func (m *Model) routed(msg routedMsg) tea.Cmd {
	i, ok := m.find(msg.to)
	opener := baseID
	if ok && i >= 0 {
		opener = m.stack[i].opener
	}
	switch msg.msg.(type) {
	case statusMsg, reloadMsg:
		return m.apply(msg.to, opener, msg.msg)
	case openMsg, closeMsg:
		if !ok {
			return nil
		}
		return m.apply(msg.to, opener, msg.msg)
	}
	return m.send(msg.to, msg.msg)
}

// push opens s over the base from a global key; its results go to the base.
func (m *Model) push(s screen, cmd tea.Cmd) tea.Cmd {
	return m.apply(baseID, baseID, open(s, cmd))
}

// pop closes the top screen.
func (m *Model) pop() {
	if len(m.stack) > 0 {
		m.stack = m.stack[:len(m.stack)-1]
	}
}

// forward gives input to the active screen.
func (m *Model) forward(msg tea.Msg) tea.Cmd { return m.send(m.topID(), msg) }

// forwardAll gives msg (a size, colour or data change) to every screen.
func (m *Model) forwardAll(msg tea.Msg) tea.Cmd {
	ids := []int{baseID}
	for _, l := range m.stack {
		ids = append(ids, l.id)
	}
	cmds := make([]tea.Cmd, 0, len(ids))
	for _, id := range ids {
		cmds = append(cmds, m.send(id, msg))
	}
	return tea.Batch(cmds...)
}
