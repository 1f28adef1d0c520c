package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/roster-dev/roster/internal/e2e"
)

// relayFlags are the settings of an office whose relay is r.submit.
func relayFlags(r *relay, addr string, auth bool) []string {
	url := "smtp://" + addr
	if auth {
		url = "smtp://mailer@" + addr
	}
	f := []string{"--smtp", url, "--smtp-ca-file", r.caFile, "--smtp-helo", "roster.example.org",
		"--from", "Example Org <roster@example.org>", "--base-url", "https://roster.example.org",
		"--org-name", "Example Org"}
	if !auth {
		f = append(f, "--smtp-plaintext-loopback")
	}
	return f
}

// Ensure Roster's mail goes through a real relay as an office runs one:
// Postfix with STARTTLS and Dovecot SASL; that a wrong password costs one
// failed login per batch; that a relay refusing the greeting or the
// sender blocks nobody and says it is a settings problem; that a bounce
// mailed back later (a DSN) carries no link and, read from a pipe or
// from the bounce Maildir, blocks exactly that address; and that
// SpamAssassin does not flag the invitation as Postfix delivered it.
func TestRelayPostfix(t *testing.T) {
	r := startRelay(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Dovecot's log:\n%s", r.dovecotLog())
		}
	})

	t.Run("STARTTLS and AUTH, SpamAssassin", func(t *testing.T) {
		db, _ := mailEnv(t)
		t.Setenv("ROSTER_SMTP_PASSWORD", relayPassword)
		mustRun(t, db, "users", "add", "--username", "ada", "--name", "Ada Lovelace", "--email", "ada@example.com")
		out := mustRun(t, db, append([]string{"invite", "ada"}, relayFlags(r, r.submit, true)...)...)
		if !strings.Contains(out, "1 sent") {
			t.Fatalf("invite: %q", out)
		}
		msg := r.waitMessages(t, "ada", 1)[0]
		// Postfix writes ESMTPSA for a message received over TLS after AUTH.
		if !regexp.MustCompile(`Received: from roster\.example\.org \(localhost \[127\.0\.0\.1\]\)\s+by relay\.roster\.test \(Postfix\) with ESMTPSA`).Match(msg) {
			t.Errorf("the relay did not receive it over STARTTLS + AUTH from roster.example.org:\n%s", headerOf(msg))
		}
		spamCheck(t, msg)
	})

	t.Run("wrong password: one failed login per batch", func(t *testing.T) {
		db, _ := mailEnv(t)
		t.Setenv("ROSTER_SMTP_PASSWORD", "wrong-pw")
		for i := range 12 {
			mustRun(t, db, "users", "add", "--username", "u"+strconv.Itoa(i), "--name", "U", "--email", "u"+strconv.Itoa(i)+"@example.com")
		}
		before := strings.Count(r.log(), "authentication failed")
		code, out, errs := mailRun(t, db, append([]string{"invite", "--status", "pending"}, relayFlags(r, r.submit, true)...)...)
		if code != 1 || !strings.Contains(out, "12 failed") || !strings.Contains(out, "535") || !strings.Contains(out, "nobody was blocked") {
			t.Fatalf("invite: exit %d\n%s%s", code, out, errs)
		}
		if n := strings.Count(r.log(), "authentication failed") - before; n != 1 {
			t.Errorf("Postfix logged %d failed logins for a batch of 12; want 1\n%s", n, r.log())
		}
		t.Setenv("ROSTER_SMTP_PASSWORD", relayPassword)
		assertNotBlocked(t, db, "u0", relayFlags(r, r.submit, true))
	})

	t.Run("relay refuses a bare greeting, then a bare sender", func(t *testing.T) {
		db, _ := mailEnv(t)
		mustRun(t, db, "users", "add", "--username", "grace", "--name", "Grace Hopper", "--email", "grace@example.com")
		flags := relayFlags(r, r.strict, false)
		for _, c := range []struct{ flag, value, words string }{
			{"--smtp-helo", "vm", "Helo command rejected"},
			{"--from", "Roster <roster@vm>", "Sender address rejected"},
		} {
			args := append(append([]string{"invite", "grace"}, flags...), c.flag, c.value)
			code, out, errs := mailRun(t, db, args...)
			if code != 1 || !strings.Contains(out, c.words) || !strings.Contains(out, "relay or settings problem") || !strings.Contains(out, "nobody was blocked") {
				t.Fatalf("%s %s: exit %d\n%s%s", c.flag, c.value, code, out, errs)
			}
			if !strings.Contains(errs, "warning:") || !strings.Contains(errs, c.flag) {
				t.Errorf("%s %s: no warning about it before sending: %q", c.flag, c.value, errs)
			}
			t.Logf("%s %s: %s", c.flag, c.value, strings.TrimSpace(out))
		}
		assertNotBlocked(t, db, "grace", flags)
	})

	t.Run("a DSN mailed back later blocks exactly that address", func(t *testing.T) {
		db, _ := mailEnv(t)
		t.Setenv("ROSTER_SMTP_PASSWORD", relayPassword)
		mustRun(t, db, "users", "add", "--username", "nobody", "--name", "No Body", "--email", "nobody@remote.example")
		mustRun(t, db, "users", "add", "--username", "lost", "--name", "Lost One", "--email", "lost@remote.example")
		mustRun(t, db, "users", "add", "--username", "grace", "--name", "Grace Hopper", "--email", "grace@example.com")
		out := mustRun(t, db, append([]string{"invite", "nobody", "lost", "grace"}, relayFlags(r, r.submit, true)...)...)
		if !strings.Contains(out, "3 sent") {
			t.Fatalf("the relay should accept all three at first: %q", out)
		}
		dsns := r.waitMessages(t, "roster", 2)
		var nobodyDSN []byte
		for _, d := range dsns {
			if bytes.Contains(d, []byte("/invite/")) || bytes.Contains(d, []byte("roster.example.org/")) {
				t.Errorf("a DSN carries the link:\n%s", d)
			}
			if !bytes.Contains(d, []byte("Original-Envelope-Id: roster-")) {
				t.Errorf("a DSN lacks Roster's ENVID:\n%s", d)
			}
			if bytes.Contains(d, []byte("nobody@remote.example")) {
				nobodyDSN = d
			}
		}
		if nobodyDSN == nil {
			t.Fatal("no DSN names nobody@remote.example")
		}

		// From a pipe, as an MTA alias "|roster mail bounce" runs it.
		bin := buildRoster(t, t.TempDir())
		cmd := exec.Command(bin, "--db", db, "mail", "bounce")
		cmd.Stdin = bytes.NewReader(nobodyDSN)
		cmd.Env = append(os.Environ(), "ROSTER_DB=")
		pipeOut, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(pipeOut), "nobody@remote.example") || !strings.Contains(string(pipeOut), "address blocked") {
			t.Fatalf("roster mail bounce < DSN: %v\n%s", err, pipeOut)
		}
		t.Logf("roster mail bounce: %s", strings.TrimSpace(string(pipeOut)))
		// A person's reply in the bounce mailbox: never taken for a bounce.
		sendPlain(t, r.strict, "grace@example.com", "roster@example.org",
			"From: Grace <grace@example.com>\r\nTo: roster@example.org\r\nSubject: Re: You are invited\r\n\r\nThanks, see you Monday.\r\n")
		r.waitMessages(t, "roster", 3)

		// roster serve, reading the bounce mailbox over IMAP (Dovecot).
		t.Setenv("ROSTER_BOUNCE_PASSWORD", bounceIMAPPassword)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		var serr syncBuffer
		go func() {
			done <- run(ctx, []string{"--db", db, "serve", "--http", "", "--bounce-mailbox", "imap://roster@" + r.imap + "/INBOX",
				"--bounce-ca-file", r.caFile}, strings.NewReader(""), io.Discard, &serr)
		}()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(serr.String(), "bounces read") {
			if time.Now().After(deadline) {
				cancel()
				<-done
				t.Fatalf("serve read no bounce over IMAP; its log:\n%s", serr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve exited %d:\n%s", code, serr.String())
		}
		t.Logf("serve: %s", serr.String())
		if !strings.Contains(serr.String(), "applied=2 left=1") || !strings.Contains(serr.String(), "left a message Roster does not understand") {
			t.Errorf("serve should apply both DSNs and leave the reply:\n%s", serr.String())
		}
		// The reply is still there, unread (no S in its Maildir flags).
		kept := false
		for _, sub := range []string{"new", "cur"} {
			entries, _ := os.ReadDir(filepath.Join(r.maildir("roster"), sub))
			for _, e := range entries {
				b, _ := os.ReadFile(filepath.Join(r.maildir("roster"), sub, e.Name()))
				if bytes.Contains(b, []byte("see you Monday")) {
					_, flags, _ := strings.Cut(e.Name(), ":2,")
					kept = !strings.Contains(flags, "S")
				}
			}
		}
		if !kept {
			t.Error("the reply was not left unread in the bounce mailbox")
		}
		for _, who := range []string{"nobody", "lost"} {
			code, _, errs := mailRun(t, db, append([]string{"invite", who}, relayFlags(r, r.submit, true)...)...)
			if code != 1 || !strings.Contains(errs, "address blocked after a bounce") {
				t.Errorf("%s is not blocked: exit %d %q", who, code, errs)
			}
		}
		var jobs []jobJSON
		if err := json.Unmarshal([]byte(mustRun(t, db, "mail", "queue", "--all", "--json")), &jobs); err != nil {
			t.Fatal(err)
		}
		states := map[string]string{}
		for _, j := range jobs {
			states[j.To] = j.State
		}
		if states["nobody@remote.example"] != "bounced" || states["lost@remote.example"] != "bounced" || states["grace@example.com"] != "sent" {
			t.Errorf("mail queue --all: %v", states)
		}
		assertNotBlocked(t, db, "grace", relayFlags(r, r.submit, true))
	})
}

// assertNotBlocked checks that user can be invited again (their address
// is not blocked) through the relay given by flags.
func assertNotBlocked(t *testing.T, db, user string, flags []string) {
	t.Helper()
	_, _, errs := mailRun(t, db, append([]string{"invite", user, "--no-wait"}, flags...)...)
	if strings.Contains(errs, "blocked") {
		t.Errorf("%s was blocked: %q", user, errs)
	}
}

// headerOf returns a message's header block.
func headerOf(msg []byte) string {
	if i := bytes.Index(msg, []byte("\n\n")); i >= 0 {
		return string(msg[:i])
	}
	return string(msg)
}

var saScore = regexp.MustCompile(`Content analysis details:\s+\((-?[0-9.]+) points`)

// spamCheck runs SpamAssassin (local tests only) on a message as it was
// delivered, logs every rule hit, and fails above 0.5 points.
func spamCheck(t *testing.T, msg []byte) {
	t.Helper()
	sa := e2e.Need(t, "Debian package spamassassin", "spamassassin")
	home := t.TempDir()
	cmd := exec.Command(sa, "-L", "-t")
	cmd.Stdin = bytes.NewReader(msg)
	cmd.Env = append(os.Environ(), "HOME="+home)
	out, err := cmd.Output()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok { // -t exits 1 on spam; the score decides below
			t.Fatalf("spamassassin: %v", err)
		}
	}
	m := saScore.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no score in SpamAssassin's report:\n%s", out)
	}
	i := bytes.Index(out, []byte("Content analysis details:"))
	t.Logf("SpamAssassin:\n%s", out[i:])
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	if score > 0.5 {
		t.Errorf("SpamAssassin scores the invitation %.1f; want at most 0.5", score)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sendPlain hands a message to an SMTP server on loopback, without TLS.
func sendPlain(t *testing.T, addr, from, to, msg string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("roster-test.example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.Quit()
}
