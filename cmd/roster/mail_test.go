package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/roster-dev/roster/store"
)

// mailEnv isolates a test from the machine's mail settings.
func mailEnv(t *testing.T) (db, configDir string) {
	t.Helper()
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	for _, s := range mailSettings {
		t.Setenv(s.env, "")
	}
	t.Setenv("ROSTER_SMTP_PASSWORD", "")
	return filepath.Join(t.TempDir(), "roster.db"), filepath.Join(cfg, "roster")
}

func mailRun(t *testing.T, db string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--db", db}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func mustRun(t *testing.T, db string, args ...string) string {
	t.Helper()
	code, out, errs := mailRun(t, db, args...)
	if code != 0 {
		t.Fatalf("roster %v: exit %d\n%s%s", args, code, out, errs)
	}
	return out
}

func mailbox(t *testing.T, db string) []store.MailboxMessage {
	t.Helper()
	var msgs []store.MailboxMessage
	if err := json.Unmarshal([]byte(mustRun(t, db, "mailbox", "--json")), &msgs); err != nil {
		t.Fatal(err)
	}
	return msgs
}

// Ensure `roster invite` with no SMTP server delivers to the dev mailbox,
// waits, summarises, and exits 1 when an invitation is refused.
func TestCLIInviteDevMailbox(t *testing.T) {
	db, _ := mailEnv(t)
	mustRun(t, db, "users", "add", "--username", "ada", "--name", "Ada Lovelace", "--email", "ada@example.com")
	mustRun(t, db, "users", "add", "--username", "bob", "--name", "Bob", "--email", "bob@example.com")
	out := mustRun(t, db, "invite", "ada", "--base-url", "https://people.example.org")
	if !strings.Contains(out, "1 invitation: 1 sent") || !strings.Contains(out, "dev mailbox") {
		t.Fatalf("invite printed %q", out)
	}
	msgs := mailbox(t, db)
	if len(msgs) != 1 || msgs[0].To[0] != "ada@example.com" || !strings.HasPrefix(msgs[0].Link, "https://people.example.org/invite/") {
		t.Fatalf("mailbox %+v", msgs)
	}
	if !strings.Contains(mustRun(t, db, "mailbox"), msgs[0].Link) {
		t.Error("the mailbox table lacks the link")
	}

	mustRun(t, db, "users", "activate", "ada")
	code, out, errs := mailRun(t, db, "invite", "--status", "pending")
	if code != 0 || !strings.Contains(out, "1 invitation: 1 sent") {
		t.Fatalf("invite --status pending: %d %q %q", code, out, errs)
	}
	code, out, errs = mailRun(t, db, "invite", "ada", "bob")
	if code != 1 || !strings.Contains(errs, "refused ada: already active") || !strings.Contains(out, "1 sent, 1 refused") {
		t.Fatalf("invite of an active user: %d %q %q", code, out, errs)
	}
	if code, _, errs := mailRun(t, db, "invite"); code != 2 {
		t.Fatalf("invite with nothing: %d %q", code, errs)
	}
	if out := mustRun(t, db, "mail", "queue", "--all"); !strings.Contains(out, "bob@example.com") || !strings.Contains(out, "sent") {
		t.Fatalf("mail queue: %q", out)
	}
	if out := mustRun(t, db, "mail", "test", "someone@example.com"); !strings.Contains(out, "1 sent") {
		t.Fatalf("mail test: %q", out)
	}
}

// Ensure flags beat the environment, which beats the config file, and the
// mail flags work before and after the subcommand.
func TestMailConfigPrecedence(t *testing.T) {
	db, dir := mailEnv(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("org_name = \"File Org\"\nbase_url = \"https://file.example\"\ninvite_ttl = \"48h\"\n")
	mustRun(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	subject := func() string { return mailbox(t, db)[0].Subject }
	mustRun(t, db, "invite", "ada")
	if s := subject(); s != "You are invited to File Org" || !strings.HasPrefix(mailbox(t, db)[0].Link, "https://file.example/invite/") {
		t.Fatalf("from the file: %q", s)
	}
	if !strings.Contains(mailbox(t, db)[0].Text, "2 days") {
		t.Error("invite_ttl from the file not used")
	}
	t.Setenv("ROSTER_ORG_NAME", "Env Org")
	mustRun(t, db, "invite", "ada")
	if s := subject(); s != "You are invited to Env Org" {
		t.Fatalf("from the environment: %q", s)
	}
	mustRun(t, db, "--org-name", "Flag Org", "invite", "ada")
	if s := subject(); s != "You are invited to Flag Org" {
		t.Fatalf("flag before the command: %q", s)
	}
	mustRun(t, db, "invite", "ada", "--org-name", "After Org")
	if s := subject(); s != "You are invited to After Org" {
		t.Fatalf("flag after the command: %q", s)
	}

	// A password in the file is refused with where it belongs.
	write("smtp_password = \"hunter2\"\n")
	code, _, errs := mailRun(t, db, "invite", "ada")
	if code != 1 || !strings.Contains(errs, "ROSTER_SMTP_PASSWORD") || strings.Contains(errs, "hunter2") {
		t.Fatalf("password in the config file: %d %q", code, errs)
	}
	write("")
	code, _, errs = mailRun(t, db, "invite", "ada", "--smtp", "smtp://me:hunter2@mail.example.org")
	if code != 1 || strings.Contains(errs, "hunter2") || !strings.Contains(errs, "ROSTER_SMTP_PASSWORD") {
		t.Fatalf("password in the URL: %d %q", code, errs)
	}
}

// bounceBackend is a go-smtp server that bounces bounce@… at RCPT.
type bounceBackend struct{}

func (bounceBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &bounceSession{}, nil }

type bounceSession struct{}

func (*bounceSession) Reset()                               {}
func (*bounceSession) Logout() error                        { return nil }
func (*bounceSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*bounceSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }
func (*bounceSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "bounce@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	return nil
}

// Ensure a bounce over SMTP makes `roster invite` exit 1 with the server's
// words, blocks the address, and `roster mail unblock` clears it.
func TestCLIInviteBounce(t *testing.T) {
	db, _ := mailEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(bounceBackend{})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	t.Setenv("ROSTER_SMTP_URL", "smtp://"+ln.Addr().String())
	t.Setenv("ROSTER_SMTP_PLAINTEXT_LOOPBACK", "true")
	mustRun(t, db, "users", "add", "--username", "bo", "--name", "Bo", "--email", "bounce@example.com")
	mustRun(t, db, "users", "add", "--username", "ok", "--name", "Ok", "--email", "ok@example.com")
	code, out, errs := mailRun(t, db, "invite", "bo", "ok")
	if code != 1 || !strings.Contains(out, "1 sent, 1 bounced") || !strings.Contains(out, "550 5.1.1 mailbox unavailable") {
		t.Fatalf("invite: %d %q %q", code, out, errs)
	}
	code, _, errs = mailRun(t, db, "invite", "bo")
	if code != 1 || !strings.Contains(errs, "address blocked after a bounce") {
		t.Fatalf("second invite: %d %q", code, errs)
	}
	if out := mustRun(t, db, "mail", "unblock", "bo"); !strings.Contains(out, "1 unblocked") {
		t.Fatalf("unblock: %q", out)
	}
}

// tempfailBackend answers every RCPT with 451.
type tempfailBackend struct{}

func (tempfailBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &tempfailSession{}, nil }

type tempfailSession struct{ bounceSession }

func (tempfailSession) Rcpt(string, *smtp.RcptOptions) error {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
}

// Ensure a deferred invitation is retried for --wait, then stays queued:
// `roster invite` says when it is tried next and that no process will send
// it, and exits 3 (not a failure).
func TestCLIInviteDeferred(t *testing.T) {
	db, _ := mailEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(tempfailBackend{})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	mustRun(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	code, out, errs := mailRun(t, db, "invite", "ada", "--smtp", "smtp://"+ln.Addr().String(), "--smtp-plaintext-loopback", "--wait", "1s")
	for _, want := range []string{"1 still queued", "451 4.3.0 try again later", "Still queued after retrying for 1s; next attempt at",
		"No roster process that sends mail is running"} {
		if !strings.Contains(out, want) {
			t.Errorf("invite printed %q; want %q", out, want)
		}
	}
	if code != exitQueued || !strings.Contains(errs, "1 of 1 invitation still queued") {
		t.Fatalf("invite: exit %d, stderr %q; want %d", code, errs, exitQueued)
	}
	if out := mustRun(t, db, "mail", "queue"); !strings.Contains(out, "queued") || !strings.Contains(out, "ada@example.com") || !strings.Contains(out, "next attempt ") {
		t.Fatalf("mail queue: %q", out)
	}
	// Retry now: the server still defers it, and says so again.
	out = mustRun(t, db, "mail", "retry", "--smtp", "smtp://"+ln.Addr().String(), "--smtp-plaintext-loopback")
	if !strings.Contains(out, "1 mail queued again") || !strings.Contains(out, "1 still queued") {
		t.Fatalf("mail retry: %q", out)
	}
	var jobs []jobJSON
	if err := json.Unmarshal([]byte(mustRun(t, db, "mail", "queue", "--json")), &jobs); err != nil || len(jobs) != 1 || jobs[0].Attempts != 2 {
		t.Fatalf("mail queue --json: %+v %v", jobs, err)
	}
}

// Ensure `roster serve` sends what another command queued, to the dev
// mailbox when no SMTP server is configured.
func TestServeSendsMail(t *testing.T) {
	db, _ := mailEnv(t)
	mustRun(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var serr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--db", db, "serve", "--http", ""}, strings.NewReader(""), io.Discard, &serr)
	}()
	if out := mustRun(t, db, "invite", "ada", "--no-wait"); !strings.Contains(out, "1 invitation queued") {
		t.Fatalf("invite --no-wait: %q", out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(mailbox(t, db)) == 0 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve sent nothing; its log:\n%s", serr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, serr.String())
	}
}
