package main

import (
	"strings"
	"testing"
)

// Ensure `users edit` sets a uid and shell that `users list --json`
// shows, refuses a taken or out-of-range number and a relative shell with
// exit status 1 and a message naming the problem, and that `posix set`
// changes the range the next number comes from.
func TestCLIPosix(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	cliOK(t, db, "users", "add", "--username", "bob", "--name", "Bob", "--email", "bob@example.com")
	cliOK(t, db, "users", "edit", "ada", "--uid-number", "20001", "--shell", "/usr/bin/fish")
	users := listJSON(t, db)
	if users[0]["uid_number"] != float64(20001) || users[0]["shell"] != "/usr/bin/fish" || users[1]["uid_number"] != float64(10001) {
		t.Errorf("after edit: %v", users)
	}
	cliFail(t, db, 1, []string{"uid 20001 belongs to ada"}, "users", "edit", "bob", "--uid-number", "20001")
	cliFail(t, db, 1, []string{"uid 42 is outside the uid range 10000-2147483647"}, "users", "edit", "bob", "--uid-number", "42")
	cliFail(t, db, 1, []string{"uid 65534 is reserved"}, "users", "edit", "bob", "--uid-number", "65534")
	cliFail(t, db, 1, []string{"login shell must be an absolute path"}, "users", "edit", "bob", "--shell", "bash")
	cliFail(t, db, 2, nil, "users", "edit", "bob", "--uid-number", "-1")

	cliOK(t, db, "posix", "set", "--uid-range", "30000-39999", "--home", "/srv/{username}")
	if out := cliOK(t, db, "posix"); !strings.Contains(out, "uid range    30000-39999") || !strings.Contains(out, "/srv/{username}") {
		t.Errorf("posix:\n%s", out)
	}
	cliOK(t, db, "users", "add", "--username", "cy", "--name", "Cy", "--email", "cy@example.com")
	if u := listJSON(t, db, "--search", "cy"); u[0]["uid_number"] != float64(30000) {
		t.Errorf("cy: %v", u)
	}
	cliFail(t, db, 1, []string{"must contain {username}"}, "posix", "set", "--home", "/home/shared")
}
