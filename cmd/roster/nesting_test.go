package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// Ensure groups nest and unnest from the command line, a cycle is refused
// with the cycle named, the list shows the nesting, and the users list's
// --group matches members of nested groups.
func TestCLINestedGroups(t *testing.T) {
	db := tempDB(t)
	for _, g := range []string{"staff", "dev", "backend"} {
		cliOK(t, db, "groups", "add", g)
	}
	cliOK(t, db, "users", "add", "--username", "ann", "--name", "Ann", "--email", "ann@example.com", "--group", "backend")
	cliOK(t, db, "users", "add", "--username", "sam", "--name", "Sam", "--email", "sam@example.com", "--group", "staff")
	if out := cliOK(t, db, "groups", "nest", "dev", "--in", "staff"); !strings.Contains(out, "nested dev in staff") {
		t.Errorf("nest printed %q", out)
	}
	cliOK(t, db, "groups", "nest", "backend", "--in", "dev")
	cliFail(t, db, 1, []string{"cycle", "backend → staff → dev → backend"}, "groups", "nest", "staff", "--in", "backend")
	cliFail(t, db, 2, []string{"--in"}, "groups", "nest", "staff")

	if got := names(listJSON(t, db, "--group", "staff")); got != "ann sam" {
		t.Errorf("--group staff lists %q", got)
	}
	if got := names(listJSON(t, db, "--group", "dev")); got != "ann" {
		t.Errorf("--group dev lists %q", got)
	}
	var groups []struct {
		Name   string   `json:"name"`
		Groups []string `json:"groups"`
		In     []string `json:"nested_in"`
	}
	if err := json.Unmarshal([]byte(cliOK(t, db, "groups", "list", "--json")), &groups); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, g := range groups {
		got[g.Name] = strings.Join(g.Groups, ",") + "/" + strings.Join(g.In, ",")
	}
	if got["staff"] != "dev/" || got["dev"] != "backend/staff" || got["backend"] != "/dev" {
		t.Errorf("groups list --json nesting %v", got)
	}
	if out := cliOK(t, db, "groups", "list"); !strings.Contains(out, "IN") || !strings.Contains(out, "backend  ") {
		t.Errorf("groups list %q", out)
	}

	cliOK(t, db, "groups", "unnest", "dev", "--from", "staff")
	if got := names(listJSON(t, db, "--group", "staff")); got != "sam" {
		t.Errorf("after unnest, --group staff lists %q", got)
	}
	cliFail(t, db, 1, []string{"not nested"}, "groups", "unnest", "dev", "--from", "staff")
	if out := cliOK(t, db, "audit"); !strings.Contains(out, "group.nest") || !strings.Contains(out, "group.unnest") {
		t.Errorf("audit log %q", out)
	}
}
