package store

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
)

var systemSweep = roster.SystemActor("serve")

// eventsOf returns the audit events with the action, oldest first.
func eventsOf(t testing.TB, db *DB, action string) []roster.AuditEvent {
	t.Helper()
	evs, err := db.AuditEvents(local, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []roster.AuditEvent
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Action == action {
			out = append(out, evs[i])
		}
	}
	return out
}

func mustActive(t testing.TB, db *DB, u *roster.User) {
	t.Helper()
	if res, err := db.SetStatus(local, []uint64{u.ID}, roster.StatusActive); err != nil || len(res.Changed) != 1 {
		t.Fatalf("activate %s: %+v %v", u.Username, res, err)
	}
}

func setExpiry(t testing.TB, db *DB, u *roster.User, at time.Time) {
	t.Helper()
	if _, err := db.UpdateUser(local, u.ID, roster.UserUpdate{ExpiresAt: &at}); err != nil {
		t.Fatalf("set expiry of %s: %v", u.Username, err)
	}
}

// Ensure an account turns Disabled exactly at its expiry, not a moment
// before, in one event by system:expiry.
func TestExpiryAtTheBoundary(t *testing.T) {
	db := MustOpenDB(t)
	clock := useManualClock(db)
	ada := mustCreate(t, db, "ada", "Ada", "ada@example.com")
	mustActive(t, db, ada)
	mustCreate(t, db, "bob", "Bob", "bob@example.com") // no expiry: never touched
	at := clock.Now().Add(48 * time.Hour)
	setExpiry(t, db, ada, at)

	clock.Add(48*time.Hour - time.Nanosecond)
	if res, err := db.DisableDue(systemSweep, 0); err != nil || len(res.Expired) != 0 {
		t.Fatalf("a moment before: %+v %v", res, err)
	}
	clock.Add(time.Nanosecond)
	res, err := db.DisableDue(systemSweep, 0)
	if err != nil || strings.Join(res.Expired, ",") != "ada" {
		t.Fatalf("at the date: %+v %v", res, err)
	}
	got, _ := db.FindUser(local, "ada")
	if got.Status != roster.StatusDisabled || !got.ExpiresAt.Equal(at) {
		t.Errorf("ada after expiry: %s, expires %v", got.Status, got.ExpiresAt)
	}
	if bob, _ := db.FindUser(local, "bob"); bob.Status != roster.StatusPending {
		t.Errorf("bob: %s", bob.Status)
	}
	evs := eventsOf(t, db, roster.ActionUserExpire)
	if len(evs) != 1 || evs[0].Actor != "system:expiry" || strings.Join(evs[0].Targets, ",") != "ada" {
		t.Fatalf("expiry events: %+v", evs)
	}
	// A second sweep finds nothing.
	if res, err := db.DisableDue(systemSweep, 0); err != nil || len(res.Expired) != 0 {
		t.Errorf("second sweep: %+v %v", res, err)
	}
	// Activating an expired account is refused until the date moves.
	res2, err := db.SetStatus(local, []uint64{ada.ID}, roster.StatusActive)
	if err != nil || len(res2.Changed) != 0 || len(res2.Skipped) != 1 || !strings.Contains(res2.Skipped[0].Reason, "expired on") {
		t.Fatalf("activate expired: %+v %v", res2, err)
	}
	none := time.Time{}
	if _, err := db.UpdateUser(local, ada.ID, roster.UserUpdate{ExpiresAt: &none}); err != nil {
		t.Fatal(err)
	}
	mustActive(t, db, ada)
}

// Ensure the sweep needs its power: a member may not run it.
func TestDisableDueNeedsPower(t *testing.T) {
	db := MustOpenDB(t)
	_, err := db.DisableDue(roster.Actor{Name: "x", UserID: 99, Role: roster.RoleMember}, 0)
	if roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Fatalf("got %v", err)
	}
}

// Ensure a process opening the file after the date disables the account,
// and that two opening at the same moment audit it once.
func TestExpiryOnOpenOnce(t *testing.T) {
	db := MustOpenDB(t)
	clock := useManualClock(db)
	ada := mustCreate(t, db, "ada", "Ada", "ada@example.com")
	mustActive(t, db, ada)
	setExpiry(t, db, ada, clock.Now().Add(time.Hour))
	later := func() time.Time { return clock.Now().Add(2 * time.Hour) }

	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = OpenClock(db.Path(), later) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, _ := db.FindUser(local, "ada")
	if got.Status != roster.StatusDisabled {
		t.Fatalf("ada: %s", got.Status)
	}
	if evs := eventsOf(t, db, roster.ActionUserExpire); len(evs) != 1 {
		t.Fatalf("%d expiry events, want 1: %+v", len(evs), evs)
	}
	// Opening before the date changes nothing.
	bob := mustCreate(t, db, "bob", "Bob", "bob@example.com")
	setExpiry(t, db, bob, clock.Now().Add(time.Hour))
	before := changes(t, db)
	if _, err := OpenClock(db.Path(), clock.Now); err != nil {
		t.Fatal(err)
	}
	if after := changes(t, db); after != before {
		t.Errorf("an open before any date changed the file: %d → %d", before, after)
	}
}

// Ensure the last active owner is not disabled by a date, and that the
// refusal is audited once.
func TestExpiryKeepsLastOwner(t *testing.T) {
	db := MustOpenDB(t)
	clock := useManualClock(db)
	ada, err := db.CreateUser(local, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@example.com", Role: roster.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	mustActive(t, db, ada)
	setExpiry(t, db, ada, clock.Now().Add(time.Hour))
	clock.Add(2 * time.Hour)
	for range 2 {
		res, err := db.DisableDue(systemSweep, 0)
		if err != nil || len(res.Expired) != 0 {
			t.Fatalf("%+v %v", res, err)
		}
	}
	if got, _ := db.FindUser(local, "ada"); got.Status != roster.StatusActive {
		t.Errorf("last owner: %s", got.Status)
	}
	if evs := eventsOf(t, db, roster.ActionUserExpire); len(evs) != 1 || !strings.Contains(evs[0].Details, "last active owner") {
		t.Errorf("events: %+v", evs)
	}
}

// Ensure the inactivity policy disables Active accounts without a sign-in
// for the span (never signed in counts from activation), and no others.
func TestDormantPolicy(t *testing.T) {
	db := MustOpenDB(t)
	clock := useManualClock(db)
	never := mustCreate(t, db, "never", "Never Seen", "never@example.com")
	mustActive(t, db, never)
	old := mustCreate(t, db, "old", "Old Login", "old@example.com")
	mustActive(t, db, old)
	fresh := mustCreate(t, db, "fresh", "Fresh Login", "fresh@example.com")
	mustActive(t, db, fresh)
	mustCreate(t, db, "pending", "Still Pending", "pending@example.com")
	if err := db.RecordLogin(old.ID, "ldap", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	clock.Add(80 * 24 * time.Hour)
	if err := db.RecordLogin(fresh.ID, "ssh", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	clock.Add(10*24*time.Hour - time.Second)
	if res, err := db.DisableDue(systemSweep, 90*24*time.Hour); err != nil || len(res.Dormant) != 0 {
		t.Fatalf("a second early: %+v %v", res, err)
	}
	clock.Add(time.Second)
	res, err := db.DisableDue(systemSweep, 90*24*time.Hour)
	if err != nil || strings.Join(res.Dormant, ",") != "never,old" {
		t.Fatalf("at 90 days: %+v %v", res, err)
	}
	evs := eventsOf(t, db, roster.ActionUserDormant)
	if len(evs) != 1 || evs[0].Actor != "system:inactivity" || !strings.Contains(evs[0].Details, "90 days") {
		t.Fatalf("events: %+v", evs)
	}
	for name, want := range map[string]roster.Status{"never": roster.StatusDisabled, "old": roster.StatusDisabled,
		"fresh": roster.StatusActive, "pending": roster.StatusPending} {
		if u, _ := db.FindUser(local, name); u.Status != want {
			t.Errorf("%s: %s, want %s", name, u.Status, want)
		}
	}
}

// Ensure a service account needs no e-mail, is Active at once with its
// password, sits in directory-readers, and is never invited or reset.
func TestServiceAccount(t *testing.T) {
	db := MustOpenDB(t)
	n := roster.NewUser{Username: "nextcloud", Name: "Nextcloud"}
	pw := approve(t, &roster.User{Username: "nextcloud"}, "Kq7vWx3mPz9tRb4nHc2d")
	u, err := db.CreateService(local, n, pw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != roster.StatusActive || !u.IsService() || u.PasswordHash == "" || u.ActivatedAt.IsZero() {
		t.Fatalf("service account: %+v", u)
	}
	readers, err := db.Group(local, roster.DirectoryReaders)
	if err != nil || !u.InGroup(readers.ID) {
		t.Fatalf("not in %s: %v %v", roster.DirectoryReaders, u.GroupIDs, err)
	}
	// A second one without an address does not collide on the empty e-mail.
	if _, err := db.CreateService(local, roster.NewUser{Username: "gitea", Name: "Gitea"}, approve(t, &roster.User{Username: "gitea"}, "Kq7vWx3mPz9tRb4nHc2d")); err != nil {
		t.Fatal(err)
	}
	q, err := db.InviteUsers(local, []uint64{u.ID}, MailOptions{Render: renderRaw})
	if err != nil || len(q.Changed) != 0 || len(q.Skipped) != 1 || q.Skipped[0].Reason != SkipService {
		t.Fatalf("invite: %+v %v", q, err)
	}
	q, err = db.QueueResets(local, []uint64{u.ID}, MailOptions{Render: renderRaw})
	if err != nil || len(q.Changed) != 0 || len(q.Skipped) != 1 || q.Skipped[0].Reason != SkipService {
		t.Fatalf("reset: %+v %v", q, err)
	}
	// A person still needs an address.
	_, err = db.CreateUser(local, roster.NewUser{Username: "eve", Name: "Eve"})
	wantErr(t, err, roster.EINVALID, "email")
}

// Ensure a service account is given no set-password link even when asked
// directly (the menus grey it out; here the store is forced), that nothing
// is written for it, and that the refusal says why.
func TestServiceAccountGetsNoLink(t *testing.T) {
	db := MustOpenDB(t)
	bot, err := db.CreateService(local, roster.NewUser{Username: "ci-bot", Name: "CI", Email: "ci@example.com"},
		approve(t, &roster.User{Username: "ci-bot", Email: "ci@example.com"}, "Kq7vWx3mPz9tRb4nHc2d"))
	if err != nil {
		t.Fatal(err)
	}
	before := len(eventsOf(t, db, roster.ActionTokenLink))
	for _, purpose := range []roster.TokenPurpose{roster.TokenReset, roster.TokenInvite} {
		_, _, err := db.IssueLink(local, bot.ID, purpose, 0)
		wantErr(t, err, roster.EFORBIDDEN, "")
		if msg := roster.ErrorMessage(err); !strings.Contains(msg, "ci-bot (a service account)") || !strings.Contains(msg, roster.ServiceNoLink) {
			t.Errorf("%s link refusal %q does not say why", purpose, msg)
		}
	}
	if n := len(eventsOf(t, db, roster.ActionTokenLink)); n != before {
		t.Errorf("%d link events after refusals", n-before)
	}
	if invs, err := db.Invitations(local, time.Time{}); err != nil || len(invs) != 0 {
		t.Errorf("invitations after refusals: %+v %v", invs, err)
	}
	// Even an address on the account does not make it mailable; the skip
	// reason is the rule's.
	q, err := db.InviteUsers(local, []uint64{bot.ID}, MailOptions{Render: renderRaw})
	if err != nil || len(q.Changed) != 0 || len(q.Skipped) != 1 || q.Skipped[0].Reason != roster.ServiceNoLink {
		t.Fatalf("invite: %+v %v", q, err)
	}
	if got := ResetSkip(local, bot); got != roster.ServiceNoLink {
		t.Errorf("ResetSkip %q", got)
	}
}

// Ensure a generated password revokes the user's live link, activates a
// Pending person, and is audited without the password.
func TestGeneratedPasswordRevokesLinks(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada", "ada@example.com")
	raw, _, err := db.IssueLink(local, ada.ID, roster.TokenInvite, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	secret := "Zt8kPq3vXm7wRn2bHc4d"
	u, err := db.SetGeneratedPassword(local, ada.ID, approve(t, ada, secret))
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != roster.StatusActive {
		t.Errorf("status %s", u.Status)
	}
	if ok, _ := password.Verify(u.PasswordHash, secret); !ok {
		t.Error("the stored hash does not match the generated password")
	}
	if _, err := db.Activate(raw, approve(t, ada, "another long passphrase"), "test"); err == nil {
		t.Error("the invitation link still worked after a generated password")
	}
	evs := eventsOf(t, db, roster.ActionPasswordGenerate)
	if len(evs) != 1 || !strings.Contains(evs[0].Details, "live link revoked") {
		t.Fatalf("events: %+v", evs)
	}
	all, _ := db.AuditEvents(local, AuditFilter{Search: secret})
	if len(all) != 0 {
		t.Errorf("the password is in the audit log: %+v", all)
	}
	// A member may not generate an admin's password.
	_, err = db.SetGeneratedPassword(roster.Actor{Name: "m", UserID: 12345, Role: roster.RoleMember}, ada.ID, approve(t, ada, secret))
	if roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("member: %v", err)
	}
}

// Ensure the last sign-ins come newest first with the door and the address.
func TestSignIns(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada", "ada@example.com")
	mustActive(t, db, ada)
	for i, via := range []string{"ssh", "ldap", "ldap", "ssh", "ldap", "ldap"} {
		if err := db.RecordLogin(ada.ID, via, "10.0.0."+string(rune('1'+i))); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.SignIns(local, ada.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0].Via != "ldap" || got[0].From != "10.0.0.6" || got[4].Via != "ldap" || got[4].From != "10.0.0.2" ||
		!got[0].At.After(got[1].At) {
		t.Fatalf("sign-ins: %+v", got)
	}
}
