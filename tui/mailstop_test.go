package tui

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// TestMailWorkerStopped: when the mail worker stops early, the header, the
// status line and the sending progress say so instead of waiting at 0.
func TestMailWorkerStopped(t *testing.T) {
	db := openMailDB(t)
	addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	m, _ := newMailer(t, db, "") // its worker never runs
	var stopped atomic.Pointer[error]
	o := mailOptions(m)
	o.Services.MailStopped = func() error {
		if err := stopped.Load(); err != nil {
			return *err
		}
		return nil
	}
	h := startOpts(t, db, 100, 30, o)
	s := h.waitText("Ada Lovelace", "✉ dev mailbox")
	if strings.Contains(s, "mail stopped") {
		t.Fatalf("a running worker is reported stopped:\n%s", s)
	}
	h.keys("a")
	h.waitText("Actions for ada", "6  Send invitation")
	h.keys("6")
	h.waitText("Send 1 invitation?")
	h.keys("y")
	h.waitText("0 of 1 sent", "sending goes on")

	err := errors.New("dev mailbox: listen tcp 127.0.0.1:0: socket: too many open files")
	stopped.Store(&err)
	s = h.waitText("✉ mail stopped", "0 of 1 sent", "the mail stays queued")
	if strings.Contains(s, "✉ dev mailbox") {
		t.Errorf("the header still says where mail goes:\n%s", s)
	}
	box := strings.Join(strings.Fields(boxText(s)), " ")
	if !strings.Contains(box, "mail is not being sent: the mail worker stopped: dev mailbox: listen tcp 127.0.0.1:0: socket: too many open files") {
		t.Errorf("the progress does not say why:\n%s", s)
	}
	lines := strings.Split(s, "\n")
	if status := lines[len(lines)-2]; !strings.Contains(status, "✗ mail is not being sent") {
		t.Errorf("status line %q", status)
	}
	// Closing the progress keeps the header's note.
	h.keys("esc")
	h.waitGone("the mail stays queued")
	h.waitText("✉ mail stopped")
}
