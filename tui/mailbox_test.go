package tui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// Ensure the Mailbox screen (M) lists the dev mailbox newest first with
// recipient and subject, shows the message at the cursor with its link in
// full, follows the cursor, and empties the mailbox after asking.
func TestMailboxScreen(t *testing.T) {
	db := openMailDB(t)
	ada := addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	bob := addUser(t, db, "bob", "Bob Byte", "bob@example.com")
	m, run := newMailer(t, db, "")
	run()
	for _, id := range []uint64{ada.ID, bob.ID} { // ada first: bob's is the newest
		q, err := m.Invite(testActor, []uint64{id})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Wait(context.Background(), q.Jobs, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := db.MailboxMessages(testActor, 0, false)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("mailbox: %d messages, %v", len(msgs), err)
	}
	h := startOpts(t, db, 100, 24, mailOptions(m))
	h.waitText("Ada Lovelace")
	h.keys("M")
	s := h.waitText("Mailbox", "dev mailbox", "Received", "Subject", "From     roster@localhost")
	lines := strings.Split(s, "\n")
	var rows []string
	for _, l := range lines {
		if strings.Contains(l, "@example.com") && strings.Contains(l, "invited") {
			rows = append(rows, l)
		}
	}
	if len(rows) != 2 || !strings.Contains(rows[0], "bob@example.com") || !strings.HasPrefix(rows[0], "›") {
		t.Fatalf("want bob's message first, under the cursor; rows %q", rows)
	}
	if !strings.Contains(s, "To       bob@example.com") || !strings.Contains(s, msgs[0].Link) {
		t.Fatalf("the pane does not show bob's message with its link %q:\n%s", msgs[0].Link, s)
	}
	h.keys("down")
	h.waitText("To       ada@example.com", msgs[1].Link)

	// enter reads the whole message; enter again goes back to the list.
	h.keys("enter")
	h.waitText("message 2 of 2", "Hello Ada Lovelace", "Your username is: ada", msgs[1].Link)
	h.keys("enter")
	h.waitText("Received", "To       ada@example.com")

	// A narrow terminal still shows the whole link, over several lines.
	h.tm.Send(tea.WindowSizeMsg{Width: 60, Height: 16})
	s = h.waitText("To       ada@example.com")
	if joined := strings.Join(strings.Fields(s), ""); !strings.Contains(joined, msgs[1].Link) {
		t.Fatalf("the link %q is not whole at 60 columns:\n%s", msgs[1].Link, s)
	}

	h.keys("x")
	h.waitText("Empty the mailbox (2 messages)?")
	h.keys("n")
	h.waitGone("Empty the mailbox")
	h.keys("x", "y")
	h.waitText("No mail yet", "The dev mailbox is empty")
	if msgs, err := db.MailboxMessages(testActor, 0, false); err != nil || len(msgs) != 0 {
		t.Fatalf("after clearing: %d messages, %v", len(msgs), err)
	}
	h.keys("esc")
	h.waitText("Ada Lovelace")
}

// Ensure M does nothing without the mail system.
func TestMailboxNeedsMail(t *testing.T) {
	db := mustOpenDB(t)
	addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	h := start(t, db, 100, 24)
	h.waitText("Ada Lovelace")
	h.keys("M", "?")
	s := h.waitText("all keys")
	if strings.Contains(s, "M mailbox") || strings.Contains(s, "✉") {
		t.Fatalf("the mailbox shows without the mail system:\n%s", s)
	}
}

// Ensure mail that arrives while the Mailbox screen is open shows at once.
func TestMailboxLive(t *testing.T) {
	db := openMailDB(t)
	ada := addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	m, run := newMailer(t, db, "")
	run()
	h := startOpts(t, db, 100, 24, mailOptions(m))
	h.waitText("Ada Lovelace")
	h.keys("M")
	h.waitText("No mail yet")
	if _, err := m.Invite(testActor, []uint64{ada.ID}); err != nil {
		t.Fatal(err)
	}
	h.waitText("ada@example.com", "You are invited", "/invite/")
}
