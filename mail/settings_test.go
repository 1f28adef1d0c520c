package mail

import (
	"strings"
	"testing"
)

// Ensure a relay configuration with a loopback or bare greeting, sender
// domain or base URL is warned about, one warning each, and a good one
// or the dev mailbox is not.
func TestSettingsWarnings(t *testing.T) {
	good := Config{URL: "smtp://relay.example.org", HelloName: "roster.example.org",
		From: "Roster <roster@example.org>", BaseURL: "https://roster.example.org"}
	if err := good.Normalize(); err != nil {
		t.Fatal(err)
	}
	if w := good.Warnings(); len(w) != 0 {
		t.Errorf("good settings warned: %q", w)
	}
	bad := Config{URL: "smtp://relay.example.org", HelloName: "localhost", From: "Roster <roster@vm>", BaseURL: "http://127.0.0.1:8080"}
	if err := bad.Normalize(); err != nil {
		t.Fatal(err)
	}
	w := strings.Join(bad.Warnings(), "\n")
	for _, want := range []string{"EHLO localhost", "--smtp-helo", "roster@vm", "--from", "http://127.0.0.1:8080", "--base-url"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	dev := Config{HelloName: "localhost"}
	if err := dev.Normalize(); err != nil {
		t.Fatal(err)
	}
	if w := dev.Warnings(); len(w) != 0 {
		t.Errorf("the dev mailbox warned: %q", w)
	}
	for _, name := range []string{"bad name", "a..b", "-x.org", "[not-an-ip]", "x_y.org"} {
		c := Config{HelloName: name}
		if err := c.Normalize(); err == nil {
			t.Errorf("greeting %q accepted", name)
		}
	}
	for _, name := range []string{"mail.example.org", "[192.0.2.1]", "[IPv6:2001:db8::1]", "host"} {
		c := Config{HelloName: name}
		if err := c.Normalize(); err != nil {
			t.Errorf("greeting %q refused: %v", name, err)
		}
	}
}

// Ensure the worker greets with the configured name, and by default with
// this machine's name, never "localhost" on a machine that has a name.
func TestHelloName(t *testing.T) {
	db := openDB(t)
	srv := startServer(t, serverOpts{})
	users := addUsers(t, db, "ada@example.com")
	cfg := testConfig(srv.addr)
	cfg.HelloName = "roster.example.org"
	q := invite(t, db, cfg, users)
	startWorker(t, db, cfg)
	if c := waitDone(t, db, q.Jobs); c.Sent != 1 {
		t.Fatalf("counts %+v", c)
	}
	if got := srv.helos(); len(got) == 0 || got[0] != "roster.example.org" {
		t.Errorf("greetings %q; want roster.example.org", got)
	}
	def := Config{}
	if err := def.Normalize(); err != nil {
		t.Fatal(err)
	}
	if def.HelloName != MachineName() || def.HelloName == "" {
		t.Errorf("default greeting %q; want %q", def.HelloName, MachineName())
	}
}
