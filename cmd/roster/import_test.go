package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster/store"
)

const staffCSV = "\ufeffFull name;E-Mail;Role;Groups;Phone\r\n" +
	"Ada Lovelace;ada@example.com;admin;staff|ops;123\r\n" +
	"Grace Hopper;grace@example.com;;staff;\r\n" +
	"Bad;not-an-email;;;\r\n"

func writeTemp(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func changeCount(t *testing.T, path string) uint64 {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.Changes()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Ensure `roster import`: --dry-run reports and writes nothing; the real run
// writes the valid rows and says what it did; a broken file exits 1 with
// the reason and writes nothing; a bad choice is a usage error.
func TestCLIImport(t *testing.T) {
	db := tempDB(t)
	file := writeTemp(t, "staff.csv", staffCSV)
	cliOK(t, db, "groups", "add", "staff")
	n := changeCount(t, db)

	out := cliOK(t, db, "import", file, "--dry-run", "--create-groups")
	for _, w := range []string{"CSV, semicolon-separated, UTF-8 with BOM", "Ignored columns: Phone",
		"line 4: email: e-mail needs an @", "Groups to create: ops", "Totals: to create 2, to update 0, to skip 0, invalid 1",
		"Dry run: nothing was written."} {
		if !strings.Contains(out, w) {
			t.Errorf("dry run output lacks %q:\n%s", w, out)
		}
	}
	if changeCount(t, db) != n {
		t.Error("--dry-run changed the database")
	}

	// Without --create-groups the ops row is a problem; the rest goes in.
	out = cliOK(t, db, "import", file)
	if !strings.Contains(out, `line 2: groups: there is no group "ops"`) || !strings.Contains(out, "Imported: created 1, updated 0, skipped 0, left out 2 invalid rows.") {
		t.Errorf("output:\n%s", out)
	}
	out = cliOK(t, db, "import", file, "--create-groups", "--on-duplicate", "update", "--group", "new hires")
	if !strings.Contains(out, "Imported: created 1, updated 1, skipped 0, left out 1 invalid row; created groups ops, new hires.") {
		t.Errorf("output:\n%s", out)
	}
	var users []struct {
		Username string   `json:"username"`
		Role     string   `json:"role"`
		Groups   []string `json:"groups"`
	}
	if err := json.Unmarshal([]byte(cliOK(t, db, "users", "list", "--json")), &users); err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Username != "ada" || users[0].Role != "admin" || strings.Join(users[0].Groups, ",") != "staff,ops,new hires" ||
		users[1].Username != "grace" || strings.Join(users[1].Groups, ",") != "staff,new hires" {
		t.Errorf("users: %+v", users)
	}

	n = changeCount(t, db)
	cliFail(t, db, 1, []string{"the file cannot be imported (1 problem); nothing was written"}, "import", writeTemp(t, "bin.csv", "a\x00b"))
	cliFail(t, db, 1, []string{"rows name users who exist already and --on-duplicate is fail"}, "import", file, "--on-duplicate", "fail")
	cliFail(t, db, 1, []string{"no such file"}, "import", filepath.Join(t.TempDir(), "missing.csv"))
	cliFail(t, db, 2, []string{"unknown choice \"sometimes\""}, "import", file, "--on-duplicate", "sometimes")
	cliFail(t, db, 2, []string{"needs 1 argument"}, "import")
	if changeCount(t, db) != n {
		t.Error("a refused import changed the database")
	}

	// FILE "-" reads stdin.
	code, out, errOut := cli(t, "name,email\nCy,cy@example.com\n", "--db", db, "import", "-")
	if code != 0 || !strings.Contains(out, "Import of stdin") || !strings.Contains(out, "created 1") {
		t.Errorf("import from stdin: exit %d\n%s%s", code, out, errOut)
	}
}

// Ensure `roster export` writes exactly what `users list --json` prints,
// CSV by default or by file name, a 0600 file, and that the export read
// back into an empty database gives the same users.
func TestCLIExportRoundTrip(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "import", writeTemp(t, "staff.csv", staffCSV), "--create-groups")
	cliOK(t, db, "users", "activate", "grace")

	if got, want := cliOK(t, db, "export", "--format", "json"), cliOK(t, db, "users", "list", "--json"); got != want {
		t.Errorf("export --format json differs from users list --json:\n%s\n%s", got, want)
	}
	csv := cliOK(t, db, "export")
	if !strings.HasPrefix(csv, "id,username,name,email,role,groups,status,created_at,invited_at,activated_at,last_login_at,uid_number,shell,kind,expires,given_name,surname\n") ||
		!strings.Contains(csv, ",grace,Grace Hopper,grace@example.com,member,staff,active,") {
		t.Errorf("CSV export:\n%s", csv)
	}
	if out := cliOK(t, db, "export", "--status", "active", "--group", "staff"); strings.Count(out, "\n") != 2 {
		t.Errorf("filtered export:\n%s", out)
	}

	dir := t.TempDir()
	for _, name := range []string{"users.csv", "users.json"} {
		path := filepath.Join(dir, name)
		code, out, errOut := cli(t, "", "--db", db, "export", path)
		if code != 0 || out != "" || !strings.Contains(errOut, "exported 2 users to "+path) {
			t.Fatalf("export %s: exit %d\n%s%s", name, code, out, errOut)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v", name, err, fi.Mode())
		}
		data, _ := os.ReadFile(path)
		if isJSON := strings.HasPrefix(string(data), "["); isJSON != strings.HasSuffix(name, ".json") {
			t.Errorf("%s has the wrong format:\n%s", name, data)
		}
		other := tempDB(t)
		cliOK(t, other, "import", path, "--create-groups")
		strip := func(s string) string { // ids and times belong to each database
			var recs []map[string]any
			if err := json.Unmarshal([]byte(s), &recs); err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				for _, k := range []string{"id", "created_at", "invited_at", "activated_at", "last_login_at"} {
					delete(r, k)
				}
			}
			b, _ := json.Marshal(recs)
			return string(b)
		}
		if got, want := strip(cliOK(t, other, "users", "list", "--json")), strip(cliOK(t, db, "users", "list", "--json")); got != want {
			t.Errorf("%s read back:\n got %s\nwant %s", name, got, want)
		}
	}
	cliFail(t, db, 2, []string{"unknown format \"xml\""}, "export", "--format", "xml")
	cliFail(t, db, 2, []string{"at most one FILE"}, "export", "a", "b")
	cliFail(t, db, 1, []string{"write " + filepath.Join(dir, "no", "x.csv")}, "export", filepath.Join(dir, "no", "x.csv"))
}

// Ensure `roster import --invite` invites the new users (to the dev
// mailbox here) and only them.
func TestCLIImportInvite(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no stray config.toml
	db := tempDB(t)
	cliOK(t, db, "users", "add", "--username", "old", "--name", "Old", "--email", "old@example.com")
	file := writeTemp(t, "new.csv", "name,email,status\nAda,ada@example.com,\nOld,old@example.com,\nBo,bo@example.com,active\n")
	out := cliOK(t, db, "import", file, "--invite")
	if !strings.Contains(out, "Imported: created 2, updated 0, skipped 1.") || !strings.Contains(out, "1 invitation: 1 sent") {
		t.Errorf("output:\n%s", out)
	}
	if link := mailboxLink(t, db, "ada@example.com", "invited"); link == "" {
		t.Error("no invitation for ada")
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal([]byte(cliOK(t, db, "mailbox", "--json")), &msgs); err != nil || len(msgs) != 1 {
		t.Errorf("mailbox holds %d messages (%v), want 1: the skipped and the active user get none", len(msgs), err)
	}
}
