package store

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster"
)

// Ensure the warning before the inactivity policy disables someone goes
// out warnBefore ahead (not a second earlier), once per stretch of
// inactivity, says the day, and is audited by system:inactivity; a sign-in
// starts a new stretch; service accounts, pending people, blocked
// addresses and people with mail still queued are left out; a member may
// not run it.
func TestDormantWarning(t *testing.T) {
	db := MustOpenDB(t)
	clock := useManualClock(db)
	const day = 24 * time.Hour
	policy, warn := 90*day, 14*day
	never := mustCreate(t, db, "never", "Never Seen", "never@example.com")
	mustActive(t, db, never)
	busy := mustCreate(t, db, "busy", "Busy Queue", "busy@example.com")
	mustActive(t, db, busy)
	mustCreate(t, db, "pending", "Still Pending", "pending@example.com")
	if _, err := db.CreateService(local, roster.NewUser{Username: "svc", Name: "svc"}, approve(t, &roster.User{Username: "svc"}, "Kq7vWx3mPz9tRb4nHc2d")); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var rendered []MailContent
	render := func(m MailContent) ([]byte, error) {
		mu.Lock()
		rendered = append(rendered, m)
		mu.Unlock()
		return renderRaw(m)
	}
	activated := clock.Now()
	clock.Add(policy - warn - time.Second)
	// busy has a reset mail waiting: a warning would cancel it.
	if _, err := db.QueueResets(local, []uint64{busy.ID}, MailOptions{Render: renderRaw}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.WarnDormant(systemSweep, policy, warn, render); err != nil || len(got) != 0 {
		t.Fatalf("a second early: %v %v", got, err)
	}
	clock.Add(time.Second)
	got, err := db.WarnDormant(systemSweep, policy, warn, render)
	if err != nil || strings.Join(got, ",") != "never" {
		t.Fatalf("at 76 days: %v %v", got, err)
	}
	if len(rendered) != 1 || rendered[0].Kind != MailDormant || rendered[0].User.Username != "never" ||
		!rendered[0].Expires.Equal(activated.Add(policy)) || rendered[0].Token != "" {
		t.Fatalf("rendered: %+v", rendered)
	}
	jobs, err := db.OutboxJobs(local, OutboxFilter{Pending: true})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, j := range jobs {
		kinds[j.Kind.String()+" "+j.To] = true
	}
	if !kinds["dormant never@example.com"] || !kinds["reset busy@example.com"] || len(jobs) != 2 {
		t.Fatalf("jobs: %v", kinds)
	}
	evs := eventsOf(t, db, roster.ActionDormantWarn)
	if len(evs) != 1 || evs[0].Actor != "system:inactivity" || strings.Join(evs[0].Targets, ",") != "never" ||
		!strings.Contains(evs[0].Details, "90 days") {
		t.Fatalf("events: %+v", evs)
	}

	// Once: the next sweeps warn nobody new.
	clock.Add(day)
	if got, err := db.WarnDormant(systemSweep, policy, warn, render); err != nil || len(got) != 0 {
		t.Fatalf("again: %v %v", got, err)
	}
	// A sign-in starts a new stretch, warned again 76 days later.
	if err := db.RecordLogin(never.ID, "ldap", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	clock.Add(policy - warn)
	if got, err := db.WarnDormant(systemSweep, policy, warn, render); err != nil || strings.Join(got, ",") != "never" {
		t.Fatalf("next stretch: %v %v", got, err)
	}
	// Already due: disabled by DisableDue, not warned.
	clock.Add(warn)
	if got, err := db.WarnDormant(systemSweep, policy, warn, render); err != nil || len(got) != 0 {
		t.Fatalf("when due: %v %v", got, err)
	}

	member := mustCreate(t, db, "member", "Member", "member@example.com")
	mustActive(t, db, member)
	if _, err := db.WarnDormant(roster.Actor{Name: "member", UserID: member.ID, Role: roster.RoleMember}, policy, warn, render); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("a member: %v", err)
	}
}
