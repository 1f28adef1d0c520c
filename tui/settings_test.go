package tui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
)

// Ensure D opens Check settings, which shows the injected checks' report one
// line each with its mark and what to do, runs them again on r, is listed in
// the help and goes back on esc.
func TestSettingsScreen(t *testing.T) {
	db := mustOpenDB(t)
	addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	var runs atomic.Int32
	check := func(context.Context) []SettingsCheck {
		n := runs.Add(1)
		return []SettingsCheck{
			{Check: "database.mode", Status: CheckPass, Message: "mode 0600"},
			{Check: "mail.from", Status: CheckWarn, Message: "From roster@localhost is local",
				Fix: "set --from to an address of your domain"},
			{Check: "run", Status: CheckPass, Message: "run " + itoa(int(n))},
		}
	}
	h := startOpts(t, db, 100, 24, Options{Services: Services{CheckSettings: check}})
	h.waitText("Ada Lovelace")
	h.keys("?")
	h.waitText("D", "check settings")
	h.keys("?")
	h.keys("D")
	s := h.waitText("Check settings", "2 ✓  1 ⚠  0 ✗", "run 1")
	var pass, warnLine string
	for _, l := range strings.Split(s, "\n") {
		switch {
		case strings.Contains(l, "database.mode"):
			pass = l
		case strings.Contains(l, "mail.from"):
			warnLine = l
		}
	}
	if !strings.HasPrefix(pass, "✓ database.mode") || !strings.Contains(pass, "mode 0600") {
		t.Fatalf("the ✓ line is %q:\n%s", pass, s)
	}
	if !strings.HasPrefix(warnLine, "⚠ mail.from") || !strings.Contains(warnLine, "is local → set --from") {
		t.Fatalf("the ⚠ line is %q:\n%s", warnLine, s)
	}
	h.keys("r")
	h.waitText("run 2")
	if n := runs.Load(); n != 2 {
		t.Fatalf("the checks ran %d times, want 2", n)
	}
	h.keys("esc")
	h.waitText("Ada Lovelace")
	h.waitGone("Check settings")
}

// Ensure D does nothing, and is not in the help, without the checks.
func TestSettingsNeedsChecks(t *testing.T) {
	db := mustOpenDB(t)
	addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	h := start(t, db, 100, 24)
	h.waitText("Ada Lovelace")
	h.keys("D", "?")
	s := h.waitText("all keys")
	if strings.Contains(s, "check settings") || strings.Contains(s, "Check settings") {
		t.Fatalf("Check settings shows without the checks:\n%s", s)
	}
}
