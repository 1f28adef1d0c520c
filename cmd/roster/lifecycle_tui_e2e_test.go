package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/e2e"
)

// Ensure a lone terminal app opened after an expiry date disables the
// account and audits it once by system:expiry, even when two apps open the
// file at the same moment (two real terminals in tmux); both show it
// Disabled and say so in the details.
func TestTUIExpiryOnOpenOnce(t *testing.T) {
	e2e.Need(t, "Debian package tmux", "tmux")
	dir := t.TempDir()
	bin := buildRoster(t, dir)
	db := filepath.Join(dir, "roster.db")
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada Leaver", "--email", "ada@example.com")
	cliOK(t, db, "users", "add", "--username", "bob", "--name", "Bob Stayer", "--email", "bob@example.com")
	cliOK(t, db, "users", "activate", "ada", "bob")
	// The edit opened the file before the date was set, so ada is still
	// active: the next process to open it must act (nothing else opens it
	// before the apps; TestExpiryManyProcessesOnce shows the edit leaves
	// her active).
	cliOK(t, db, "users", "edit", "ada", "--expires", day(-1))

	base := "http://" + freeAddr(t)
	app := func() *tmuxSession {
		return newTmux(t, 120, 30, "env", "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "ROSTER_DB=",
			bin, "--db", db, "--base-url", base)
	}
	first, second := app(), app() // started together: both open the file at once
	for _, tm := range []*tmuxSession{first, second} {
		s := tm.waitFor("2 users", "3 Active 1  4 Disabled 1")
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "Ada Leaver") && !strings.Contains(l, "disabled") {
				t.Errorf("ada's row: %q", l)
			}
		}
	}
	// The details show the date and who disabled her.
	first.keys("4")
	first.waitFor("Ada Leaver", "1 shown")
	first.keys("Enter")
	first.waitFor("Expires", "user.expire", "system:expiry")

	audit := cliOK(t, db, "audit", "--json")
	if n := strings.Count(audit, `"system:expiry"`); n != 1 {
		t.Errorf("%d events by system:expiry, want 1:\n%s", n, audit)
	}
}
