package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// complete asks roster for completions the way the shell scripts do.
func complete(t *testing.T, db string, args ...string) []string {
	t.Helper()
	code, out, errOut := cli(t, "", append([]string{"--db", db, "__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d %s", args, code, errOut)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line != "" && !strings.HasPrefix(line, ":") {
			names = append(names, strings.SplitN(line, "\t", 2)[0])
		}
	}
	return names
}

// Ensure user and group names complete from the database, where the
// commands take them, and that completion never creates a database.
func TestCompletion(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	cliOK(t, db, "users", "add", "--username", "alan", "--name", "Alan", "--email", "alan@example.com")
	cliOK(t, db, "users", "add", "--username", "bob", "--name", "Bob", "--email", "bob@example.com")
	cliOK(t, db, "groups", "add", "staff")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"users", "edit", "a"}, "ada alan"},
		{[]string{"users", "disable", "ada", ""}, "alan bob"},
		{[]string{"users", "edit", "ada", ""}, ""},
		{[]string{"users", "add-group", "--group", ""}, "directory-readers staff"},
		{[]string{"users", "add-group", "--group", "staff", "b"}, "bob"},
		{[]string{"groups", "delete", "s"}, "staff"},
		{[]string{"invite", ""}, "ada alan bob"},
		{[]string{"audit", "--user", "b"}, "bob"},
		{[]string{"users", "list", "--status", ""}, "pending active disabled"},
	} {
		if got := strings.Join(complete(t, db, c.args...), " "); got != c.want {
			t.Errorf("complete %q = %q, want %q", c.args, got, c.want)
		}
	}
	missing := filepath.Join(t.TempDir(), "none.db")
	if got := complete(t, missing, "users", "edit", ""); len(got) != 0 {
		t.Errorf("completion without a database: %v", got)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("completion created a database")
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if out := cliOK(t, db, "completion", shell); !strings.Contains(out, "roster") {
			t.Errorf("completion %s: %q", shell, out[:min(len(out), 200)])
		}
	}
}

// Ensure `roster man` writes a manual page naming the commands.
func TestManPage(t *testing.T) {
	out := cliOK(t, tempDB(t), "man")
	for _, want := range []string{".TH ROSTER 1", "doctor", "users", "--db", "EXIT STATUS"} {
		if !strings.Contains(out, want) {
			t.Errorf("man page lacks %q", want)
		}
	}
}
