package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

func TestUsersLink(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	path := tempDB(t)
	cliOK(t, path, "users", "add", "--username", "ada", "--name", "Ada Lovelace", "--email", "ada@example.com")

	out := cliOK(t, path, "users", "link", "ADA", "--base-url", "https://roster.example.org/")
	m := regexp.MustCompile(`^https://roster\.example\.org/invite/([A-Za-z0-9_-]{43})\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("link output %q", out)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, u, err := db.LookupToken(m[1])
	if err != nil || u.Username != "ada" || tok.Purpose.String() != "invite" {
		t.Fatalf("the printed link does not work: %v %+v", err, tok)
	}

	// A second link replaces the first.
	cliOK(t, path, "users", "link", "ada")
	if _, _, err := db.LookupToken(m[1]); err == nil {
		t.Error("the first link still works after a second one")
	}
	events, _ := db.AuditEvents(roster.LocalActor("tester"), store.AuditFilter{UserID: u.ID, Search: "token.link"})
	if len(events) != 2 {
		t.Errorf("%d token.link audit events, want 2", len(events))
	}

	cliFail(t, path, 1, []string{"no user"}, "users", "link", "nobody")
	cliFail(t, path, 2, nil, "users", "link")
}

func TestUsersReset(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	path := tempDB(t)
	cliOK(t, path, "users", "add", "--username", "ada", "--name", "Ada Lovelace", "--email", "ada@example.com")
	cliOK(t, path, "users", "add", "--username", "pen", "--name", "Pen Ding", "--email", "pen@example.com")
	cliOK(t, path, "users", "activate", "ada")

	out := cliOK(t, path, "users", "reset", "ada", "--no-wait")
	if !strings.Contains(out, "1 reset mails queued") {
		t.Errorf("reset output %q", out)
	}
	// A Pending user needs an invitation, not a reset.
	cliFail(t, path, 1, []string{"refused pen"}, "users", "reset", "pen", "--no-wait")
}

func TestServeLDAPFlags(t *testing.T) {
	path := tempDB(t)
	cliFail(t, path, 2, []string{"--ldaps needs --ldap-cert"}, "serve", "--ldaps", "127.0.0.1:0")
	cliFail(t, path, 2, []string{"go together"}, "serve", "--ldap", "127.0.0.1:0", "--ldap-cert", "x.pem")
	cliFail(t, path, 2, []string{"base DN"}, "serve", "--ldap", "127.0.0.1:0", "--base-dn", "not a dn")
	cliFail(t, path, 2, []string{"--ldap-require-tls needs"}, "serve", "--ldap", "127.0.0.1:0", "--ldap-require-tls")
	cliFail(t, path, 2, []string{"--ldap-max-request must be at least 1024"}, "serve", "--ldap", "127.0.0.1:0", "--ldap-max-request", "10")
}
