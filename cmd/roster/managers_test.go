package main

import (
	"os"
	"path/filepath"
	"regexp"
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
	if out := cliOK(t, db, "groups", "list"); !strings.Contains(out, "MANAGERS") || !regexp.MustCompile(`(?m)^staff +0 +- +mona`).MatchString(out) {
		t.Errorf("groups list does not name staff's manager:\n%s", out)
	}
	if out := cliOK(t, db, "groups", "list", "--json"); !strings.Contains(strings.Join(strings.Fields(out), ""), `"managers":["mona"]`) {
		t.Errorf("groups list --json does not name staff's manager:\n%s", out)
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

// Ensure export --groups writes the groups section and import reads it
// back into another database: nesting and managers included.
func TestCLIExportImportGroups(t *testing.T) {
	src := tempDB(t)
	cliOK(t, src, "groups", "add", "staff")
	cliOK(t, src, "groups", "add", "devs")
	cliOK(t, src, "groups", "nest", "devs", "--in", "staff")
	cliOK(t, src, "users", "add", "--username", "mona", "--name", "Mona", "--email", "mona@example.com", "--group", "devs")
	cliOK(t, src, "groups", "managers", "add", "staff", "mona")
	cliFail(t, src, 2, []string{"--groups needs the JSON format"}, "export", "--groups")
	out := cliOK(t, src, "export", "--format", "json", "--groups")
	if !strings.Contains(out, `"parents": [`) || !strings.Contains(out, `"managers": [`) {
		t.Fatalf("export --groups wrote %s", out)
	}
	dst := tempDB(t)
	file := filepath.Join(t.TempDir(), "all.json")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	cliOK(t, dst, "import", file)
	if got := strings.TrimSpace(cliOK(t, dst, "groups", "managers", "list", "staff")); got != "mona" {
		t.Errorf("managers of staff after import: %q", got)
	}
	if got := names(listJSON(t, dst, "--group", "staff")); got != "mona" {
		t.Errorf("staff's effective members after import: %q", got)
	}
}
