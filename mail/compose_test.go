package mail

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

func testComposer(t testing.TB, cfg Config) *Composer {
	t.Helper()
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	c, err := NewComposer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Now = func() time.Time { return time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC) }
	return c
}

// headerLines returns the raw header block's unfolded lines.
func headerLines(raw []byte) []string {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	var lines []string
	for _, l := range strings.Split(string(head), "\r\n") {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(lines) > 0 {
			lines[len(lines)-1] += l
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

// Ensure names and subjects with CR/LF or non-ASCII characters cannot
// inject headers and are encoded, and that the message carries the link,
// username, inviter and exact expiry.
func TestComposeHeadersAndBody(t *testing.T) {
	c := testComposer(t, Config{From: "Roster Admin <roster@example.org>", BaseURL: "https://roster.example.org/",
		OrgName: "Ünïcode Org\r\nBcc: org@evil.example", TTL: 24 * time.Hour})
	u := &roster.User{Username: "zoe", Name: "Zoë Ñandú\r\nBcc: victim@evil.example", Email: "zoe@example.com"}
	expires := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	token := "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd"
	raw, err := c.Render(store.MailContent{Kind: store.MailInvite, User: u, Token: token, Expires: expires, InviterName: "Grace Hopper"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("\n")) && bytes.Count(raw, []byte("\n")) != bytes.Count(raw, []byte("\r\n")) {
		t.Error("message has bare LF line endings")
	}
	counts := map[string]int{}
	for _, l := range headerLines(raw) {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Errorf("malformed header line %q", l)
			continue
		}
		counts[strings.ToLower(name)]++
		for _, r := range value {
			if r > 127 {
				t.Errorf("non-ASCII in header %q", l)
				break
			}
		}
		if strings.EqualFold(name, "Subject") && !strings.Contains(value, "=?utf-8?") {
			t.Errorf("subject not encoded: %q", l)
		}
		if strings.EqualFold(name, "To") && !strings.Contains(value, "<zoe@example.com>") {
			t.Errorf("To: %q", l)
		}
	}
	for _, h := range []string{"from", "to", "subject", "date", "message-id", "mime-version", "content-type"} {
		if counts[h] != 1 {
			t.Errorf("header %s appears %d times", h, counts[h])
		}
	}
	if counts["bcc"] != 0 {
		t.Error("a Bcc header was injected")
	}
	h, text := textPart(t, raw)
	if ct, _, _ := h.ContentType(); ct != "multipart/alternative" {
		t.Errorf("content type %q", ct)
	}
	if subj, _ := h.Subject(); subj != "You are invited to Ünïcode Org\r\nBcc: org@evil.example" {
		t.Errorf("decoded subject %q", subj)
	}
	if to, _ := h.AddressList("To"); len(to) != 1 || to[0].Name != u.Name {
		t.Errorf("decoded To %+v", to)
	}
	if id, _ := h.MessageID(); !strings.HasSuffix(id, "@example.org") {
		t.Errorf("Message-ID %q", id)
	}
	for _, want := range []string{
		"https://roster.example.org/invite/" + token + "\n",
		"Your username is: zoe",
		"Grace Hopper has invited you",
		"Wednesday, 25 November 2026, 10:00 UTC",
		"24 hours",
		"If it has expired",
	} {
		if !strings.Contains(strings.ReplaceAll(text, "\r\n", "\n"), want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	if !bytes.Contains(raw, []byte("Content-Type: text/html")) {
		t.Error("no HTML part")
	}
}

// Ensure a template file in the config folder replaces the embedded one,
// and a broken one is refused at start.
func TestTemplateOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "invite.txt"), []byte(`{{define "subject"}}Join {{.Org}}{{end}}Hi {{.Name}}: {{.Link}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := testComposer(t, Config{TemplateDir: dir, OrgName: "Acme"})
	raw, err := c.Render(store.MailContent{Kind: store.MailInvite, User: &roster.User{Name: "Ada", Email: "ada@example.com"}, Token: "tok", Expires: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	h, text := textPart(t, raw)
	if s, _ := h.Subject(); s != "Join Acme" || text != "Hi Ada: http://127.0.0.1:8080/invite/tok" {
		t.Fatalf("subject %q text %q", s, text)
	}
	if err := os.WriteFile(filepath.Join(dir, "reset.txt"), []byte(`{{.Nope}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{TemplateDir: dir}
	_ = cfg.Normalize()
	if _, err := NewComposer(cfg); err == nil {
		t.Fatal("broken override accepted")
	}
}

// Ensure the dev mailbox stores what it receives, with subject and link,
// when no SMTP server is configured.
func TestDevMailbox(t *testing.T) {
	db := openDB(t)
	users := addUsers(t, db, "ada@example.com")
	cfg := Config{BaseURL: "https://roster.example.org"}
	q := invite(t, db, cfg, users)
	w := startWorker(t, db, cfg)
	if !w.DevMailbox() || w.Mode() != "dev mailbox" {
		t.Fatalf("mode %q", w.Mode())
	}
	if c := waitDone(t, db, q.Jobs); c.Sent != 1 {
		t.Fatalf("counts %+v", c)
	}
	msgs, err := db.MailboxMessages(admin, 0, true)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("mailbox %v %v", msgs, err)
	}
	m := msgs[0]
	match := linkRE.FindStringSubmatch(m.Link)
	if match == nil || m.Subject != "You are invited to Roster" || len(m.To) != 1 || m.To[0] != "ada@example.com" || len(m.Raw) == 0 {
		t.Fatalf("mailbox message %+v", m)
	}
	if _, u, err := db.LookupToken(match[1]); err != nil || u.ID != users[0].ID {
		t.Fatalf("mailbox link: %v %v", u, err)
	}
}

// Ensure a server that refuses the repeated EHLO go-smtp sends after RSET
// costs a reconnection, not a message: after a 550 the session is dropped
// and the next message goes through on a new connection.
func TestDuplicateEHLORefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	delivered := make(chan string, 10)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go strictServer(conn, delivered)
		}
	}()
	db := openDB(t)
	users := addUsers(t, db, "bounce@example.com", "ada@example.com", "grace@example.com")
	cfg := testConfig(ln.Addr().String())
	cfg.Connections = 1
	q := invite(t, db, cfg, users)
	startWorker(t, db, cfg)
	c := waitDone(t, db, q.Jobs)
	if c.Sent != 2 || c.Bounced != 1 {
		t.Fatalf("counts %+v", c)
	}
	if len(delivered) != 2 {
		t.Fatalf("delivered %d", len(delivered))
	}
}

// strictServer is a minimal SMTP server of a different make than go-smtp:
// it answers a second EHLO on a connection with 503 and bounces bounce@….
func strictServer(conn net.Conn, delivered chan<- string) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(s string) { _, _ = conn.Write([]byte(s + "\r\n")) }
	say("220 strict.test ESMTP")
	helloed, rcpt := false, ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			if helloed {
				say("503 5.5.1 Duplicate HELO/EHLO")
				continue
			}
			helloed = true
			say("250-strict.test\r\n250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			say("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			if strings.Contains(cmd, "BOUNCE@") {
				say("550 5.1.1 unknown user")
				continue
			}
			rcpt = strings.TrimSpace(line[len("RCPT TO:"):])
			say("250 OK")
		case cmd == "DATA":
			say("354 go ahead")
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			delivered <- rcpt
			say("250 queued")
		case cmd == "RSET":
			say("250 OK")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

// Ensure the worker stops cleanly and gives back claimed jobs it did not start.
func TestWorkerStopReleases(t *testing.T) {
	db := openDB(t)
	srv := startServer(t, serverOpts{})
	var emails []string
	for i := range 30 {
		emails = append(emails, "p"+string(rune('a'+i%26))+strings.Repeat("x", i/26)+"@example.com")
	}
	users := addUsers(t, db, emails...)
	cfg := testConfig(srv.addr)
	cfg.Rate = 20 // slow, so most jobs are still claimed when we stop
	q := invite(t, db, cfg, users)
	w, err := NewWorker(db, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for srv.count() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// The loop also ends at the deadline: a worker that sent nothing must
	// fail here, not pass with every job still queued.
	if n := srv.count(); n < 2 {
		cancel()
		t.Fatalf("the worker sent %d mails in 20 s, want at least 2 before stopping it", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c, _ := db.JobCounts(admin, q.Jobs)
	// Stopped mid-way: some sent, the rest queued again (none left leased).
	if c.Sending != 0 || c.Sent != srv.count() || c.Sent+c.Queued != 30 || c.Queued == 0 {
		t.Fatalf("after stop: %+v, server got %d", c, srv.count())
	}
}

// Ensure the password never shows when a configuration is printed or logged.
func TestConfigHidesPassword(t *testing.T) {
	c := Config{URL: "smtp://u@h", Password: "hunter2"}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("config", "cfg", c)
	if s := fmt.Sprint(c) + fmt.Sprintf("%v %+v %s", c, c, c) + buf.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "[redacted]") {
		t.Fatalf("printed %q", s)
	}
}

// Ensure an internationalised address goes out with SMTPUTF8 when the
// server offers it, and fails with the reason (no retry) when it does not.
func TestInternationalAddress(t *testing.T) {
	for _, offer := range []bool{true, false} {
		db := openDB(t)
		srv := startServer(t, serverOpts{utf8: offer})
		users, err := db.CreateUsers(admin, []roster.NewUser{{Username: "zoe", Name: "Zoë", Email: "zoë@exämple.com"}})
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(srv.addr)
		q := invite(t, db, cfg, users)
		w, err := NewWorker(db, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		c := waitDone(t, db, q.Jobs)
		cancel()
		<-done
		u, _ := db.User(admin, users[0].ID)
		if offer && srv.count() == 1 {
			if _, text := textPart(t, srv.messages()[0].Data); !strings.Contains(text, "Hello Zoë") {
				t.Errorf("text %q", text)
			}
		}
		if offer && (c.Sent != 1 || srv.count() != 1 || srv.messages()[0].To != "zoë@exämple.com") {
			t.Errorf("with SMTPUTF8: %+v %q", c, u.DeliveryDetail)
		}
		if !offer && (c.Failed != 1 || !strings.Contains(u.DeliveryDetail, "SMTPUTF8") || srv.count() != 0) {
			t.Errorf("without SMTPUTF8: %+v %q", c, u.DeliveryDetail)
		}
	}
}

// Ensure the rate limit spaces messages across senders, and does not save
// up idle time for a burst.
func TestPacer(t *testing.T) {
	p := &pacer{interval: 100 * time.Millisecond}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if got := p.reserve(t0); !got.Equal(t0.Add(time.Duration(i) * 100 * time.Millisecond)) {
			t.Fatalf("slot %d at %v", i, got.Sub(t0))
		}
	}
	later := t0.Add(time.Hour)
	if got := p.reserve(later); !got.Equal(later) {
		t.Fatalf("after idle: %v", got.Sub(later))
	}
	if got := p.reserve(later); !got.Equal(later.Add(100 * time.Millisecond)) {
		t.Fatalf("no burst after idle: %v", got.Sub(later))
	}
	var none *pacer
	if err := none.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Ensure an invitation to a person invited by e-mail alone (no name yet)
// greets them without a gap and addresses the bare mailbox.
func TestComposeWithoutName(t *testing.T) {
	c := testComposer(t, Config{From: "roster@example.org", BaseURL: "https://roster.example.org/", OrgName: "Org", TTL: time.Hour})
	u := &roster.User{Username: "bob", Email: "bob@example.com"}
	for _, kind := range []store.MailKind{store.MailInvite, store.MailReset} {
		raw, err := c.Render(store.MailContent{Kind: kind, User: u, Token: "tok", Expires: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		h, text := textPart(t, raw)
		if !strings.HasPrefix(text, "Hello,") || strings.Contains(text, "Hello ,") {
			t.Errorf("%v greeting: %q", kind, text[:min(len(text), 40)])
		}
		if to, _ := h.AddressList("To"); len(to) != 1 || to[0].Name != "" || to[0].Address != "bob@example.com" {
			t.Errorf("%v To %+v", kind, to)
		}
		if bytes.Contains(raw, []byte("Hello ,")) {
			t.Errorf("%v: the HTML part greets with a gap", kind)
		}
	}
}
