package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/roster-dev/roster/internal/e2e"
)

// TestServePushesChanges runs a terminal app beside `roster serve` with its
// fallback poll an hour long (ROSTER_TUI_PUSHED_POLL): a CLI write shows
// in the app only because serve pushed it (store/notify.go). With serve
// killed (SIGKILL) the app polls again and still sees writes; with serve
// started again it connects at its next look and is pushed to again.
func TestServePushesChanges(t *testing.T) {
	e2e.Need(t, "Debian package tmux", "tmux")
	dir := t.TempDir()
	bin := buildRoster(t, dir)
	db := filepath.Join(dir, "roster.db")
	if code, _, stderr := rosterProc(bin, db, "demo", "--users", "20"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	users := 20
	add := func(name string) {
		t.Helper()
		if code, _, stderr := rosterProc(bin, db, "users", "add", "--username", name, "--name", name, "--email", name+"@example.com"); code != 0 {
			t.Fatalf("users add %s: exit %d: %s", name, code, stderr)
		}
		users++
	}

	serve, _ := startServe(t, bin, db)
	env := []string{"env", "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "ROSTER_DB=", "ROSTER_TUI_PUSHED_POLL=1h"}
	app := newTmux(t, 120, 35, append(env, bin, "--db", db, "--base-url", "http://"+freeAddr(t))...)
	app.waitFor(fmt.Sprintf("%d users", users))
	// The app is serve's guest: serve has let go of the file.
	waitCondition(t, "serve lets go of the file for the app", func() bool { return !holdsWriteLock(t, serve.cmd.Process.Pid, db) })
	for _, name := range []string{"pushed1", "pushed2"} {
		add(name)
		app.waitFor(fmt.Sprintf("%d users", users)) // an hour's poll away, unless pushed
	}

	// Killed: the app learns its owner is gone and polls the file again.
	serve.kill()
	add("alone1")
	app.waitFor(fmt.Sprintf("%d users", users))

	// Started again: the app connects at its next look at the file (serve
	// then lets go of it), and is pushed to again.
	serve, _ = startServe(t, bin, db)
	waitCondition(t, "the app connects to the new serve", func() bool { return !holdsWriteLock(t, serve.cmd.Process.Pid, db) })
	add("pushed3")
	app.waitFor(fmt.Sprintf("%d users", users))
	app.keys("q")
}
