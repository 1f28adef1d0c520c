package mail

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/store"
)

var admin = roster.LocalActor("tester")

func openDB(t testing.TB) *store.DB {
	t.Helper()
	return storetest.Open(t)
}

// addUsers creates a Pending user per address; the name is derived from it.
func addUsers(t testing.TB, db *store.DB, emails ...string) []*roster.User {
	t.Helper()
	in := make([]roster.NewUser, len(emails))
	for i, e := range emails {
		local := e[:strings.IndexByte(e, '@')]
		in[i] = roster.NewUser{Username: strings.ReplaceAll(local, "+", "-"), Name: "User " + local, Email: e}
	}
	users, err := db.CreateUsers(admin, in)
	if err != nil {
		t.Fatal(err)
	}
	return users
}

func ids(users []*roster.User) []uint64 {
	out := make([]uint64, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// testConfig is a configuration for a test server: plaintext to loopback,
// short timeouts and retries.
func testConfig(addr string) Config {
	return Config{
		URL: "smtp://" + addr, PlaintextLoopback: true,
		From: "Roster <roster@example.org>", BaseURL: "https://roster.example.org", OrgName: "Example Org",
		CommandTimeout: 2 * time.Second, ConnectTimeout: 2 * time.Second,
		RetryBase: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, MaxAttempts: 4,
	}
}

// startWorker runs a worker until the test ends.
func startWorker(t testing.TB, db *store.DB, cfg Config) *Worker {
	t.Helper()
	w, err := NewWorker(db, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
	return w
}

func invite(t testing.TB, db *store.DB, cfg Config, users []*roster.User) store.Queued {
	t.Helper()
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	c, err := NewComposer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	q, err := db.InviteUsers(admin, ids(users), store.MailOptions{Render: c.Render})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// waitDone polls until every job is final.
// jobOf reads one outbox job.
func jobOf(t testing.TB, db *store.DB, id uint64) *store.Job {
	t.Helper()
	jobs, err := db.Jobs(admin, []uint64{id})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("job %d: %v", id, err)
	}
	return jobs[0]
}

func waitDone(t testing.TB, db *store.DB, jobs []uint64) store.JobCounts {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := db.JobCounts(admin, jobs)
		if err != nil {
			t.Fatal(err)
		}
		if c.Pending() == 0 {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs not done in time: %+v", c)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var linkRE = regexp.MustCompile(`https://roster\.example\.org/invite/([A-Za-z0-9_-]{43})`)

// textPart decodes a message's plain-text part.
func textPart(t testing.TB, raw []byte) (gomail.Header, string) {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("no text part: %v", err)
		}
		if h, ok := p.Header.(*gomail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				return r.Header, string(b)
			}
		}
	}
}

// Ensure invitations reach the server over reused parallel connections,
// each with a working link, and that delivery is recorded.
func TestWorkerDelivers(t *testing.T) {
	db := openDB(t)
	srv := startServer(t, serverOpts{})
	var emails []string
	for i := range 40 {
		emails = append(emails, fmt.Sprintf("person%d@example.com", i))
	}
	users := addUsers(t, db, emails...)
	cfg := testConfig(srv.addr)
	q := invite(t, db, cfg, users)
	if len(q.Jobs) != 40 || len(q.Skipped) != 0 {
		t.Fatalf("queued %d, skipped %v", len(q.Jobs), q.Skipped)
	}
	startWorker(t, db, cfg)
	c := waitDone(t, db, q.Jobs)
	if c.Sent != 40 {
		t.Fatalf("counts %+v", c)
	}
	msgs := srv.messages()
	if len(msgs) != 40 {
		t.Fatalf("server got %d messages", len(msgs))
	}
	if n := srv.connections(); n > DefaultConnections {
		t.Errorf("%d connections for 40 messages; want at most %d (reuse)", n, DefaultConnections)
	}
	for _, m := range msgs {
		// No DSN offered: the return path names the job (VERP).
		if !strings.HasPrefix(m.From, "roster+roster-") || !strings.HasSuffix(m.From, "@example.org") || jobFromTag(m.From).id == 0 || len(jobFromTag(m.From).key) != 16 {
			t.Errorf("envelope from %q; want roster+roster-JOB-KEY@example.org", m.From)
		}
		_, text := textPart(t, m.Data)
		match := linkRE.FindStringSubmatch(text)
		if match == nil {
			t.Fatalf("no link in %q", text)
		}
		_, u, err := db.LookupToken(match[1])
		if err != nil || u.Email != m.To {
			t.Errorf("link for %s: user %v, err %v", m.To, u, err)
		}
	}
	for _, u := range users {
		got, _ := db.User(admin, u.ID)
		if got.Delivery != roster.DeliverySent || got.InvitedAt.IsZero() || got.InviteExpires.IsZero() {
			t.Errorf("%s: delivery %s invited %v expires %v", got.Username, got.Delivery, got.InvitedAt, got.InviteExpires)
		}
	}
}

// Ensure each fault ends as it should: 451 retried then sent, 550 5.1.1 and
// a bare 550 at RCPT and 552 5.2.2 at DATA bounced with the server's words
// and the address blocked, 554 5.4.4 failed without blocking,
// a connection dropped mid-DATA retried, a stalled server timed out and
// given up after MaxAttempts.
func TestWorkerFaults(t *testing.T) {
	db := openDB(t)
	srv := startServer(t, serverOpts{})
	users := addUsers(t, db, "tempfail@example.com", "bounce@example.com", "databounce@example.com",
		"drop@example.com", "stall@example.com", "fine@example.com", "bare@example.com", "routing@example.com")
	cfg := testConfig(srv.addr)
	cfg.CommandTimeout = 300 * time.Millisecond
	cfg.MaxAttempts = 3
	cfg.Connections = 2
	q := invite(t, db, cfg, users)
	startWorker(t, db, cfg)
	c := waitDone(t, db, q.Jobs)
	if c.Sent != 3 || c.Bounced != 3 || c.Failed != 2 {
		for _, u := range users {
			got, _ := db.User(admin, u.ID)
			t.Logf("%s: %s %q", got.Username, got.Delivery, got.DeliveryDetail)
		}
		t.Fatalf("counts %+v; want 3 sent, 3 bounced, 2 failed", c)
	}
	want := map[string]struct {
		state      roster.DeliveryState
		detail     string
		suppressed bool
	}{
		"tempfail":   {roster.DeliverySent, "", false},
		"bounce":     {roster.DeliveryBounced, "RCPT TO: 550 5.1.1 No such user here", true},
		"databounce": {roster.DeliveryBounced, "DATA: 552 5.2.2 Mailbox full", true},
		"bare":       {roster.DeliveryBounced, "RCPT TO: 550 5.0.0 unknown user", true},
		"routing":    {roster.DeliveryFailed, "RCPT TO: 554 5.4.4 Unable to route", false},
		"drop":       {roster.DeliverySent, "", false},
		"stall":      {roster.DeliveryFailed, "gave up after 3 attempts", false},
		"fine":       {roster.DeliverySent, "", false},
	}
	for _, u := range users {
		got, _ := db.User(admin, u.ID)
		w := want[got.Username]
		if got.Delivery != w.state || !strings.Contains(got.DeliveryDetail, w.detail) || got.Suppressed != w.suppressed {
			t.Errorf("%s: %s %q suppressed=%v; want %s %q suppressed=%v", got.Username, got.Delivery, got.DeliveryDetail, got.Suppressed,
				w.state, w.detail, w.suppressed)
		}
	}
	jobs, _ := db.Jobs(admin, q.Jobs)
	for _, j := range jobs {
		if j.To == "tempfail@example.com" && j.Attempts != 3 {
			t.Errorf("tempfail took %d attempts; want 3 (two 451s)", j.Attempts)
		}
	}
	got := map[string]int{}
	for _, m := range srv.messages() {
		got[m.To]++
	}
	if got["tempfail@example.com"] != 1 || got["drop@example.com"] != 1 || got["fine@example.com"] != 1 || len(got) != 3 {
		t.Errorf("server received %v", got)
	}

	// A blocked address is refused until unblocked.
	bounced, _ := db.FindUser(admin, "bounce@example.com")
	q2 := invite(t, db, cfg, []*roster.User{bounced})
	if len(q2.Jobs) != 0 || len(q2.Skipped) != 1 || q2.Skipped[0].Reason != store.SkipSuppressed {
		t.Fatalf("invite of a blocked address: %+v", q2)
	}
	res, err := db.UnblockMail(admin, []uint64{bounced.ID})
	if err != nil || len(res.Changed) != 1 {
		t.Fatalf("unblock: %+v %v", res, err)
	}
	if q3 := invite(t, db, cfg, []*roster.User{bounced}); len(q3.Jobs) != 1 {
		t.Fatalf("invite after unblock: %+v", q3)
	}
}

// Ensure STARTTLS with AUTH PLAIN and AUTH LOGIN delivers over TLS with
// the CA file trusted, and a wrong password fails without retrying.
func TestStartTLSAuth(t *testing.T) {
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			db := openDB(t)
			tlsCfg, caFile := testCert(t)
			srv := startServer(t, serverOpts{tls: tlsCfg, user: "mailer", password: "s3cret pass", mechanism: []string{mech}})
			users := addUsers(t, db, "ada@example.com", "grace@example.com")
			cfg := testConfig(srv.addr)
			cfg.URL = "smtp://mailer@" + srv.addr
			cfg.PlaintextLoopback = false
			cfg.Password = "s3cret pass"
			cfg.CAFile = caFile
			q := invite(t, db, cfg, users)
			startWorker(t, db, cfg)
			if c := waitDone(t, db, q.Jobs); c.Sent != 2 {
				t.Fatalf("counts %+v", c)
			}
			for _, m := range srv.messages() {
				if !m.TLS || m.AuthUser != "mailer" || m.AuthMech != mech {
					t.Errorf("message to %s: tls=%v auth=%q mech=%q", m.To, m.TLS, m.AuthUser, m.AuthMech)
				}
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		db := openDB(t)
		tlsCfg, caFile := testCert(t)
		srv := startServer(t, serverOpts{tls: tlsCfg, user: "mailer", password: "right"})
		var emails []string
		for i := range 40 {
			emails = append(emails, fmt.Sprintf("person%d@example.com", i))
		}
		users := addUsers(t, db, emails...)
		cfg := testConfig(srv.addr)
		cfg.URL, cfg.PlaintextLoopback, cfg.Password, cfg.CAFile = "smtp://mailer@"+srv.addr, false, "wrong", caFile
		q := invite(t, db, cfg, users)
		startWorker(t, db, cfg)
		c := waitDone(t, db, q.Jobs)
		u, _ := db.User(admin, users[0].ID)
		if c.Failed != 40 || !strings.Contains(u.DeliveryDetail, "535") || srv.count() != 0 {
			t.Fatalf("counts %+v, detail %q, server got %d", c, u.DeliveryDetail, srv.count())
		}
		srv.mu.Lock()
		auths := srv.auths
		srv.mu.Unlock()
		if auths != 1 {
			t.Errorf("%d failed logins for a batch of 40; want 1", auths)
		}
		for _, u := range users {
			got, _ := db.User(admin, u.ID)
			if !SettingsProblem(got.DeliveryDetail) || got.Suppressed {
				t.Errorf("%s: %q suppressed=%v; want a settings problem, not blocked", got.Email, got.DeliveryDetail, got.Suppressed)
			}
		}
	})
}

// Ensure smtps:// (implicit TLS) verifies the certificate: with the CA
// file it delivers, without it the job fails as a configuration error.
func TestImplicitTLS(t *testing.T) {
	tlsCfg, caFile := testCert(t)
	srv := startServer(t, serverOpts{tls: tlsCfg, implicit: true, user: "mailer", password: "pw"})
	for _, trust := range []bool{true, false} {
		db := openDB(t)
		users := addUsers(t, db, "ada@example.com")
		cfg := testConfig(srv.addr)
		cfg.URL, cfg.PlaintextLoopback, cfg.Password = "smtps://mailer@"+srv.addr, false, "pw"
		if trust {
			cfg.CAFile = caFile
		}
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
		if trust && c.Sent != 1 {
			t.Errorf("trusted: counts %+v detail %q", c, u.DeliveryDetail)
		}
		if !trust && (c.Failed != 1 || !strings.Contains(u.DeliveryDetail, "certificate")) {
			t.Errorf("untrusted: counts %+v detail %q", c, u.DeliveryDetail)
		}
	}
	if srv.count() != 1 {
		t.Errorf("server got %d messages; want 1", srv.count())
	}
}

// Ensure a server that offers no STARTTLS gets neither credentials nor
// mail when credentials are configured, even if it would take AUTH in
// plaintext.
func TestRefusePlaintextWithCredentials(t *testing.T) {
	db := openDB(t)
	srv := startServer(t, serverOpts{user: "mailer", password: "pw", insecure: true})
	users := addUsers(t, db, "ada@example.com")
	cfg := testConfig(srv.addr)
	cfg.URL, cfg.Password = "smtp://mailer@"+srv.addr, "pw"
	cfg.PlaintextLoopback = true // even so: credentials need TLS
	q := invite(t, db, cfg, users)
	startWorker(t, db, cfg)
	c := waitDone(t, db, q.Jobs)
	u, _ := db.User(admin, users[0].ID)
	if c.Failed != 1 || !strings.Contains(u.DeliveryDetail, "STARTTLS") {
		t.Fatalf("counts %+v detail %q", c, u.DeliveryDetail)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.auths != 0 || len(srv.msgs) != 0 {
		t.Fatalf("server saw %d AUTH and %d messages", srv.auths, len(srv.msgs))
	}
}

// Ensure plaintext is refused for a server that is not on loopback even
// with the loopback option (no network needed: refused before dialing).
func TestPlaintextOnlyLoopback(t *testing.T) {
	s, err := ParseServerURL("smtp://mail.example.com:25")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{PlaintextLoopback: true}
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	d, err := newDialer(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	if d.plaintext {
		t.Fatal("plaintext allowed to a remote host")
	}
	if _, err := ParseServerURL("smtp://user:pw@mail.example.com"); err == nil || strings.Contains(err.Error(), "pw") {
		t.Fatalf("password in URL: %v", err)
	}
}

// Ensure a policy refusal at RCPT (554 5.7.1: the relay refuses Roster,
// not the recipient) fails the batch without trying the rest and blocks
// nobody.
func TestPolicyRefusalStopsBatch(t *testing.T) {
	db := openDB(t)
	srv := startServer(t, serverOpts{})
	var emails []string
	for i := range 30 {
		emails = append(emails, fmt.Sprintf("policy%d@example.com", i))
	}
	users := addUsers(t, db, emails...)
	cfg := testConfig(srv.addr)
	q := invite(t, db, cfg, users)
	startWorker(t, db, cfg)
	c := waitDone(t, db, q.Jobs)
	if c.Failed != 30 || c.Bounced != 0 {
		t.Fatalf("counts %+v; want 30 failed, none bounced", c)
	}
	for _, u := range users {
		got, _ := db.User(admin, u.ID)
		if got.Suppressed || got.Delivery != roster.DeliveryFailed || !SettingsProblem(got.DeliveryDetail) || !strings.Contains(got.DeliveryDetail, "5.7.1") {
			t.Errorf("%s: %s %q suppressed=%v", got.Email, got.Delivery, got.DeliveryDetail, got.Suppressed)
		}
	}
	if n := srv.rcpts(); n > DefaultConnections {
		t.Errorf("the relay saw %d recipients after refusing the first; want at most one per connection (%d)", n, DefaultConnections)
	}
}

// Ensure a relay that offers DSN gets the plain bounce address with
// RET=HDRS (a bounce returns headers only, never the link) and ENVID
// naming the job.
func TestReturnPathWithDSN(t *testing.T) {
	db := openDB(t)
	srv := startServer(t, serverOpts{dsn: true})
	users := addUsers(t, db, "ada@example.com")
	cfg := testConfig(srv.addr)
	cfg.BounceAddress = "bounces@example.org"
	q := invite(t, db, cfg, users)
	startWorker(t, db, cfg)
	if c := waitDone(t, db, q.Jobs); c.Sent != 1 {
		t.Fatalf("counts %+v", c)
	}
	m := srv.messages()[0]
	want := EnvelopeID(jobOf(t, db, q.Jobs[0]))
	if m.From != "bounces@example.org" || m.Ret != "HDRS" || m.EnvID != want {
		t.Errorf("MAIL FROM:<%s> RET=%s ENVID=%s; want bounces@example.org, HDRS, %s", m.From, m.Ret, m.EnvID, want)
	}
}
