package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// Ensure `roster doctor` reports a database of mode 0644 on its line,
// exits 1 on a ✗, answers --json, and creates no database that is missing.
func TestDoctorCommand(t *testing.T) {
	path := tempDB(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	cliOK(t, path, "users", "list")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	// Nothing serves the site at this base URL: site.answers fails too.
	args := []string{"--db", path, "doctor", "--base-url", "http://127.0.0.1:1"}
	code, out, errOut := cli(t, "", args...)
	if code != exitFailure {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"✗ database.file", "mode 0644", "✓ database.check", "⚠ database.backup", "⚠ mail.relay", "✗ site.answers"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = cli(t, "", append(args, "--json")...)
	var doc struct {
		OK     bool
		Checks []struct{ Check, Status, Message string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitFailure || doc.OK {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	for _, c := range doc.Checks {
		if c.Check == "database.file" && c.Status != "pass" {
			t.Errorf("the second run still finds %s: %s", c.Status, c.Message)
		}
	}
	missing := path + ".missing"
	code, out, _ = cli(t, "", "--db", missing, "doctor")
	if code != exitFailure || !strings.Contains(out, "✗ database.file") {
		t.Fatalf("missing database: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("doctor created a database")
	}
}

// Ensure `roster doctor` checks the bounce reader's settings from the serve
// flags: a Maildir that does not exist, and a bounce mailbox without a
// password.
func TestDoctorBounceSettings(t *testing.T) {
	path := tempDB(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("ROSTER_BOUNCE_PASSWORD", "")
	cliOK(t, path, "users", "list")
	maildir := t.TempDir() + "/Maildir"
	code, out, errOut := cli(t, "", "--db", path, "doctor", "--http", "",
		"--bounce-maildir", maildir, "--bounce-mailbox", "imaps://bounces@127.0.0.1:1/INBOX")
	if code != exitFailure {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"✗ mail.bounce-maildir", maildir + " does not exist",
		"✗ mail.bounce-mailbox", "no password for the bounce mailbox"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
}
