package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// storeResetter asks the store for reset mail the way the mailer does, and
// then plays a worker that sends every queued mail at once (a reset mail
// still queued is never queued twice). It counts the mails sent.
type storeResetter struct {
	db   *store.DB
	sent atomic.Int64
	done atomic.Int64
}

func (r *storeResetter) RequestReset(_ context.Context, email string) error {
	defer r.done.Add(1)
	render := func(store.MailContent) ([]byte, error) { return []byte("Subject: reset\r\n\r\nlink\r\n"), nil }
	if err := r.db.RequestReset(roster.SystemActor("web"), email, store.MailOptions{Render: render}); err != nil {
		return err
	}
	jobs, _, err := r.db.RecordAndClaim(nil, store.ClaimRequest{Owner: "test", Max: 100, Lease: time.Minute})
	if err != nil {
		return err
	}
	var results []store.JobResult
	for _, j := range jobs {
		results = append(results, store.JobResult{ID: j.ID, Outcome: store.OutcomeSent})
	}
	_, _, err = r.db.RecordAndClaim(results, store.ClaimRequest{Owner: "test"})
	r.sent.Add(int64(len(jobs)))
	return err
}

// Ensure the attacker of issue 13 (break 9) cannot mail one person without
// limit through the public form: 50 requests for the owner's address from
// 25 client addresses queue 3 reset mails, and each requester gets the
// same answer.
func TestResetFloodFromManyAddresses(t *testing.T) {
	resets := &storeResetter{}
	s := newSite(t, func(srv *Server) {
		srv.TrustProxy = true
		srv.Resets = resets
	})
	resets.db = s.db
	owner, _ := s.pending("olga", "Olga Owner", "olga@example.com")
	if _, err := s.db.SetStatus(local, []uint64{owner.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	token := s.csrf(s.get("/reset"))
	for i := 0; i < 50; i++ {
		from := fmt.Sprintf("192.0.2.%d", 1+i%25)
		res := s.post("/reset", url.Values{"csrf": {token}, "email": {"olga@example.com"}}, "X-Forwarded-For", from)
		wantStatus(t, res, http.StatusOK, "Check your mail")
		// One at a time, so the site's own cap on requests in flight drops
		// none of them: the store's limit is what is tested.
		deadline := time.Now().Add(10 * time.Second)
		for resets.done.Load() < int64(i+1) && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond) // polling a condition, with a deadline
		}
		if n := resets.done.Load(); n != int64(i+1) {
			t.Fatalf("request %d did not reach the store (%d did)", i+1, n)
		}
	}
	if n := resets.sent.Load(); n != store.ResetsPerRecipient {
		t.Fatalf("%d reset mails sent to one person, want %d", n, store.ResetsPerRecipient)
	}
}
