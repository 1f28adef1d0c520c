package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/password"
	"github.com/roster-dev/roster/store"
	gossh "golang.org/x/crypto/ssh"
)

// scrape reads http://addr/metrics into "name{labels}" → value.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", res.Status)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		m[line[:i]] = v
	}
	return m
}

// waitFor polls until the logs match re, and returns its first group.
func waitFor(t *testing.T, logs *webLog, re *regexp.Regexp) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not in the log:\n%s", re, logs.String())
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
	}
}

// Ensure /metrics counts exactly what was done: three invitations (two
// accepted, one bounced), binds over LDAP (one ok, two refused) and a
// search, one SSH session, and the site's requests by route and status.
func TestServeMetrics(t *testing.T) {
	db, _ := mailEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	relay := smtp.NewServer(bounceBackend{})
	go func() { _ = relay.Serve(ln) }()
	t.Cleanup(func() { relay.Close() })
	t.Setenv("ROSTER_SMTP_URL", "smtp://"+ln.Addr().String())
	t.Setenv("ROSTER_SMTP_PLAINTEXT_LOOPBACK", "true")

	mustRun(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com", "--role", "owner")
	mustRun(t, db, "users", "activate", "ada")
	for _, u := range []string{"bo:bounce@example.com", "cy:cy@example.com", "di:di@example.com"} {
		name, email, _ := strings.Cut(u, ":")
		mustRun(t, db, "users", "add", "--username", name, "--name", name, "--email", email)
	}
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	ada, err := st.FindUser(roster.LocalActor("test"), "ada")
	if err != nil {
		t.Fatal(err)
	}
	cheap := func(pw string) (string, error) {
		return password.HashWith(pw, password.Params{Time: 1, Memory: 8 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16})
	}
	hash, err := password.Approve("correct horse battery", ada.Username, ada.Email, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetPassword(roster.LocalActor("test"), ada.ID, hash); err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := gossh.NewSignerFromKey(priv)
	if code, out, errOut := cli(t, string(gossh.MarshalAuthorizedKey(signer.PublicKey())), "--db", db, "users", "keys", "add", "ada", "-"); code != 0 {
		t.Fatalf("keys add: %s %s", out, errOut)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &webLog{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--db", db, "serve", "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:0", "--ldap", "127.0.0.1:0",
			"--metrics", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, logs)
	}()
	metricsAddr := waitFor(t, logs, regexp.MustCompile(`metrics listening.* addr=(\S+)`))
	siteAddr := waitFor(t, logs, regexp.MustCompile(`invitation site listening.* addr=(\S+)`))
	ldapAddr := waitFor(t, logs, regexp.MustCompile(`directory listening.* addr=(\S+)`))
	sshAddr := waitFor(t, logs, regexp.MustCompile(`ssh listening.* addr=(\S+)`))

	before := scrape(t, metricsAddr)
	for _, name := range []string{"roster_mail_sent_total", "roster_mail_bounced_total", `roster_ldap_binds_total{result="ok"}`, "roster_ssh_sessions_total"} {
		if v, ok := before[name]; !ok || v != 0 {
			t.Errorf("before: %s = %v (present %v), want 0", name, v, ok)
		}
	}
	if before[`roster_users{status="pending"}`] != 3 || before[`roster_users{status="active"}`] != 1 {
		t.Errorf("users by status: %v", before)
	}

	// Mail: three invitations, one to an address the relay bounces.
	mustRun(t, db, "invite", "bo", "cy", "di", "--no-wait")
	var after map[string]float64
	for deadline := time.Now().Add(30 * time.Second); ; {
		after = scrape(t, metricsAddr)
		if after["roster_mail_sent_total"]+after["roster_mail_bounced_total"] >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail not sent; log:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}

	// LDAP: one good bind, two refused, one search.
	lc, err := goldap.DialURL("ldap://" + ldapAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	dn := "uid=ada,ou=people,dc=example,dc=com"
	for _, pw := range []string{"wrong", "also wrong"} {
		if err := lc.Bind(dn, pw); err == nil {
			t.Fatal("a wrong password bound")
		}
	}
	if err := lc.Bind(dn, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.Search(goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", nil, nil)); err != nil {
		t.Fatal(err)
	}

	// SSH: one session with a terminal, closed again.
	sc, err := gossh.Dial("tcp", sshAddr, &gossh.ClientConfig{User: "ada", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := sc.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := sess.StdoutPipe()
	if err := sess.RequestPty("xterm-256color", 24, 80, nil); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Read(make([]byte, 1)); err != nil { // the app drew something: the session is open
		t.Fatal(err)
	}
	if open := scrape(t, metricsAddr)["roster_ssh_sessions_open"]; open != 1 {
		t.Errorf("sessions open while one is: %v", open)
	}
	sess.Close()
	sc.Close()

	// The site: two health checks and a page that does not exist.
	for _, p := range []string{"/healthz", "/healthz", "/nope"} {
		res, err := http.Get("http://" + siteAddr + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}

	for deadline := time.Now().Add(30 * time.Second); ; {
		after = scrape(t, metricsAddr)
		if after["roster_ssh_sessions_open"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the SSH session is still counted open")
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}
	want := map[string]float64{
		"roster_mail_sent_total":                                        2,
		"roster_mail_bounced_total":                                     1,
		"roster_mail_failed_total":                                      0,
		"roster_mail_send_seconds_count":                                2,
		`roster_invitations{state="sent"}`:                              2,
		`roster_invitations{state="bounced"}`:                           1,
		"roster_outbox_jobs":                                            0,
		`roster_ldap_binds_total{result="ok"}`:                          1,
		`roster_ldap_binds_total{result="refused"}`:                     2,
		"roster_ldap_search_seconds_count":                              1,
		"roster_ssh_sessions_total":                                     1,
		`roster_http_requests_total{route="GET /healthz",status="200"}`: 2,
		`roster_http_requests_total{route="GET /",status="404"}`:        1,
		`roster_users{status="active"}`:                                 1,
		`roster_users{status="pending"}`:                                3,
	}
	for name, v := range want {
		if got, ok := after[name]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, v)
		}
	}
	if after["roster_database_size_bytes"] <= 0 {
		t.Error("no database size")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d:\n%s", code, logs.String())
	}
}

// lateDSN is a delivery status notification for job's mail to rcpt, as a
// remote server sends it back after the relay accepted the message.
func lateDSN(envid, rcpt string) string {
	return strings.ReplaceAll(`From: MAILER-DAEMON@mx.remote.example
To: roster@example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

The mail could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.remote.example
Original-Envelope-Id: `+envid+`

Final-Recipient: rfc822; `+rcpt+`
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <`+rcpt+`>: Recipient address rejected: User unknown

--b1--
`, "\n", "\r\n")
}

// Ensure a bounce that comes back by mail, read by `roster serve
// --bounce-maildir`, moves roster_mail_bounced_total like the relay's
// immediate refusals, once per message: a second report about the same
// message and a report that names no mail of Roster's do not count.
func TestServeMetricsLateBounce(t *testing.T) {
	db, _ := mailEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	relay := smtp.NewServer(bounceBackend{})
	go func() { _ = relay.Serve(ln) }()
	t.Cleanup(func() { relay.Close() })
	t.Setenv("ROSTER_SMTP_URL", "smtp://"+ln.Addr().String())
	t.Setenv("ROSTER_SMTP_PLAINTEXT_LOOPBACK", "true")

	// The relay accepts cy's invitation and bounces bo's at once.
	mustRun(t, db, "users", "add", "--username", "cy", "--name", "Cy", "--email", "cy@example.com")
	mustRun(t, db, "users", "add", "--username", "bo", "--name", "Bo", "--email", "bounce@example.com")
	if code, out, errOut := mailRun(t, db, "invite", "cy", "bo"); code != 1 {
		t.Fatalf("invite: exit %d, want 1 (one bounced)\n%s%s", code, out, errOut)
	}
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := st.OutboxJobs(roster.LocalActor("test"), store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var cyJob, boJob string
	for _, j := range jobs {
		switch j.To {
		case "cy@example.com":
			cyJob = mail.EnvelopeID(j)
		case "bounce@example.com":
			boJob = mail.EnvelopeID(j)
		}
	}
	if cyJob == "" || boJob == "" {
		t.Fatalf("jobs: %+v", jobs)
	}

	// Later, cy's mail bounces at the remote server; the report arrives
	// twice, and another reports bo's mail, which the relay refused at once.
	maildir := t.TempDir()
	for _, sub := range []string{"new", "cur", "tmp"} {
		if err := os.Mkdir(filepath.Join(maildir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, msg := range map[string]string{"1.a": lateDSN(cyJob, "cy@example.com"), "2.a": lateDSN(cyJob, "cy@example.com"),
		"3.a": lateDSN(boJob, "bounce@example.com")} {
		if err := os.WriteFile(filepath.Join(maildir, "new", name), []byte(msg), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &webLog{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--db", db, "serve", "--http", "", "--mail-worker=false",
			"--bounce-maildir", maildir, "--metrics", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, logs)
	}()
	metricsAddr := waitFor(t, logs, regexp.MustCompile(`metrics listening.* addr=(\S+)`))
	waitFor(t, logs, regexp.MustCompile(`bounces read.* (applied=\d+)`))
	got := scrape(t, metricsAddr)
	if v := got["roster_mail_bounced_total"]; v != 1 {
		t.Errorf("roster_mail_bounced_total = %v, want 1 (cy's late bounce, once)\n%s", v, logs.String())
	}
	if v := got["roster_mail_sent_total"]; v != 0 {
		t.Errorf("roster_mail_sent_total = %v, want 0", v)
	}
	if v := got[`roster_invitations{state="bounced"}`]; v != 2 {
		t.Errorf(`roster_invitations{state="bounced"} = %v, want 2`, v)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exit %d\n%s", code, logs.String())
	}
}
