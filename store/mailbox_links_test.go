package store

import (
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
)

// addLinkMail puts a reset mail with a live link for u into the dev
// mailbox, as the mail worker would, and returns the raw token.
func addLinkMail(t *testing.T, db *DB, u *roster.User) string {
	t.Helper()
	raw := mustLink(t, db, u, roster.TokenReset)
	link := "http://127.0.0.1:8080/reset/" + raw
	err := db.AddMailboxMessages([]*MailboxMessage{{
		ReceivedAt: time.Now(), From: "roster@example.com", To: []string{u.Email},
		Subject: "Reset your password", Link: link, Text: "Open " + link + " to set a password.",
		Raw: []byte("Subject: Reset your password\r\n\r\nOpen " + link + "\r\n"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Ensure the attack of issue 13 (break 1) fails: an admin cannot read the
// dev mailbox, where the owner's reset link waits; the owner can, and
// reading someone else's live link is audited.
func TestMailboxLinksAreSecrets(t *testing.T) {
	c := newPowerCast(t)
	raw := addLinkMail(t, c.db, c.olga)

	_, err := c.db.MailboxMessages(c.admin, 0, true)
	wantForbidden(t, "admin reads the mailbox", err, "needs the owner role")
	_, err = c.db.MailboxFor(c.admin, c.olga.Email, 0)
	wantForbidden(t, "admin reads the owner's mail", err, "needs the owner role")

	// Another owner reads it: the link is there, and the log says so.
	rawMia := addLinkMail(t, c.db, c.mia)
	msgs, err := c.db.MailboxMessages(c.owner, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0].Link, rawMia) || !strings.Contains(string(msgs[0].Raw), rawMia) {
		t.Fatalf("the owner does not see the link: %+v", msgs)
	}
	ev := lastEvent(t, c.db)
	if ev.Action != roster.ActionMailboxRead || ev.Actor != "olga" || strings.Join(ev.Targets, ",") != "mia" {
		t.Fatalf("reading a live link is not audited: %+v", ev)
	}
	if strings.Contains(ev.Details, rawMia) {
		t.Fatal("the audit event holds the token")
	}

	// A dead link is no secret: reading it again once used is not audited.
	if _, err := c.db.Activate(rawMia, approve(t, c.mia, "mia's new password"), "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.Activate(raw, approve(t, c.olga, "olga's new password"), "x"); err != nil {
		t.Fatal(err)
	}
	before := lastEvent(t, c.db)
	if _, err := c.db.MailboxMessages(c.owner, 0, false); err != nil {
		t.Fatal(err)
	}
	if ev := lastEvent(t, c.db); ev.ID != before.ID {
		t.Fatalf("reading dead links was audited: %+v", ev)
	}
}

// Ensure the link rule is the table's: a column that may read the mailbox
// but not others' links (here admins, given the mailbox for the test) sees
// every link masked in the link, the text and the raw message, except in
// mail addressed to them.
func TestMailboxMasksOthersLinks(t *testing.T) {
	row := roster.Powers[roster.OpReadMailbox]
	t.Cleanup(func() { roster.Powers[roster.OpReadMailbox] = row })
	grant := row
	grant[roster.ColAdmin] = roster.Yes
	roster.Powers[roster.OpReadMailbox] = grant

	c := newPowerCast(t)
	rawOlga := addLinkMail(t, c.db, c.olga)
	rawAdam := addLinkMail(t, c.db, c.adam)
	before := lastEvent(t, c.db)
	msgs, err := c.db.MailboxMessages(c.admin, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	own, olga := msgs[0], msgs[1]
	for _, s := range []string{olga.Link, olga.Text, string(olga.Raw)} {
		if strings.Contains(s, rawOlga) || !strings.Contains(s, maskedToken) {
			t.Errorf("the owner's link is not masked: %q", s)
		}
	}
	if !strings.Contains(own.Link, rawAdam) {
		t.Errorf("the admin's own link is masked: %q", own.Link)
	}
	if ev := lastEvent(t, c.db); ev.ID != before.ID {
		t.Errorf("a masked read or one's own link was audited: %+v", ev)
	}
}
