package main

import (
	"strings"
	"testing"
)

// Ensure managers are made, listed and unmade from the command line, and
// audited naming the group and the user.
func TestCLIManagers(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "groups", "add", "staff")
	cliOK(t, db, "users", "add", "--username", "mona", "--name", "Mona", "--email", "mona@example.com")
	if out := cliOK(t, db, "groups", "managers", "add", "staff", "mona"); !strings.Contains(out, "mona now manages staff") {
		t.Errorf("add printed %q", out)
	}
	if out := cliOK(t, db, "groups", "managers", "list", "staff"); strings.TrimSpace(out) != "mona" {
		t.Errorf("list printed %q", out)
	}
	if out := cliOK(t, db, "groups", "managers", "list", "staff", "--json"); strings.Join(strings.Fields(out), "") != `["mona"]` {
		t.Errorf("list --json printed %q", out)
	}
	cliOK(t, db, "groups", "managers", "remove", "staff", "mona")
	if out := cliOK(t, db, "groups", "managers", "list", "staff", "--json"); strings.Join(strings.Fields(out), "") != `[]` {
		t.Errorf("after remove, list --json printed %q", out)
	}
	cliFail(t, db, 1, []string{"mona does not manage staff"}, "groups", "managers", "remove", "staff", "mona")
	cliFail(t, db, 1, []string{"no group"}, "groups", "managers", "add", "nosuch", "mona")
	cliFail(t, db, 2, nil, "groups", "managers", "add", "staff")
	if out := cliOK(t, db, "audit"); !strings.Contains(out, "group.managers.add") || !strings.Contains(out, "group.managers.remove") {
		t.Errorf("audit log %q", out)
	}
}
