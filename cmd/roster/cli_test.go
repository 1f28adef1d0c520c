package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/storetest"
	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"
)

// cli runs the program in-process with the given arguments and stdin, and
// returns its exit code and output.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code = run(ctx, args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// cliOK runs roster --db path ARGS and fails the test unless it exits 0.
func cliOK(t *testing.T, path string, args ...string) string {
	t.Helper()
	code, out, errOut := cli(t, "", append([]string{"--db", path}, args...)...)
	if code != 0 {
		t.Fatalf("roster %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// cliFail runs roster --db path ARGS and fails the test unless it exits
// with code and stderr holds every one of want.
func cliFail(t *testing.T, path string, code int, want []string, args ...string) {
	t.Helper()
	got, out, errOut := cli(t, "", append([]string{"--db", path}, args...)...)
	if got != code {
		t.Errorf("roster %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, code, out, errOut)
		return
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("roster %s: stderr %q lacks %q", strings.Join(args, " "), errOut, w)
		}
	}
}

func tempDB(t *testing.T) string {
	t.Helper()
	t.Setenv("ROSTER_DB", "")
	return storetest.Path(t)
}

// userJSON is one element of `users list --json`.
type userJSON map[string]any

func listJSON(t *testing.T, path string, args ...string) []userJSON {
	t.Helper()
	out := cliOK(t, path, append([]string{"users", "list", "--json"}, args...)...)
	var users []userJSON
	if err := json.Unmarshal([]byte(out), &users); err != nil {
		t.Fatalf("users list --json printed %q: %v", out, err)
	}
	return users
}

func names(users []userJSON) string {
	var out []string
	for _, u := range users {
		out = append(out, u["username"].(string))
	}
	return strings.Join(out, " ")
}

// Ensure a whole session of commands works end to end and the JSON list
// has the documented shape.
func TestCLIUsers(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "groups", "add", "staff", "--description", "Everyone")
	cliOK(t, db, "groups", "add", "ops")
	out := cliOK(t, db, "users", "add", "--username", "Ada", "--name", "Ada Lovelace", "--email", "ada@example.com", "--role", "admin", "--group", "staff", "--group", "OPS")
	if !strings.Contains(out, "added ada") {
		t.Errorf("add printed %q", out)
	}
	cliOK(t, db, "users", "add", "--username", "bob", "--name", "Bob Marley", "--email", "bob@example.com")
	cliOK(t, db, "users", "add", "--username", "carl", "--name", "Carl Sagan", "--email", "carl@example.org", "--group", "staff")

	users := listJSON(t, db)
	if names(users) != "ada bob carl" {
		t.Fatalf("list %q", names(users))
	}
	want := []string{"id", "username", "name", "email", "role", "groups", "status", "created_at", "invited_at", "activated_at", "last_login_at", "uid_number", "kind"}
	for _, u := range users {
		var keys []string
		for k := range u {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		sorted := slices.Clone(want)
		slices.Sort(sorted)
		if !slices.Equal(keys, sorted) {
			t.Errorf("fields %v, want %v", keys, sorted)
		}
		for _, k := range []string{"created_at", "invited_at", "activated_at", "last_login_at"} {
			switch v := u[k].(type) {
			case nil:
			case string:
				if _, err := time.Parse(time.RFC3339, v); err != nil {
					t.Errorf("%s %q is not RFC 3339", k, v)
				}
			default:
				t.Errorf("%s is %T", k, v)
			}
		}
		if u["created_at"] == nil || u["activated_at"] != nil || u["status"] != "pending" {
			t.Errorf("new user %v", u)
		}
		if _, ok := u["groups"].([]any); !ok {
			t.Errorf("groups %v is not an array", u["groups"])
		}
	}
	if g := users[0]["groups"].([]any); len(g) != 2 || g[0] != "staff" || g[1] != "ops" {
		t.Errorf("ada's groups %v", g)
	}
	if users[0]["role"] != "admin" || users[0]["email"] != "ada@example.com" || users[0]["name"] != "Ada Lovelace" {
		t.Errorf("ada %v", users[0])
	}

	// Status changes, by username or e-mail in any case.
	out = cliOK(t, db, "users", "activate", "ADA", "bob@EXAMPLE.com")
	if !strings.Contains(out, "2 activated") {
		t.Errorf("activate printed %q", out)
	}
	code, out, errOut := cli(t, "", "--db", db, "users", "activate", "ada", "carl")
	if code != 0 || !strings.Contains(out, "1 activated; 1 skipped: 1 already active") || !strings.Contains(errOut, "skipped ada: already active") {
		t.Errorf("activate again: %d %q %q", code, out, errOut)
	}
	cliOK(t, db, "users", "disable", "carl")
	if got := listJSON(t, db, "--status", "active"); names(got) != "ada bob" {
		t.Errorf("active %q", names(got))
	} else if got[0]["activated_at"] == nil {
		t.Errorf("activated_at is null after activation")
	}
	if got := listJSON(t, db, "--status", "Disabled"); names(got) != "carl" {
		t.Errorf("disabled %q", names(got))
	}
	if got := listJSON(t, db, "--group", "STAFF"); names(got) != "ada carl" {
		t.Errorf("staff %q", names(got))
	}
	if got := listJSON(t, db, "--search", "MARLEY"); names(got) != "bob" {
		t.Errorf("search %q", names(got))
	}
	if got := listJSON(t, db, "--search", "example.org"); names(got) != "carl" {
		t.Errorf("search e-mail %q", names(got))
	}
	if got := listJSON(t, db, "--sort", "status", "--desc"); names(got) != "carl bob ada" {
		t.Errorf("sort status desc %q", names(got))
	}
	if got := listJSON(t, db, "--search", "nobody"); len(got) != 0 {
		t.Errorf("no match %v", got)
	}
	if out := cliOK(t, db, "users", "list", "--search", "nobody", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("an empty list prints %q, want []", out)
	}

	// The table.
	out = cliOK(t, db, "users", "list")
	if !strings.HasPrefix(out, "USERNAME") || !strings.Contains(out, "Ada Lovelace") || !strings.Contains(out, "staff,ops") {
		t.Errorf("table %q", out)
	}

	// Edit.
	out = cliOK(t, db, "users", "edit", "ada@example.com", "--name", "Ada King", "--email", "ada@king.example", "--role", "member", "--username", "adaking")
	if !strings.Contains(out, "adaking: Ada King, ada@king.example, member") {
		t.Errorf("edit printed %q", out)
	}

	// Groups.
	cliOK(t, db, "users", "add-group", "--group", "ops", "bob", "carl")
	cliOK(t, db, "users", "remove-group", "--group", "staff", "adaking")
	var groups []map[string]any
	if err := json.Unmarshal([]byte(cliOK(t, db, "groups", "list", "--json")), &groups); err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, g := range groups {
		counts[g["name"].(string)] = g["members"].(float64)
	}
	if counts["ops"] != 3 || counts["staff"] != 1 || len(groups) != 3 {
		t.Errorf("groups %v", groups)
	}
	cliOK(t, db, "groups", "rename", "ops", "operations")
	cliFail(t, db, 1, []string{"3 members", "remove"}, "groups", "delete", "operations")
	cliOK(t, db, "groups", "delete", "operations", "--remove-members")
	if got := listJSON(t, db, "--search", "bob"); len(got[0]["groups"].([]any)) != 0 {
		t.Errorf("bob still in %v", got[0]["groups"])
	}

	// Delete needs --yes off a terminal.
	cliFail(t, db, 2, []string{"--yes"}, "users", "delete", "bob")
	if got := listJSON(t, db); len(got) != 3 {
		t.Errorf("a refused delete deleted: %q", names(got))
	}
	out = cliOK(t, db, "users", "delete", "--yes", "bob", "carl")
	if !strings.Contains(out, "2 deleted") {
		t.Errorf("delete printed %q", out)
	}
	if got := listJSON(t, db); names(got) != "adaking" {
		t.Errorf("after delete %q", names(got))
	}

	// The audit log saw it all.
	var events []map[string]any
	if err := json.Unmarshal([]byte(cliOK(t, db, "audit", "--json", "--limit", "0")), &events); err != nil {
		t.Fatal(err)
	}
	if len(events) < 12 || events[0]["action"] != "user.delete" || !strings.HasPrefix(events[0]["actor"].(string), "os:") {
		t.Errorf("audit %v", events[:min(len(events), 2)])
	}
	if _, err := time.Parse(time.RFC3339, events[0]["time"].(string)); err != nil {
		t.Errorf("audit time: %v", err)
	}
	// Ada's own history: created, activated, edited, left staff, ops deleted.
	if err := json.Unmarshal([]byte(cliOK(t, db, "audit", "--json", "--user", "adaking")), &events); err != nil || len(events) != 5 {
		t.Errorf("ada's audit: %d events, %v", len(events), err)
	}
	if out := cliOK(t, db, "audit", "--limit", "1"); !strings.HasPrefix(out, "TIME") || strings.Count(out, "\n") != 2 {
		t.Errorf("audit table %q", out)
	}
	if out := cliOK(t, db, "check"); !strings.Contains(out, "ok") {
		t.Errorf("check printed %q", out)
	}
}

// Ensure failures exit 1 with a message on stderr naming what is wrong,
// and change nothing.
func TestCLIFailures(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	cliOK(t, db, "users", "add", "--username", "root", "--name", "Root", "--email", "root@example.com", "--role", "owner")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"users", "add", "--username", "ADA", "--name", "X", "--email", "x@example.com"}, []string{"roster: ", "username", "ada", "taken"}},
		{[]string{"users", "add", "--username", "x", "--name", "X", "--email", "ADA@example.COM"}, []string{"email", "ADA@example.COM", "another user"}},
		{[]string{"users", "add", "--username", "x", "--name", "X", "--email", "x@localhost"}, []string{"email", "dot"}},
		{[]string{"users", "add", "--username", "x", "--name", "X\r\nY", "--email", "x@example.com"}, []string{"name", "line breaks"}},
		{[]string{"users", "add", "--username", "x", "--name", "X", "--email", "x@example.com", "--group", "nope"}, []string{"group", "nope"}},
		{[]string{"users", "add", "--username", "x", "--name", "X", "--email", "x@example.com", "--role", "king"}, []string{"role", "king"}},
		{[]string{"users", "add", "--name", "X", "--email", "x@example.com"}, []string{"username is required"}},
		{[]string{"users", "activate", "ada", "nobody"}, []string{"nobody"}},
		{[]string{"users", "edit", "nobody", "--name", "X"}, []string{"nobody"}},
		{[]string{"users", "edit", "ada", "--email", "root@example.com"}, []string{"email", "another user"}},
		{[]string{"users", "list", "--status", "asleep"}, []string{"status", "asleep"}},
		{[]string{"users", "list", "--group", "nope"}, []string{"nope"}},
		{[]string{"users", "list", "--sort", "age"}, []string{"sort", "age"}},
		{[]string{"users", "add-group", "--group", "nope", "ada"}, []string{"nope"}},
		{[]string{"groups", "add", "bad/name"}, []string{"group", "'/'"}},
		{[]string{"groups", "rename", "nope", "x"}, []string{"nope"}},
		{[]string{"groups", "delete", "nope"}, []string{"nope"}},
		{[]string{"audit", "--user", "nobody"}, []string{"nobody"}},
	} {
		before := cliOK(t, db, "users", "list", "--json")
		cliFail(t, db, 1, c.want, c.args...)
		if after := cliOK(t, db, "users", "list", "--json"); after != before {
			t.Errorf("roster %s changed the users", strings.Join(c.args, " "))
		}
	}
	// The last active owner stays: nothing changed, so the command fails.
	cliOK(t, db, "users", "activate", "root")
	cliFail(t, db, 1, []string{"skipped root: is the last active owner", "nothing changed"}, "users", "disable", "root")
	cliFail(t, db, 1, []string{"last active owner"}, "users", "delete", "--yes", "root")
	cliFail(t, db, 1, []string{"last active owner"}, "users", "edit", "root", "--role", "admin")

	// Issue 13, break 11: a delete that skips a user fails, even when it
	// deleted others, so a script does not take it for a whole delete.
	cliOK(t, db, "users", "add", "--username", "gone", "--name", "Gone", "--email", "gone@example.com")
	code, out, errOut := cli(t, "", "--db", db, "users", "delete", "--yes", "gone", "root")
	if code == 0 || !strings.Contains(out, "1 deleted") || !strings.Contains(errOut, "skipped root: is the last active owner") || !strings.Contains(errOut, "1 user skipped") {
		t.Errorf("a partial delete: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// Ensure usage mistakes exit 2 with a message and a hint.
func TestCLIUsageErrors(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	for _, args := range [][]string{
		{"bogus"},
		{"users", "bogus"},
		{"users", "add", "--bogus"},
		{"users", "list", "extra"},
		{"users", "edit"},
		{"users", "activate"},
		{"users", "delete", "ada"},
		{"users", "add-group", "ada"},
		{"groups", "rename", "only-one"},
		{"groups", "add"},
		{"audit", "--limit", "-1"},
		{"audit", "--limit", "many"},
		{"demo", "--users", "0"},
		{"check", "extra"},
		{"--db"},
	} {
		code, _, errOut := cli(t, "", append([]string{"--db", db}, args...)...)
		if code != 2 {
			t.Errorf("roster %s: exit %d, want 2 (stderr %q)", strings.Join(args, " "), code, errOut)
		}
		if !strings.HasPrefix(errOut, "roster: ") || !strings.Contains(errOut, "--help") {
			t.Errorf("roster %s: stderr %q should say what is wrong and where help is", strings.Join(args, " "), errOut)
		}
	}
	if got := listJSON(t, db); len(got) != 1 {
		t.Errorf("usage errors changed users: %v", got)
	}
}

// Ensure --db works before and after the command, ROSTER_DB is read, --db
// wins over it, and without either the XDG default is used, created 0600
// in a 0700 folder.
func TestCLIDatabasePath(t *testing.T) {
	dir := t.TempDir()
	before, after, env, xdg := filepath.Join(dir, "before.db"), filepath.Join(dir, "after.db"), filepath.Join(dir, "env.db"), filepath.Join(dir, "xdg")
	t.Setenv("ROSTER_DB", "")
	t.Setenv("XDG_DATA_HOME", xdg)
	add := func(username string) []string {
		return []string{"users", "add", "--username", username, "--name", username, "--email", username + "@example.com"}
	}
	if code, _, e := cli(t, "", append([]string{"--db", before}, add("one")...)...); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := cli(t, "", append(add("two"), "--db", after)...); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := cli(t, "", append(add("three"), "--db="+after)...); code != 0 {
		t.Fatal(e)
	}
	t.Setenv("ROSTER_DB", env)
	if code, _, e := cli(t, "", add("four")...); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := cli(t, "", append(add("five"), "--db", before)...); code != 0 {
		t.Fatal(e)
	}
	t.Setenv("ROSTER_DB", "")
	if code, _, e := cli(t, "", add("six")...); code != 0 {
		t.Fatal(e)
	}
	def := filepath.Join(xdg, "roster", "roster.db")
	for path, want := range map[string]string{before: "five one", after: "three two", env: "four", def: "six"} {
		if got := names(listJSON(t, path)); got != want {
			t.Errorf("%s holds %q, want %q", path, got, want)
		}
	}
	fi, err := os.Stat(def)
	if err != nil {
		t.Fatal(err)
	}
	di, _ := os.Stat(filepath.Dir(def))
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("default file %o in folder %o, want 600 in 700", fi.Mode().Perm(), di.Mode().Perm())
	}
	// A database that cannot be opened is a failure naming the file.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(blocker, "roster.db")
	cliFail(t, bad, 1, []string{blocker}, "users", "list")
}

// Ensure every command, however deep, answers --help with its usage and
// exit 0, without touching a database.
func TestCLIHelpEverywhere(t *testing.T) {
	t.Setenv("ROSTER_DB", filepath.Join(t.TempDir(), "never.db"))
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walk((&app{}).rootCmd(), nil)
	if len(paths) < 15 {
		t.Fatalf("found only %d commands: %v", len(paths), paths)
	}
	for _, p := range paths {
		for _, flag := range []string{"--help", "-h"} {
			code, out, errOut := cli(t, "", append(slices.Clone(p), flag)...)
			if code != 0 || !strings.Contains(out, "Usage:") || errOut != "" {
				t.Errorf("roster %s %s: exit %d, stdout %q, stderr %q", strings.Join(p, " "), flag, code, out, errOut)
			}
			if !strings.Contains(out, "--db") {
				t.Errorf("roster %s --help does not show the global --db", strings.Join(p, " "))
			}
		}
	}
	if _, err := os.Stat(os.Getenv("ROSTER_DB")); !os.IsNotExist(err) {
		t.Errorf("--help created the database: %v", err)
	}
}

// Ensure demo fills the database deterministically and check passes it.
func TestCLIDemoAndCheck(t *testing.T) {
	// a is damaged on purpose at the end: no check at cleanup for it.
	t.Setenv("ROSTER_DB", "")
	a, b := filepath.Join(t.TempDir(), "a.db"), storetest.Path(t)
	out := cliOK(t, a, "demo", "--users", "300", "--groups", "5", "--seed", "7")
	if !strings.Contains(out, "added 300 demo users in 5 groups") {
		t.Errorf("demo printed %q", out)
	}
	cliOK(t, b, "demo", "--users", "300", "--groups", "5", "--seed", "7")
	ua, ub := listJSON(t, a), listJSON(t, b)
	if len(ua) != 300 {
		t.Fatalf("%d users", len(ua))
	}
	statuses := map[any]int{}
	for i := range ua {
		if ua[i]["username"] != ub[i]["username"] || ua[i]["name"] != ub[i]["name"] || ua[i]["status"] != ub[i]["status"] {
			t.Fatalf("same seed, different users: %v vs %v", ua[i], ub[i])
		}
		statuses[ua[i]["status"]]++
	}
	if statuses["pending"] == 0 || statuses["active"] == 0 || statuses["disabled"] == 0 {
		t.Errorf("statuses %v, want some of each", statuses)
	}
	cliOK(t, a, "check")

	// A damaged index fails the check with exit 1 and names the problem.
	damageIndex(t, a)
	cliFail(t, a, 1, []string{"username index", "problem(s) found"}, "check")
}

// damageIndex points a username index entry at a user that does not exist,
// with bbolt directly, behind the store's back.
func damageIndex(t *testing.T, path string) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("users_by_username")).Put([]byte("ghost"), []byte{0, 0, 0, 0, 0, 0, 0x30, 0x39})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Ensure the terminal confirmation takes only y or yes, in any case.
func TestConfirm(t *testing.T) {
	for in, want := range map[string]bool{"y\n": true, "YES\n": true, " yes \n": true, "yes": true, "n\n": false, "\n": false, "": false, "yess\n": false, "sure\n": false} {
		var out bytes.Buffer
		a := &app{stdin: strings.NewReader(in), stdout: &out}
		got, err := a.confirm("Delete? [y/N] ")
		if err != nil || got != want {
			t.Errorf("answer %q: %v, %v; want %v", in, got, err, want)
		}
		if out.String() != "Delete? [y/N] " {
			t.Errorf("asked %q", out.String())
		}
	}
}

// Ensure a command group without a subcommand shows its help.
func TestCLIGroupHelp(t *testing.T) {
	db := tempDB(t)
	for _, args := range [][]string{{"users"}, {"groups"}} {
		code, out, errOut := cli(t, "", append([]string{"--db", db}, args...)...)
		if code != 0 || !strings.Contains(out, "Available Commands") || errOut != "" {
			t.Errorf("roster %s: exit %d, %q, %q", args[0], code, out, errOut)
		}
	}
}
