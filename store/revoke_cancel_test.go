package store

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure revoking an invitation, or generating a password, cancels the
// user's invitation or reset mail still queued (it would carry a dead
// link), says so in the audit log, and leaves other users' mail alone.
func TestRevokeCancelsQueuedMail(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada", "ada@example.com")
	bob := mustCreate(t, db, "bob", "Bob", "bob@example.com")
	q, err := db.InviteUsers(local, []uint64{ada.ID, bob.ID}, MailOptions{Render: renderRaw})
	if err != nil || len(q.Jobs) != 2 {
		t.Fatalf("invite: %+v %v", q, err)
	}
	if err := db.RevokeInvitation(local, ada.ID); err != nil {
		t.Fatal(err)
	}
	jobs, err := db.Jobs(local, q.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	if jobs[0].State != JobCancelled || jobs[0].Detail != "the invitation was revoked" || jobs[1].State != JobQueued {
		t.Fatalf("jobs: ada %s %q, bob %s", jobs[0].State, jobs[0].Detail, jobs[1].State)
	}
	evs := eventsOf(t, db, roster.ActionInviteRevoke)
	if len(evs) != 1 || !strings.Contains(evs[0].Details, "queued mail cancelled") {
		t.Errorf("events: %+v", evs)
	}
	if u, _ := db.FindUser(local, "ada"); u.Delivery != roster.DeliveryNone {
		t.Errorf("ada's delivery: %s", u.Delivery)
	}

	// Generating bob's password kills his link: his queued invitation goes too.
	if _, err := db.SetGeneratedPassword(local, bob.ID, approve(t, bob, "Kq7vWx3mPz9tRb4nHc2d")); err != nil {
		t.Fatal(err)
	}
	jobs, _ = db.Jobs(local, q.Jobs[1:])
	if jobs[0].State != JobCancelled {
		t.Errorf("bob's job: %s", jobs[0].State)
	}
	if evs := eventsOf(t, db, roster.ActionPasswordGenerate); len(evs) != 1 || !strings.Contains(evs[0].Details, "queued mail cancelled") {
		t.Errorf("events: %+v", evs)
	}
}
