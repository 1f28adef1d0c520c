package mail

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/roster-dev/roster/internal/e2e"
)

const forged = "From: Roster <roster@example.org>\r\nTo: owner@example.com\r\nSubject: Reset your password\r\n\r\n" +
	"Reset it here: https://evil.example/reset/x\r\n"

// devMailboxAddr waits for the worker's dev mailbox and returns its address.
func devMailboxAddr(t *testing.T, w *Worker) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		mb := w.mailbox
		w.mu.Unlock()
		if mb != nil {
			return mb.Addr()
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the dev mailbox did not start")
	return ""
}

// Ensure the dev mailbox takes mail from its own roster process only:
// another local client is refused without a login and with a guessed
// one, and nothing it sends reaches the mailbox, while the worker's own
// invitation does.
func TestDevMailboxRefusesOtherClients(t *testing.T) {
	db := openDB(t)
	users := addUsers(t, db, "ada@example.com")
	cfg := Config{From: "Roster <roster@example.org>", BaseURL: "https://roster.example.org"}
	w := startWorker(t, db, cfg)
	addr := devMailboxAddr(t, w)

	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("attacker.example"); err != nil {
		t.Fatal(err)
	}
	err = c.Mail("roster@example.org", nil)
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code < 500 {
		t.Fatalf("MAIL without a login: %v; want a refusal", err)
	}
	err = c.Auth(sasl.NewPlainClient("", MailboxUser, "guess"))
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 535 {
		t.Fatalf("a guessed secret: %v; want 535", err)
	}
	if err := c.Mail("roster@example.org", nil); err == nil {
		t.Fatal("MAIL accepted after a failed login")
	}

	// A real foreign client: Python's smtplib, as any local program would.
	py := e2e.Need(t, "Debian package python3", "python3")
	host, port, _ := net.SplitHostPort(addr)
	script := `import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]))
try:
    s.sendmail("roster@example.org", ["owner@example.com"], sys.argv[3])
    print("ACCEPTED")
except smtplib.SMTPException as e:
    print("REFUSED", e)
`
	out, err := exec.Command(py, "-c", script, host, port, forged).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "REFUSED") {
		t.Fatalf("python smtplib: %v\n%s", err, out)
	}
	t.Logf("python smtplib: %s", strings.TrimSpace(string(out)))

	q := invite(t, db, cfg, users)
	if c := waitDone(t, db, q.Jobs); c.Sent != 1 {
		t.Fatalf("the worker's own invitation: %+v", c)
	}
	msgs, err := db.MailboxMessages(admin, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].To[0] != "ada@example.com" {
		t.Fatalf("mailbox holds %d messages; want only the invitation to ada", len(msgs))
	}
	for _, m := range msgs {
		if strings.Contains(string(m.Raw), "evil.example") {
			t.Fatal("a forged message reached the mailbox")
		}
	}
}
