package store

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// outboxDB opens a fresh database with a clock the test moves by hand.
func outboxDB(t testing.TB) (*DB, *time.Time) {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	db.Now = func() time.Time { return now }
	return db, &now
}

var outboxActor = roster.LocalActor("tester")

// renderRaw is a RenderFunc that puts the token where a test can read it.
func renderRaw(m MailContent) ([]byte, error) {
	return []byte(fmt.Sprintf("To: %s\r\n\r\n%s %s %s", m.User.Email, m.Kind, m.Token, m.InviterName)), nil
}

func outboxUsers(t testing.TB, db *DB, n int) []uint64 {
	t.Helper()
	in := make([]roster.NewUser, n)
	for i := range in {
		in[i] = roster.NewUser{Username: fmt.Sprintf("u%d", i), Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("u%d@example.com", i)}
	}
	users, err := db.CreateUsers(outboxActor, in)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, n)
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids
}

func bodyOf(t testing.TB, db *DB, id uint64) []byte {
	t.Helper()
	var b []byte
	if err := db.view(func(tx *bolt.Tx) error {
		var err error
		b, err = unpackBody(tx.Bucket(bucketOutboxBody).Get(u64(id)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

// Ensure inviting writes a token and a job per user in one go, skips
// whom it must with the reason, and records the delivery state.
func TestInviteUsers(t *testing.T) {
	db, now := outboxDB(t)
	ids := outboxUsers(t, db, 5)
	if _, err := db.SetStatus(outboxActor, ids[1:2], roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(outboxActor, ids[2:3], roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	rawUpdate := func(fn func(tx *bolt.Tx) error) {
		if err := db.update(fn); err != nil {
			t.Fatal(err)
		}
	}
	rawUpdate(func(tx *bolt.Tx) error {
		u, _ := getUserTx(tx, ids[3])
		u.Suppressed, u.SuppressReason = true, "550 no such user"
		return putUserTx(tx, u)
	})
	q, err := db.InviteUsers(outboxActor, ids, MailOptions{Render: renderRaw, TTL: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Jobs) != 2 || strings.Join(q.Changed, ",") != "u0,u4" {
		t.Fatalf("changed %v jobs %v", q.Changed, q.Jobs)
	}
	wantSkips := map[string]string{"u1": SkipActive, "u2": SkipDisabled, "u3": SkipSuppressed}
	for _, s := range q.Skipped {
		if wantSkips[s.Target] != s.Reason {
			t.Errorf("skipped %s: %q", s.Target, s.Reason)
		}
	}
	if len(q.Skipped) != 3 {
		t.Errorf("skipped %v", q.Skipped)
	}
	u, _ := db.User(local, ids[0])
	if u.Delivery != roster.DeliveryQueued || !u.InvitedAt.Equal(*now) || !u.InviteExpires.Equal(now.Add(2*time.Hour)) {
		t.Errorf("user after invite: %s %v %v", u.Delivery, u.InvitedAt, u.InviteExpires)
	}
	body := string(bodyOf(t, db, q.Jobs[0]))
	fields := strings.Fields(body[strings.Index(body, "\r\n\r\n"):])
	if fields[0] != "invite" || len(fields) != 2 { // local use: no inviter's name (the message names the organisation)
		t.Fatalf("rendered %q", body)
	}
	if _, tu, err := db.LookupToken(fields[1]); err != nil || tu.ID != ids[0] {
		t.Fatalf("token in the body: %v %v", tu, err)
	}
	ev, _ := db.AuditEvents(local, AuditFilter{Limit: 1})
	if ev[0].Action != roster.ActionInviteQueue || len(ev[0].Targets) != 2 {
		t.Errorf("audit %+v", ev[0])
	}

	// A re-send revokes the old link and cancels the queued mail.
	q2, err := db.InviteUsers(outboxActor, ids[:1], MailOptions{Render: renderRaw})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.LookupToken(fields[1]); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("old link still works: %v", err)
	}
	c, _ := db.JobCounts(local, append(q.Jobs, q2.Jobs...))
	if c.Cancelled != 1 || c.Queued != 2 {
		t.Errorf("after re-send: %+v", c)
	}
	if bodyOf(t, db, q.Jobs[0]) != nil {
		t.Error("the cancelled job kept its body (and its raw token)")
	}

	// A member may not invite at all.
	member := roster.Actor{Name: "m", UserID: ids[1], Role: roster.RoleMember}
	if _, err := db.InviteUsers(member, ids[:1], MailOptions{Render: renderRaw}); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("member invite: %v", err)
	}
	if _, err := db.InviteUsers(outboxActor, ids[:1], MailOptions{}); roster.ErrorCode(err) != roster.EINVALID {
		t.Errorf("no renderer: %v", err)
	}
}

// Ensure claims lease jobs, results settle them, the body goes once
// delivered, retries wait, bounces block the address, and a stale lease
// holder's retry is ignored.
func TestClaimAndRecord(t *testing.T) {
	db, now := outboxDB(t)
	ids := outboxUsers(t, db, 4)
	q, err := db.InviteUsers(outboxActor, ids, MailOptions{Render: renderRaw})
	if err != nil {
		t.Fatal(err)
	}
	claim := ClaimRequest{Owner: "a", Max: 3, Lease: time.Minute}
	jobs, _, err := db.RecordAndClaim(nil, claim)
	if err != nil || len(jobs) != 3 {
		t.Fatalf("claimed %d: %v", len(jobs), err)
	}
	if msg, err := jobs[0].Message(); jobs[0].State != JobSending || jobs[0].Attempts != 1 || err != nil || !strings.HasPrefix(string(msg), "To: u0@example.com") {
		t.Fatalf("claimed job %+v", jobs[0])
	}
	// Ensure leased jobs are not claimed again by another worker.
	other, _, _ := db.RecordAndClaim(nil, ClaimRequest{Owner: "b", Max: 10, Lease: time.Minute})
	if len(other) != 1 || other[0].ID != q.Jobs[3] {
		t.Fatalf("second worker claimed %d", len(other))
	}
	*now = now.Add(time.Second)
	results := []JobResult{
		{ID: jobs[0].ID, Outcome: OutcomeSent},
		{ID: jobs[1].ID, Outcome: OutcomeRetry, Detail: "RCPT TO: 451 try later", RetryAt: now.Add(time.Minute)},
		{ID: jobs[2].ID, Outcome: OutcomeBounced, Detail: "RCPT TO: 550 no such user"},
	}
	if _, _, err := db.RecordAndClaim(results, ClaimRequest{Owner: "a"}); err != nil {
		t.Fatal(err)
	}
	c, _ := db.JobCounts(local, q.Jobs)
	if c.Sent != 1 || c.Queued != 1 || c.Deferred != 1 || c.Bounced != 1 || c.Sending != 1 {
		t.Fatalf("counts %+v", c)
	}
	if bodyOf(t, db, jobs[0].ID) != nil || bodyOf(t, db, jobs[2].ID) != nil {
		t.Error("a delivered or bounced job kept its body")
	}
	if bodyOf(t, db, jobs[1].ID) == nil {
		t.Error("a deferred job lost its body")
	}
	u0, _ := db.User(local, ids[0])
	u1, _ := db.User(local, ids[1])
	u2, _ := db.User(local, ids[2])
	if u0.Delivery != roster.DeliverySent || u1.Delivery != roster.DeliveryQueued || !strings.Contains(u1.DeliveryDetail, "451") ||
		u2.Delivery != roster.DeliveryBounced || !u2.Suppressed || u2.SuppressReason != "RCPT TO: 550 no such user" {
		t.Errorf("users: %s; %s %q; %s %v %q", u0.Delivery, u1.Delivery, u1.DeliveryDetail, u2.Delivery, u2.Suppressed, u2.SuppressReason)
	}
	// Not due yet: nothing to claim.
	if got, next, _ := db.RecordAndClaim(nil, claim); len(got) != 0 || next.IsZero() || next.After(now.Add(time.Minute)) {
		t.Fatalf("claimed %d before the retry time; next %v", len(got), next)
	}
	// The retry falls due; and worker b's lease runs out, so a takes its job.
	*now = now.Add(2 * time.Minute)
	got, _, _ := db.RecordAndClaim(nil, claim)
	if len(got) != 2 || got[0].ID != q.Jobs[3] && got[1].ID != q.Jobs[3] {
		t.Fatalf("claimed %d after the lease ran out", len(got))
	}
	// b's late report of a temporary failure is ignored; its success is not.
	if _, _, err := db.RecordAndClaim([]JobResult{{ID: q.Jobs[3], Outcome: OutcomeRetry, RetryAt: now.Add(time.Hour)}}, ClaimRequest{Owner: "b"}); err != nil {
		t.Fatal(err)
	}
	if j, _ := db.Jobs(local, q.Jobs[3:]); j[0].State != JobSending || j[0].Owner != "a" {
		t.Fatalf("stale retry applied: %+v", j[0])
	}
	var res []JobResult
	for _, j := range got {
		res = append(res, JobResult{ID: j.ID, Outcome: OutcomeSent})
	}
	if _, next, err := db.RecordAndClaim(res, claim); err != nil || !next.IsZero() {
		t.Fatalf("next %v err %v", next, err)
	}
	c, _ = db.JobCounts(local, q.Jobs)
	if c.Sent != 3 || c.Bounced != 1 || c.Pending() != 0 {
		t.Fatalf("final counts %+v", c)
	}
}

// Ensure jobs leased by a dead worker can be freed at once, and a worker
// stopping gives jobs back without counting an attempt.
func TestReclaimAndRelease(t *testing.T) {
	db, _ := outboxDB(t)
	ids := outboxUsers(t, db, 2)
	q, _ := db.InviteUsers(outboxActor, ids, MailOptions{Render: renderRaw})
	jobs, _, _ := db.RecordAndClaim(nil, ClaimRequest{Owner: "dead", Max: 1, Lease: time.Hour})
	live, _, _ := db.RecordAndClaim(nil, ClaimRequest{Owner: "live", Max: 1, Lease: time.Hour})
	n, err := db.ReclaimLeases(func(owner string) bool { return owner == "dead" })
	if err != nil || n != 1 {
		t.Fatalf("reclaimed %d: %v", n, err)
	}
	again, _, _ := db.RecordAndClaim(nil, ClaimRequest{Owner: "new", Max: 5, Lease: time.Hour})
	if len(again) != 1 || again[0].ID != jobs[0].ID || again[0].Attempts != 2 {
		t.Fatalf("after reclaim: %+v", again)
	}
	if _, _, err := db.RecordAndClaim([]JobResult{{ID: live[0].ID, Outcome: OutcomeRelease}}, ClaimRequest{Owner: "live"}); err != nil {
		t.Fatal(err)
	}
	j, _ := db.Jobs(local, q.Jobs)
	if j[1].State != JobQueued || j[1].Attempts != 0 {
		t.Fatalf("released job %+v", j[1])
	}
}

// Ensure `roster mail retry` queues failed jobs again and hurries deferred ones.
func TestRetryMail(t *testing.T) {
	db, now := outboxDB(t)
	ids := outboxUsers(t, db, 2)
	q, _ := db.InviteUsers(outboxActor, ids, MailOptions{Render: renderRaw})
	jobs, _, _ := db.RecordAndClaim(nil, ClaimRequest{Owner: "a", Max: 2, Lease: time.Minute})
	_, _, err := db.RecordAndClaim([]JobResult{
		{ID: jobs[0].ID, Outcome: OutcomeFailed, Detail: "gave up"},
		{ID: jobs[1].ID, Outcome: OutcomeRetry, Detail: "451", RetryAt: now.Add(time.Hour)},
	}, ClaimRequest{Owner: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := db.User(local, ids[0]); u.Delivery != roster.DeliveryFailed {
		t.Fatalf("delivery %s", u.Delivery)
	}
	touched, err := db.RetryMail(outboxActor)
	if err != nil || len(touched) != 2 {
		t.Fatalf("retried %v: %v", touched, err)
	}
	got, _, _ := db.RecordAndClaim(nil, ClaimRequest{Owner: "a", Max: 5, Lease: time.Minute})
	if len(got) != 2 {
		t.Fatalf("claimable after retry: %d", len(got))
	}
	if u, _ := db.User(local, ids[0]); u.Delivery != roster.DeliveryQueued {
		t.Fatalf("delivery after retry %s", u.Delivery)
	}
	_ = q
}

// Ensure "forgot password" queues mail only for an Active, unblocked user,
// answers the same otherwise, and does not queue twice.
func TestRequestReset(t *testing.T) {
	db, _ := outboxDB(t)
	ids := outboxUsers(t, db, 2)
	if _, err := db.SetStatus(outboxActor, ids[:1], roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	opts := MailOptions{Render: renderRaw}
	for _, email := range []string{"U0@example.com", "u0@example.com", "u1@example.com", "nobody@example.com", "", "not an address"} {
		if err := db.RequestReset(local, email, opts); err != nil {
			t.Fatalf("%q: %v", email, err)
		}
	}
	jobs, _ := db.OutboxJobs(local, OutboxFilter{})
	if len(jobs) != 1 || jobs[0].Kind != MailReset || jobs[0].UserID != ids[0] {
		t.Fatalf("jobs %+v", jobs)
	}
	body := string(bodyOf(t, db, jobs[0].ID))
	tok := strings.Fields(body[strings.Index(body, "\r\n\r\n"):])[1]
	if tk, _, err := db.LookupToken(tok); err != nil || tk.Purpose != roster.TokenReset {
		t.Fatalf("reset token: %v %v", tk, err)
	}
	q, err := db.QueueResets(outboxActor, ids, opts)
	if err != nil || len(q.Jobs) != 1 || len(q.Skipped) != 1 || q.Skipped[0].Reason != SkipNotActive {
		t.Fatalf("QueueResets: %+v %v", q, err)
	}
}

// Ensure deleting a user removes their outbox jobs and bodies.
func TestDeleteUserRemovesOutbox(t *testing.T) {
	db, _ := outboxDB(t)
	ids := outboxUsers(t, db, 2)
	q, _ := db.InviteUsers(outboxActor, ids, MailOptions{Render: renderRaw})
	if _, err := db.DeleteUsers(outboxActor, ids[:1]); err != nil {
		t.Fatal(err)
	}
	c, _ := db.JobCounts(local, q.Jobs)
	if c.Missing != 1 || c.Queued != 1 || bodyOf(t, db, q.Jobs[0]) != nil {
		t.Fatalf("after delete: %+v", c)
	}
	got, _, _ := db.RecordAndClaim(nil, ClaimRequest{Owner: "a", Max: 5, Lease: time.Minute})
	if len(got) != 1 || got[0].ID != q.Jobs[1] {
		t.Fatalf("claimed %+v", got)
	}
	if problems := db.Check(local); len(problems) > 0 {
		t.Errorf("check: %v", problems)
	}
}

// Ensure the dev mailbox keeps messages newest first and filters by address.
func TestMailbox(t *testing.T) {
	db, _ := outboxDB(t)
	for i := range 3 {
		m := &MailboxMessage{From: "r@x", To: []string{fmt.Sprintf("u%d@example.com", i%2)}, Subject: fmt.Sprintf("s%d", i), Link: "http://l", Raw: []byte("raw")}
		if err := db.AddMailboxMessages([]*MailboxMessage{m}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.MailboxMessages(local, 0, true)
	if err != nil || len(all) != 3 || all[0].Subject != "s2" || string(all[0].Raw) != "raw" {
		t.Fatalf("mailbox %+v %v", all, err)
	}
	to0, _ := db.MailboxFor(local, "U0@example.com", 0)
	if len(to0) != 2 || to0[0].Subject != "s2" || to0[1].Subject != "s0" || to0[0].Raw != nil {
		t.Fatalf("for u0: %+v", to0)
	}
	if err := db.ClearMailbox(local); err != nil {
		t.Fatal(err)
	}
	if all, _ := db.MailboxMessages(local, 0, false); len(all) != 0 {
		t.Fatal("not cleared")
	}
}

// Ensure the list shows an unaccepted, sent invitation as expired after
// its link's time, and a blocked address as bounced.
func TestInvitationState(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u := &roster.User{Status: roster.StatusPending, Delivery: roster.DeliverySent, InviteExpires: now.Add(time.Hour)}
	if s := InvitationState(u, now); s != "sent" {
		t.Errorf("before expiry: %q", s)
	}
	if s := InvitationState(u, now.Add(time.Hour)); s != "expired" {
		t.Errorf("at expiry: %q", s)
	}
	u.Status = roster.StatusActive
	if s := InvitationState(u, now.Add(time.Hour)); s != "sent" {
		t.Errorf("accepted: %q", s)
	}
	u.Suppressed = true
	if s := InvitationState(u, now); s != "bounced" {
		t.Errorf("blocked: %q", s)
	}
	if s := InvitationState(&roster.User{}, now); s != "" {
		t.Errorf("never invited: %q", s)
	}
}

// Ensure a user renamed between the rendering and the transaction gets a
// message rendered anew, with the new name and a token that works.
func TestInviteRendersAgainAfterChange(t *testing.T) {
	db, _ := outboxDB(t)
	ids := outboxUsers(t, db, 1)
	renamed := false
	render := func(m MailContent) ([]byte, error) {
		if !renamed {
			renamed = true
			name := "Renamed Person"
			if _, err := db.UpdateUser(outboxActor, ids[0], roster.UserUpdate{Name: &name}); err != nil {
				return nil, err
			}
		}
		return []byte(m.User.Name + "|" + m.Token), nil
	}
	q, err := db.InviteUsers(outboxActor, ids, MailOptions{Render: render})
	if err != nil {
		t.Fatal(err)
	}
	name, tok, _ := strings.Cut(string(bodyOf(t, db, q.Jobs[0])), "|")
	if name != "Renamed Person" {
		t.Fatalf("body rendered for %q", name)
	}
	if _, u, err := db.LookupToken(tok); err != nil || u.ID != ids[0] {
		t.Fatalf("token: %v", err)
	}
}

// Ensure bodies come back byte for byte, compressed or not, many times over
// (the readers are reused).
func TestPackBody(t *testing.T) {
	for i := range 3 {
		msg := []byte(strings.Repeat(fmt.Sprintf("line %d with some text\r\n", i), 200))
		got, err := unpackBody(packBody(msg))
		if err != nil || string(got) != string(msg) {
			t.Fatalf("round trip %d: %v", i, err)
		}
	}
	if got, err := unpackBody([]byte("From: plain\r\n")); err != nil || string(got) != "From: plain\r\n" {
		t.Fatalf("plain body: %q %v", got, err)
	}
	if got, err := unpackBody(nil); got != nil || err != nil {
		t.Fatalf("nil body: %q %v", got, err)
	}
	if _, err := unpackBody([]byte{bodyFlate, 0xff, 0xff}); err == nil {
		t.Fatal("a damaged body was accepted")
	}
}

// Ensure the dry-run reasons match what InviteUsers does.
func TestInviteSkip(t *testing.T) {
	admin := roster.Actor{Name: "a", UserID: 99, Role: roster.RoleAdmin}
	cases := []struct {
		u      roster.User
		invite string
		reset  string
	}{
		{roster.User{Status: roster.StatusPending, Role: roster.RoleMember}, "", SkipNotActive},
		{roster.User{Status: roster.StatusActive, Role: roster.RoleMember}, SkipActive, ""},
		{roster.User{Status: roster.StatusDisabled, Role: roster.RoleMember}, SkipDisabled, SkipDisabled},
		{roster.User{Status: roster.StatusPending, Role: roster.RoleMember, Suppressed: true}, SkipSuppressed, SkipNotActive},
		{roster.User{Status: roster.StatusPending, Role: roster.RoleOwner}, SkipNoOwner, SkipNoOwner},
	}
	for i, c := range cases {
		if got := InviteSkip(admin, &c.u); got != c.invite {
			t.Errorf("%d: invite %q, want %q", i, got, c.invite)
		}
		if got := ResetSkip(admin, &c.u); got != c.reset {
			t.Errorf("%d: reset %q, want %q", i, got, c.reset)
		}
	}
}
