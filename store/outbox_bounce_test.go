package store

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// sendAll claims every due job and records it sent, as a worker would.
func sendAll(t *testing.T, db *DB) {
	t.Helper()
	jobs, _, err := db.RecordAndClaim(nil, ClaimRequest{Owner: "w", Max: 100, Lease: 60e9})
	if err != nil {
		t.Fatal(err)
	}
	res := make([]JobResult, len(jobs))
	for i, j := range jobs {
		res[i] = JobResult{ID: j.ID, Outcome: OutcomeSent}
	}
	if _, _, err := db.RecordAndClaim(res, ClaimRequest{Owner: "w"}); err != nil {
		t.Fatal(err)
	}
}

// Ensure a bounce that comes back by mail after delivery blocks exactly
// that address, marks the invitation bounced, revokes the link and is
// audited; that a soft one blocks nothing; that a report naming a job and
// another address is refused; and that a bounce found by address alone
// works too.
func TestRecordBounce(t *testing.T) {
	db, _ := outboxDB(t)
	ids := outboxUsers(t, db, 3)
	q, err := db.InviteUsers(outboxActor, ids, MailOptions{Render: renderRaw})
	if err != nil {
		t.Fatal(err)
	}
	raw := map[uint64]string{}
	for i, id := range q.Jobs {
		body := string(bodyOf(t, db, id))
		raw[ids[i]] = strings.Fields(body[strings.Index(body, "\r\n\r\n")+4:])[1]
	}
	sendAll(t, db)
	system := roster.SystemActor("mail")
	key := func(id uint64) string {
		jobs, err := db.Jobs(outboxActor, []uint64{id})
		if err != nil || len(jobs) != 1 || len(jobs[0].Key) != 16 {
			t.Fatalf("job %d: %v", id, err)
		}
		return jobs[0].Key
	}
	if _, _, err := db.RecordBounce(outboxActor, Bounce{JobID: q.Jobs[0], Recipient: "u0@example.com", Hard: true}); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Fatalf("a person recorded a bounce: %v", err)
	}

	if _, _, err := db.RecordBounce(system, Bounce{JobID: q.Jobs[0], JobKey: key(q.Jobs[0]), Recipient: "u1@example.com", Hard: true}); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Fatalf("a bounce naming another address: %v", err)
	}
	// Job numbers are sequential: without the job's key a bounce is forged.
	for _, k := range []string{"", key(q.Jobs[1])} {
		if _, _, err := db.RecordBounce(system, Bounce{JobID: q.Jobs[0], JobKey: k, Recipient: "u0@example.com", Hard: true}); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Fatalf("a bounce with key %q for job %d: %v", k, q.Jobs[0], err)
		}
	}
	if _, out, err := db.RecordBounce(system, Bounce{JobID: q.Jobs[1], JobKey: key(q.Jobs[1]), Recipient: "u1@example.com", Detail: "4.2.2 mailbox full"}); err != nil || out != BounceSoft {
		t.Fatalf("soft bounce: %v %v", out, err)
	}
	j, out, err := db.RecordBounce(system, Bounce{JobID: q.Jobs[0], JobKey: key(q.Jobs[0]), Recipient: "U0@example.com", Hard: true, Detail: "5.1.1 user unknown"})
	if err != nil || out != BounceBlocked || j.State != JobBounced {
		t.Fatalf("hard bounce: %+v %v %v", j, out, err)
	}
	if _, out, _ := db.RecordBounce(system, Bounce{JobID: q.Jobs[0], JobKey: key(q.Jobs[0]), Recipient: "u0@example.com", Hard: true}); out != BounceRepeated {
		t.Errorf("the same bounce twice: %v", out)
	}
	// Anyone who knows an address can write a report naming only it.
	if _, _, err := db.RecordBounce(system, Bounce{Recipient: "u2@example.com", Hard: true, Detail: "5.1.1 no such user"}); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Fatalf("a bounce naming only an address: %v", err)
	}
	if _, out, err := db.RecordBounce(system, Bounce{JobID: q.Jobs[2], JobKey: key(q.Jobs[2]), Hard: true, Detail: "5.1.1 no such user"}); err != nil || out != BounceBlocked {
		t.Fatalf("bounce by job without a recipient: %v %v", out, err)
	}
	for i, id := range ids {
		u, _ := db.User(outboxActor, id)
		_, _, tokErr := db.LookupToken(raw[id])
		blocked := i != 1
		if u.Suppressed != blocked || (u.Delivery == roster.DeliveryBounced) != blocked || (tokErr != nil) != blocked {
			t.Errorf("%s: suppressed=%v delivery=%s link error=%v; want blocked=%v", u.Email, u.Suppressed, u.Delivery, tokErr, blocked)
		}
		if blocked && !strings.Contains(u.SuppressReason, "5.1.1") {
			t.Errorf("%s: reason %q", u.Email, u.SuppressReason)
		}
	}
	evs, err := db.AuditEvents(outboxActor, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var bounces, soft int
	for _, ev := range evs {
		switch ev.Action {
		case "mail.bounce":
			bounces++
		case "mail.softbounce":
			soft++
		}
	}
	if bounces != 2 || soft != 1 {
		t.Errorf("audit: %d bounces, %d soft; want 2, 1", bounces, soft)
	}
	if err := db.Check(outboxActor); err != nil {
		t.Fatal(err)
	}
}
