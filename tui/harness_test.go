package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/store"
)

// waitTime bounds every wait for a condition; generous for loaded CI machines.
const waitTime = 20 * time.Second

// testClock is the fixed time of databases made by mustOpenDB.
var testClock = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// mustOpenDB opens a fresh database in t.TempDir with a fixed clock.
func mustOpenDB(t testing.TB) *store.DB {
	t.Helper()
	db := storetest.Open(t)
	db.Now = func() time.Time { return testClock }
	return db
}

var testActor = roster.LocalActor("tester")

// addUser creates a user; groups must exist.
func addUser(t testing.TB, db *store.DB, username, name, email string, groups ...string) *roster.User {
	t.Helper()
	u, err := db.CreateUser(testActor, roster.NewUser{Username: username, Name: name, Email: email, Groups: groups})
	if err != nil {
		t.Fatalf("add %s: %v", username, err)
	}
	return u
}

func addGroup(t testing.TB, db *store.DB, name string) {
	t.Helper()
	if _, err := db.CreateGroup(testActor, name, ""); err != nil {
		t.Fatal(err)
	}
}

func setStatus(t testing.TB, db *store.DB, st roster.Status, users ...*roster.User) {
	t.Helper()
	ids := make([]uint64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	if _, err := db.SetStatus(testActor, ids, st); err != nil {
		t.Fatal(err)
	}
}

// probeMsg asks, through the program's filter, for the current frame. The
// filter runs on the program's event loop, so reading the model there is
// safe while the program runs.
type probeMsg struct{ ch chan string }

// harness drives the real root model in a teatest program.
type harness struct {
	t  *testing.T
	db *store.DB
	tm *teatest.TestModel
}

// start runs a model over db at the given size.
func start(t *testing.T, db *store.DB, w, h int) *harness {
	t.Helper()
	return startOpts(t, db, w, h, Options{})
}

// startOpts runs a model with options; DB, clock and (when unset) the
// actor are filled in.
func startOpts(t *testing.T, db *store.DB, w, h int, o Options) *harness {
	t.Helper()
	o.DB, o.DarkBackground = db, true
	if o.Actor == (roster.Actor{}) {
		o.Actor = testActor
	}
	o.Now = func() time.Time { return testClock.Add(time.Hour) }
	return startModel(t, db, w, h, New(o))
}

// startModel runs a root model (New or NewAccount) over db at the given size.
func startModel(t *testing.T, db *store.DB, w, h int, m *Model) *harness {
	t.Helper()
	filter := func(model tea.Model, msg tea.Msg) tea.Msg {
		if p, ok := msg.(probeMsg); ok {
			p.ch <- model.(*Model).render()
			return nil
		}
		return msg
	}
	tm := teatest.NewTestModel(t, m,
		teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithFilter(filter), tea.WithColorProfile(colorprofile.ANSI)))
	h2 := &harness{t: t, db: db, tm: tm}
	t.Cleanup(func() {
		_ = tm.Quit()
		tm.WaitFinished(t, teatest.WithFinalTimeout(waitTime))
	})
	return h2
}

// frame returns the current frame, with colours, as the model renders it.
func (h *harness) frame() string {
	h.t.Helper()
	ch := make(chan string, 1)
	h.tm.Send(probeMsg{ch})
	select {
	case s := <-ch:
		return s
	case <-time.After(waitTime):
		h.t.Fatal("no frame from the program")
	}
	return ""
}

// screen returns the current frame as plain text.
func (h *harness) screen() string { return ansi.Strip(h.frame()) }

// waitFor polls the screen until cond holds.
func (h *harness) waitFor(what string, cond func(s string) bool) string {
	h.t.Helper()
	deadline := time.Now().Add(waitTime)
	var s string
	for time.Now().Before(deadline) {
		s = h.screen()
		if cond(s) {
			return s
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
	h.t.Fatalf("timed out waiting for %s; screen:\n%s", what, s)
	return ""
}

// waitText waits until the screen shows every text.
func (h *harness) waitText(texts ...string) string {
	h.t.Helper()
	return h.waitFor(fmt.Sprintf("%q", texts), func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	})
}

// waitGone waits until the screen no longer shows text.
func (h *harness) waitGone(text string) string {
	h.t.Helper()
	return h.waitFor("no "+text, func(s string) bool { return !strings.Contains(s, text) })
}

// keys presses keys by name ("enter", "ctrl+a", "space") or as single characters.
func (h *harness) keys(ks ...string) {
	for _, k := range ks {
		h.tm.Send(keyMsg(k))
	}
}

// typeText types each character of s.
func (h *harness) typeText(s string) {
	for _, r := range s {
		h.tm.Send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+a":
		return tea.KeyPressMsg{Code: 'a', Mod: tea.ModCtrl}
	case "ctrl+n":
		return tea.KeyPressMsg{Code: 'n', Mod: tea.ModCtrl}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	if len(r) != 1 {
		panic("unknown key " + k)
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// listRows returns the user rows of a user-list screen: the lines after
// the column titles, up to the footer.
func listRows(s string) []string {
	lines := strings.Split(s, "\n")
	var rows []string
	in := false
	for _, l := range lines[:max(0, len(lines)-2)] {
		if strings.Contains(l, "Username") && strings.Contains(l, "E-mail") {
			in = true
			continue
		}
		if in && strings.TrimSpace(l) != "" {
			rows = append(rows, l)
		}
	}
	return rows
}

// user fetches a user by username from the store.
func (h *harness) user(username string) *roster.User {
	h.t.Helper()
	u, err := h.db.FindUser(testActor, username)
	if err != nil {
		h.t.Fatalf("find %s: %v", username, err)
	}
	return u
}

// boxText returns what the dialog box on the screen shows: the text
// between its side borders.
func boxText(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		i := strings.Index(l, "│")
		j := strings.LastIndex(l, "│")
		if i >= 0 && j > i {
			b.WriteString(l[i+len("│") : j])
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// waitBoxGone waits until the dialog box no longer shows text.
func (h *harness) waitBoxGone(text string) {
	h.t.Helper()
	h.waitFor("dialog without "+text, func(s string) bool {
		return strings.Contains(s, "│") && !strings.Contains(boxText(s), text)
	})
}
