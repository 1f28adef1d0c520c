package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/e2e"
)

// tmuxSession drives one roster process in a real terminal: a tmux server
// on its own socket, so the test never touches the user's tmux.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
}

func newTmux(t *testing.T, width, height int, command ...string) *tmuxSession {
	t.Helper()
	e2e.Need(t, "Debian package tmux", "tmux")
	s := &tmuxSession{t: t, socket: fmt.Sprintf("roster-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), name: "roster"}
	args := []string{"new-session", "-d", "-s", s.name, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height)}
	args = append(args, strings.Join(quoteAll(command), " "))
	s.run(args...)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// keys sends tmux key names (Enter, Escape, Tab, C-a, Space…).
func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	s.run(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

// text types literal text.
func (s *tmuxSession) text(text string) {
	s.t.Helper()
	s.run("send-keys", "-t", s.name, "-l", text)
}

func (s *tmuxSession) capture() string {
	out, err := exec.Command("tmux", "-L", s.socket, "capture-pane", "-p", "-t", s.name).CombinedOutput()
	if err != nil {
		return ""
	}
	return string(out)
}

// waitFor polls the screen until it shows every text, for up to 30 s.
func (s *tmuxSession) waitFor(texts ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var screen string
	for time.Now().Before(deadline) {
		screen = s.capture()
		ok := true
		for _, x := range texts {
			if !strings.Contains(screen, x) {
				ok = false
			}
		}
		if ok {
			return screen
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}
	s.t.Fatalf("timed out waiting for %q; screen:\n%s", texts, screen)
	return ""
}

// waitGone polls the screen until it no longer shows text, for up to 30 s.
func (s *tmuxSession) waitGone(text string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if !strings.Contains(s.capture(), text) {
			return
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}
	s.t.Fatalf("timed out waiting for %q to go; screen:\n%s", text, s.capture())
}

// TestTUIEndToEnd runs the built binary in tmux and drives a full scenario:
// filter, add a user through the form, see another process's change
// appear, disable a selection, quit.
func TestTUIEndToEnd(t *testing.T) {
	e2e.Need(t, "Debian package tmux", "tmux")
	dir := t.TempDir()
	bin := buildRoster(t, dir)
	db := filepath.Join(dir, "roster.db")
	if code, _, stderr := rosterProc(bin, db, "demo", "--users", "200"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}

	// Not on a terminal: a clear line and exit status 1.
	code, _, stderr := rosterProc(bin, db)
	if code != 1 || !strings.Contains(stderr, "needs a terminal") {
		t.Errorf("without a terminal: exit %d, %q", code, stderr)
	}

	// A free loopback port for the invitation site the app serves, and
	// XDG_CONFIG_HOME keeps the tester's own config.toml out of it.
	base := "http://" + freeAddr(t)
	tm := newTmux(t, 120, 35, "env", "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "ROSTER_DB=",
		bin, "--db", db, "--base-url", base)
	screen := tm.waitFor("Roster", "200 users", "1 All 200", "200 shown")
	t.Logf("first screen:\n%s", screen)

	// Filter as you type.
	tm.keys("/")
	tm.text("zzz-nobody")
	tm.waitFor("0 shown", "No users match")
	tm.keys("Escape")
	tm.waitFor("200 shown")

	// Add a user through the form.
	tm.keys("n")
	tm.waitFor("Add new user", "┃ Username")
	tm.text("e2e.person")
	tm.waitFor("✓ valid and free")
	tm.keys("Tab")
	tm.waitFor("┃ Name")
	tm.text("Endto End")
	tm.keys("Tab")
	tm.waitFor("┃ First name")
	tm.keys("Tab", "Tab") // past first and last name
	tm.waitFor("┃ E-mail")
	tm.text("e2e.person@example.com")
	tm.waitFor("e2e.person@example.com")
	tm.keys("Tab")
	tm.waitFor("┃ Role")
	tm.keys("Tab")
	tm.waitFor("┃ Groups")
	tm.keys("Tab")
	tm.waitFor("┃ Disable on") // left empty: never
	tm.keys("Tab")
	tm.waitFor("┃ Submit")
	tm.keys("Enter")
	tm.waitFor("User e2e.person added", "201 users")
	if code, out, _ := rosterProc(bin, db, "users", "list", "--search", "e2e.person"); code != 0 || !strings.Contains(out, "Endto End") {
		t.Errorf("the CLI does not see the new user: %q", out)
	}

	// Another process adds a user: it appears without a key press.
	if code, _, stderr := rosterProc(bin, db, "users", "add", "--username", "e2e.other", "--name", "Other Process", "--email", "other@example.com"); code != 0 {
		t.Fatalf("users add: %s", stderr)
	}
	tm.waitFor("202 users")

	// Select both with a filter and ctrl+a, then disable them.
	tm.keys("/")
	tm.text("e2e.")
	tm.keys("Enter")
	tm.waitFor("2 shown", "Endto End", "Other Process")
	tm.keys("C-a")
	tm.waitFor("2 selected")
	tm.keys("a")
	tm.waitFor("Actions for 2 users")
	tm.keys("2")
	tm.waitFor("Disable 2 users?")
	tm.keys("y")
	tm.waitFor("Done: 2 disabled")
	tm.keys("Enter")
	for _, u := range []string{"e2e.person", "e2e.other"} {
		if code, out, _ := rosterProc(bin, db, "users", "list", "--search", u, "--status", "disabled"); code != 0 || !strings.Contains(out, u) {
			t.Errorf("%s is not disabled: %q", u, out)
		}
	}

	// q quits and gives the terminal back.
	// Keys go one at a time: ESC followed at once by a letter reads as alt+letter.
	tm.keys("Escape")
	tm.waitFor("202 shown", "2 selected")
	tm.keys("Escape")
	tm.waitGone("selected")
	tm.keys("q")
	deadline := time.Now().Add(30 * time.Second)
	for exec.Command("tmux", "-L", tm.socket, "has-session", "-t", tm.name).Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("roster did not quit; screen:\n%s", tm.capture())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
