package store

import (
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
)

// Ensure the attack of issue 13 (break 9) fails: fifty "forgot password"
// requests for one account within a minute (from as many addresses as the
// attacker likes: the store does not see them) send three mails, each
// answered the same; the first refusal is audited once; an hour later the
// account may ask again.
func TestRequestResetPerRecipient(t *testing.T) {
	db, now := outboxDB(t)
	ids := outboxUsers(t, db, 2)
	if _, err := db.SetStatus(outboxActor, ids, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	web := roster.SystemActor("web")
	opts := MailOptions{Render: renderRaw}
	sendAll := func() int {
		t.Helper()
		// The worker sends each mail at once, so none waits in the queue
		// (a queued reset mail is never queued twice anyway).
		jobs, _, err := db.RecordAndClaim(nil, ClaimRequest{Owner: "w", Max: 100, Lease: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		var results []JobResult
		for _, j := range jobs {
			results = append(results, JobResult{ID: j.ID, Outcome: OutcomeSent})
		}
		if _, _, err := db.RecordAndClaim(results, ClaimRequest{Owner: "w"}); err != nil {
			t.Fatal(err)
		}
		return len(jobs)
	}
	sent := 0
	for i := range 50 {
		*now = now.Add(time.Second)
		if err := db.RequestReset(web, "u0@example.com", opts); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		sent += sendAll()
	}
	if sent != ResetsPerRecipient {
		t.Fatalf("%d reset mails sent to one account, want %d", sent, ResetsPerRecipient)
	}
	evs, err := db.AuditEvents(local, AuditFilter{UserID: ids[0], Search: "refused: more than"})
	if err != nil || len(evs) != 1 {
		t.Fatalf("refusal events %v %v", evs, err)
	}
	if !strings.Contains(evs[0].Details, "3 requests") || evs[0].Actor != "system:web" {
		t.Errorf("refusal event %+v", evs[0])
	}
	// Another account is not held up by the first one's limit.
	if err := db.RequestReset(web, "u1@example.com", opts); err != nil {
		t.Fatal(err)
	}
	if n := sendAll(); n != 1 {
		t.Fatalf("another account got %d mails", n)
	}
	*now = now.Add(ResetWindow)
	if err := db.RequestReset(web, "u0@example.com", opts); err != nil {
		t.Fatal(err)
	}
	if n := sendAll(); n != 1 {
		t.Fatalf("an hour later: %d mails, want 1", n)
	}
	if problems := db.Check(local); len(problems) > 0 {
		t.Fatal(problems)
	}
}
