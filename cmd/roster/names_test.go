package main

import (
	"strings"
	"testing"
)

// Ensure users add and edit take the given name and surname, list --json
// shows them, a refused part names the flag's field, and a user added by
// e-mail alone has no name until they give it.
func TestCLINameParts(t *testing.T) {
	path := tempDB(t)
	out := cliOK(t, path, "users", "add", "--username", "ludwig", "--email", "lvb@example.com",
		"--given-name", "Ludwig", "--surname", "van Beethoven")
	if !strings.Contains(out, "added ludwig (Ludwig van Beethoven, lvb@example.com)") {
		t.Errorf("add printed %q", out)
	}
	out = cliOK(t, path, "users", "add", "--username", "newbie", "--email", "newbie@example.com")
	if !strings.Contains(out, "they give their name when they set their password") {
		t.Errorf("add without a name printed %q", out)
	}
	cliFail(t, path, 1, []string{"surname", "text-direction control character"},
		"users", "add", "--username", "eve", "--email", "eve@example.com", "--name", "Eve", "--surname", "\u202eevE")
	cliFail(t, path, 1, []string{"given name is longer than 200 characters"},
		"users", "edit", "ludwig", "--given-name", strings.Repeat("x", 201))

	byName := map[string]userJSON{}
	for _, u := range listJSON(t, path) {
		byName[u["username"].(string)] = u
	}
	if u := byName["ludwig"]; u["name"] != "Ludwig van Beethoven" || u["given_name"] != "Ludwig" || u["surname"] != "van Beethoven" {
		t.Errorf("ludwig in JSON: %v", u)
	}
	if u := byName["newbie"]; u["name"] != "" || u["given_name"] != nil || u["surname"] != nil {
		t.Errorf("newbie in JSON: %v", u)
	}
	if _, ok := byName["eve"]; ok {
		t.Error("a refused add created eve")
	}
	table := cliOK(t, path, "users", "list")
	if !strings.Contains(table, "(not given yet)") {
		t.Errorf("list shows no placeholder for newbie's name:\n%s", table)
	}

	out = cliOK(t, path, "users", "edit", "ludwig", "--surname", "Beethoven", "--given-name", "")
	if !strings.Contains(out, `ludwig: given name "", surname "Beethoven"`) {
		t.Errorf("edit printed %q", out)
	}
	for _, u := range listJSON(t, path, "--search", "ludwig") {
		if u["surname"] != "Beethoven" || u["given_name"] != nil || u["name"] != "Ludwig van Beethoven" {
			t.Errorf("after edit: %v", u)
		}
	}
}
