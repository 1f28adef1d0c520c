package tui

import (
	"context"
	"io"
	"log"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
)

// newMailer builds a real mailer for db (the dev mailbox when smtpURL is
// ""); its worker runs only once run is called, so a test can look at the
// progress before anything is sent.
func newMailer(t *testing.T, db *store.DB, smtpURL string) (m *mail.Mailer, run func()) {
	t.Helper()
	cfg := mail.Config{URL: smtpURL, BaseURL: "http://127.0.0.1:9", PlaintextLoopback: smtpURL != "", MaxAttempts: 1}
	m, err := mail.New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	return m, func() {
		once.Do(func() {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- m.Run(ctx) }()
			t.Cleanup(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("mail worker: %v", err)
				}
			})
		})
	}
}

// openMailDB opens a fresh database on the real clock: the mail worker
// schedules by the wall clock.
func openMailDB(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.Open(t)
	return db
}

func mailOptions(m *mail.Mailer) Options {
	return Options{Services: Services{Mail: m, Site: "http://127.0.0.1:9"}}
}

// Ensure inviting a selection confirms with the count and every skipped
// user's reason, shows progress while the worker has not sent, then a
// summary; the store and the dev mailbox hold the invitations afterwards.
func TestInviteConfirmProgressSummary(t *testing.T) {
	db := openMailDB(t)
	addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	addUser(t, db, "bob", "Bob Byte", "bob@example.com")
	carl := addUser(t, db, "carl", "Carl Core", "carl@example.com")
	dora := addUser(t, db, "dora", "Dora Disk", "dora@example.com")
	setStatus(t, db, roster.StatusActive, carl)
	setStatus(t, db, roster.StatusDisabled, dora)
	m, run := newMailer(t, db, "")
	h := startOpts(t, db, 100, 30, mailOptions(m))
	h.waitText("Ada Lovelace", "✉ dev mailbox", "site 127.0.0.1:9", "no backup yet")

	h.keys("ctrl+a", "a")
	s := h.waitText("Actions for 4 users", "Send invitation", "Send password reset")
	// What does not apply shows disabled, with the reason; what does, with its count.
	for _, want := range []string{"Send invitation (2)", "Send password reset (1)", "Set-password link — for one user at a time", "Unblock mail — mail is not blocked"} {
		if !strings.Contains(s, want) {
			t.Fatalf("menu lacks %q:\n%s", want, s)
		}
	}
	h.keys("6")
	s = h.waitText("Send 2 invitations?", "Mail goes to: dev mailbox", "Skipped: 2 users")
	box := boxText(s)
	for _, want := range []string{"1 already active: carl", "1 disabled: dora"} {
		if !strings.Contains(box, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, box)
		}
	}
	h.keys("y")
	// The worker is not running yet: the bar waits at nothing sent.
	h.waitText("Send 2 invitations", "0 of 2 sent", "esc closes this; sending goes on")
	run()
	s = h.waitText("4 users: 2 invitations sent, 2 skipped")
	box = boxText(s)
	for _, want := range []string{"1 skipped, already active: carl", "1 skipped, disabled: dora", "read the mail with M"} {
		if !strings.Contains(box, want) {
			t.Errorf("summary lacks %q:\n%s", want, box)
		}
	}
	h.keys("enter")
	h.waitText("✓ 4 users: 2 invitations sent, 2 skipped")

	for _, name := range []string{"ada", "bob"} {
		u := h.user(name)
		if u.Delivery != roster.DeliverySent || u.InvitedAt.IsZero() {
			t.Errorf("%s: delivery %q, invited at %v; want sent", name, u.Delivery, u.InvitedAt)
		}
	}
	if u := h.user("carl"); !u.InvitedAt.IsZero() {
		t.Errorf("carl was active and still invited")
	}
	msgs, err := db.MailboxMessages(testActor, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("dev mailbox holds %d messages, want 2", len(msgs))
	}
	// The rows show the state, and the menu offers a re-send now.
	h.waitFor("sent states", func(s string) bool { return strings.Count(s, "✉ sent") == 2 })
	h.keys("esc", "a")
	h.waitText("Re-send invitation")
	h.keys("esc")
	h.waitGone("Re-send invitation")
}

// Ensure the invitation filter (i) shows only the rows in each state.
func TestInvitationFilter(t *testing.T) {
	db := openMailDB(t)
	ada := addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	addUser(t, db, "bob", "Bob Byte", "bob@example.com")
	m, run := newMailer(t, db, "")
	run()
	q, err := m.Invite(testActor, []uint64{ada.ID})
	if err != nil || len(q.Jobs) != 1 {
		t.Fatalf("invite: %v %+v", err, q)
	}
	if _, err := m.Wait(context.Background(), q.Jobs, 0, nil); err != nil {
		t.Fatal(err)
	}
	h := startOpts(t, db, 60, 16, mailOptions(m))
	// No Latest column at 60: the Status column still says the status
	// (issue 16 bug 10); i filters by the invitation's state.
	s := h.waitText("Ada Lovelace", "pending")
	if strings.Contains(s, "✉sent") {
		t.Fatalf("the status column shows the invitation:\n%s", s)
	}
	h.keys("i") // queued
	h.waitText("invitation: queued", "No users match")
	h.keys("i") // sent
	s = h.waitText("invitation: sent", "1 shown")
	if rows := listRows(s); len(rows) != 1 || !strings.Contains(rows[0], "ada") {
		t.Fatalf("sent filter rows: %q", rows)
	}
	h.keys("i", "i", "i", "i") // failed, bounced, expired, none
	s = h.waitText("invitation: none", "1 shown")
	if rows := listRows(s); len(rows) != 1 || !strings.Contains(rows[0], "bob") {
		t.Fatalf("none filter rows: %q", rows)
	}
	h.keys("esc")
	h.waitText("2 shown")
}

// bouncer is an SMTP server that refuses RCPT to addresses starting with
// "bounce" with 550 and takes everything else.
func bouncer(t *testing.T) string {
	t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &bounceSession{}, nil }))
	srv.Domain = "test.local"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return "smtp://" + ln.Addr().String()
}

type bounceSession struct{}

func (*bounceSession) Reset()                               {}
func (*bounceSession) Logout() error                        { return nil }
func (*bounceSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*bounceSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }
func (*bounceSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "bounce") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	return nil
}

// Ensure a bounce shows in the summary with the server's words, the row
// shows it, and Unblock mail clears the block in the store.
func TestInviteBounceAndUnblock(t *testing.T) {
	db := openMailDB(t)
	addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	addUser(t, db, "bea", "Bea Bounce", "bounce@example.com")
	m, run := newMailer(t, db, bouncer(t))
	run()
	h := startOpts(t, db, 100, 30, mailOptions(m))
	h.waitText("Ada Lovelace", "✉ smtp://127.0.0.1:")
	h.keys("ctrl+a", "a")
	h.waitText("Actions for 2 users")
	h.keys("6")
	h.waitText("Send 2 invitations?")
	h.keys("y")
	s := h.waitText("2 users: 1 invitation sent, 1 bounced")
	t.Logf("summary:\n%s", s)
	if box := boxText(s); !strings.Contains(box, "bounced bounce@example.com:") || !strings.Contains(box, "550 5.1.1 No such user here") {
		t.Fatalf("summary lacks the bounce's reason:\n%s", box)
	}
	h.keys("enter")
	h.waitText("✗ 2 users: 1 invitation sent, 1 bounced")
	if u := h.user("bea"); !u.Suppressed {
		t.Fatal("bea's address is not blocked after the bounce")
	}
	h.waitText("✉ bounced")

	// A new invitation to bea is refused, and says why.
	h.keys("esc", "down", "a")
	h.waitText("Actions for bea", "Unblock mail", "Send invitation — address blocked after a bounce")
	h.keys("6") // disabled: nothing happens
	s = h.waitText("›  6  Send invitation")
	n := menuNumber(t, s, "Unblock mail")
	h.keys(n)
	h.waitText("1 unblocked")
	if u := h.user("bea"); u.Suppressed {
		t.Fatal("bea is still blocked after Unblock mail")
	}
}

// menuNumber returns the digit the actions menu shows before label.
func menuNumber(t *testing.T, s, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(\d+)  ` + regexp.QuoteMeta(label)).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %q in the menu:\n%s", label, s)
	}
	return m[1]
}

// Ensure the set-password link is made for one user, shown once in full,
// and works: the store knows its token.
func TestSetPasswordLink(t *testing.T) {
	db := openMailDB(t)
	ada := addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	m, _ := newMailer(t, db, "")
	h := startOpts(t, db, 60, 24, mailOptions(m))
	h.waitText("Ada Lovelace")
	h.keys("a")
	s := h.waitText("Actions for ada", "Set-password link")
	h.keys(menuNumber(t, s, "Set-password link"))
	h.waitText("Make a set-password link for ada?")
	h.keys("y")
	s = h.waitText("One-time link for ada", "Shown only now")
	// The link is cut into lines of the dialog's width: join them.
	var link strings.Builder
	for _, l := range strings.Split(boxText(s), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "http://127.0.0.1:9/invite/") || (link.Len() > 0 && l != "" && !strings.Contains(l, " ")) {
			link.WriteString(l)
		} else if link.Len() > 0 {
			break
		}
	}
	raw := strings.TrimPrefix(link.String(), "http://127.0.0.1:9/invite/")
	tok, u, err := db.LookupToken(raw)
	if err != nil {
		t.Fatalf("the link shown (%q) is not a live token: %v", link.String(), err)
	}
	if u.ID != ada.ID || tok.Purpose != roster.TokenInvite {
		t.Fatalf("token for user %d purpose %v; want ada's invitation", u.ID, tok.Purpose)
	}
	h.keys("enter")
	h.waitText("✓ Set-password link made for ada")
	h.waitGone("Shown only now")
}

// Ensure the header warns when there is no backup or the last one is older
// than the schedule's interval, and says when it was made otherwise.
func TestHeaderBackup(t *testing.T) {
	db := mustOpenDB(t) // backups are made at testClock; the app's clock is an hour later
	addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	m, _ := newMailer(t, db, "")
	h := startOpts(t, db, 100, 24, mailOptions(m))
	h.waitText("⚠ no backup yet")
	if _, err := db.Backup(testActor, store.BackupOptions{Dest: t.TempDir() + "/"}); err != nil {
		t.Fatal(err)
	}
	s := h.waitText("backup 1h ago")
	if strings.Contains(s, "⚠") {
		t.Fatalf("a backup an hour old warns with the default interval:\n%s", s)
	}
	if _, err := db.Backup(testActor, store.BackupOptions{Dest: t.TempDir() + "/", Every: 30 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	h.waitText("⚠ backup 1h ago")
}
