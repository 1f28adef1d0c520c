package store

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
	bolt "go.etcd.io/bbolt"
)

// approve approves pw for u, hashed with tiny argon2id costs: tests care
// about the storing, not the cost.
func approve(t testing.TB, u *roster.User, pw string) password.Approved {
	t.Helper()
	a, err := password.Approve(pw, u.Username, u.Email, func(pw string) (string, error) {
		return password.HashWith(pw, password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// manualClock is a clock a test moves by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func useManualClock(db *DB) *manualClock {
	c := &manualClock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	db.Now = c.Now
	return c
}

// snapshotExceptAudit returns every key and value (hex) of the file's
// buckets except the audit log, which a refusal writes to.
func snapshotExceptAudit(t testing.TB, db *DB) string {
	t.Helper()
	var sb strings.Builder
	err := db.view(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			b := tx.Bucket(name)
			if b == nil || strings.HasPrefix(string(name), "audit") {
				continue
			}
			fmt.Fprintf(&sb, "%s:\n", name)
			_ = b.ForEach(func(k, v []byte) error {
				fmt.Fprintf(&sb, " %x=%x\n", k, v)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// mustLink issues a one-time link or fails the test.
func mustLink(t testing.TB, db *DB, u *roster.User, purpose roster.TokenPurpose) string {
	t.Helper()
	raw, _, err := db.IssueLink(local, u.ID, purpose, 0)
	if err != nil {
		t.Fatalf("issue link for %s: %v", u.Username, err)
	}
	return raw
}

// lastEvent returns the newest audit event.
func lastEvent(t testing.TB, db *DB) roster.AuditEvent {
	t.Helper()
	evs, err := db.AuditEvents(local, AuditFilter{Limit: 1})
	if err != nil || len(evs) != 1 {
		t.Fatalf("audit events: %v, %d events", err, len(evs))
	}
	return evs[0]
}

// Ensure an invitation link activates a Pending user, stores the hash,
// bumps the change counter and is audited, once.
func TestActivateInvite(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com")
	raw := mustLink(t, db, ada, roster.TokenInvite)
	hash := approve(t, ada, "correct horse battery")
	before := changes(t, db)

	u, err := db.Activate(raw, hash, "192.0.2.7")
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	if u.Status != roster.StatusActive || u.ActivatedAt.IsZero() || u.PasswordSetAt.IsZero() || !u.InviteExpires.IsZero() {
		t.Fatalf("after activation: status %s, activated %v, password set %v, invite expires %v",
			u.Status, u.ActivatedAt, u.PasswordSetAt, u.InviteExpires)
	}
	stored, err := db.User(local, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := password.Verify(stored.PasswordHash, "correct horse battery"); err != nil || !ok {
		t.Fatalf("stored hash does not verify: %v %v", ok, err)
	}
	if stored.Status != roster.StatusActive {
		t.Fatalf("stored status %s", stored.Status)
	}
	if after := changes(t, db); after <= before {
		t.Fatalf("change counter %d → %d, want it to grow", before, after)
	}
	ev := lastEvent(t, db)
	if ev.Action != roster.ActionUserActivate || ev.Actor != "ada" || len(ev.Targets) != 1 || ev.Targets[0] != "ada" ||
		!strings.Contains(ev.Details, "192.0.2.7") {
		t.Fatalf("audit event %+v", ev)
	}
	if strings.Contains(ev.Details, raw) || strings.Contains(ev.Details, hash.Hash()) {
		t.Fatalf("audit event leaks a secret: %q", ev.Details)
	}

	// Ensure the link cannot be used twice, and the refusal says why.
	before = changes(t, db)
	_, err = db.Activate(raw, approve(t, ada, "another password"), "192.0.2.8")
	wantErr(t, err, roster.ENOTFOUND, "")
	ev = lastEvent(t, db)
	if ev.Action != roster.ActionTokenRefused || !strings.Contains(ev.Details, "already used") || ev.Targets[0] != "ada" {
		t.Fatalf("refusal event %+v", ev)
	}
	if after := changes(t, db); after != before {
		t.Fatalf("a refusal moved the change counter %d → %d", before, after)
	}
	if again, _ := db.User(local, ada.ID); again.PasswordHash != stored.PasswordHash {
		t.Fatal("a used link changed the password")
	}
}

// Ensure every kind of dead link is refused with its own reason in the
// audit log and changes nothing.
func TestActivateRefusals(t *testing.T) {
	db := MustOpenDB(t)
	clock := useManualClock(db)
	hash := approve(t, &roster.User{Username: "x", Email: "x@example.com"}, "correct horse battery")

	expired := mustCreate(t, db, "exp", "Ex Pired", "exp@example.com")
	expiredRaw := mustLink(t, db, expired, roster.TokenInvite)
	clock.Add(DefaultTokenTTL + time.Second)

	revoked := mustCreate(t, db, "rev", "Re Voked", "rev@example.com")
	revokedRaw := mustLink(t, db, revoked, roster.TokenInvite)
	_ = mustLink(t, db, revoked, roster.TokenInvite) // a re-send revokes the first

	disabled := mustCreate(t, db, "dis", "Dis Abled", "dis@example.com")
	disabledRaw := mustLink(t, db, disabled, roster.TokenInvite)
	if _, err := db.SetStatus(local, []uint64{disabled.ID}, roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}

	deleted := mustCreate(t, db, "del", "De Leted", "del@example.com")
	deletedRaw := mustLink(t, db, deleted, roster.TokenInvite)
	if _, err := db.DeleteUsers(local, []uint64{deleted.ID}); err != nil {
		t.Fatal(err)
	}

	tampered := []byte(revokedRaw)
	tampered[5] ^= 1

	for _, tc := range []struct {
		name, raw, reason, target string
		uid                       uint64
	}{
		{"expired", expiredRaw, "expired at", "exp", expired.ID},
		{"revoked", revokedRaw, "revoked", "rev", revoked.ID},
		{"disabled", disabledRaw, "revoked", "dis", disabled.ID}, // disabling a user revokes their link
		{"deleted", deletedRaw, "revoked", "", 0},                // deleting a user revokes their link
		{"tampered", string(tampered), "", "", 0},
		{"empty", "", "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshotExceptAudit(t, db)
			prev := lastEvent(t, db)
			_, err := db.Activate(tc.raw, hash, "198.51.100.1")
			wantErr(t, err, roster.ENOTFOUND, "")
			if after := snapshotExceptAudit(t, db); after != before {
				t.Fatalf("a refused link changed data:\nbefore %s\nafter  %s", before, after)
			}
			ev := lastEvent(t, db)
			if tc.reason == "" {
				// Ensure a token never issued is not audited: guesses must
				// not flood the log.
				if ev.ID != prev.ID {
					t.Fatalf("an unknown token was audited: %+v", ev)
				}
				return
			}
			if ev.Action != roster.ActionTokenRefused || !strings.Contains(ev.Details, tc.reason) || !strings.Contains(ev.Details, "198.51.100.1") {
				t.Fatalf("refusal event %+v, want reason %q", ev, tc.reason)
			}
			if tc.target == "" && len(ev.Targets) != 0 || tc.target != "" && (len(ev.Targets) != 1 || ev.Targets[0] != tc.target) {
				t.Fatalf("refusal event targets %v, want %q", ev.Targets, tc.target)
			}
			if tc.raw != "" && strings.Contains(ev.Details, tc.raw) {
				t.Fatalf("refusal event leaks the token: %q", ev.Details)
			}
			if tc.uid != 0 {
				evs, err := db.AuditEvents(local, AuditFilter{UserID: tc.uid, Limit: 1})
				if err != nil || len(evs) != 1 || evs[0].ID != ev.ID {
					t.Fatalf("refusal not filed under the user: %v %+v", err, evs)
				}
				u, _ := db.User(local, tc.uid)
				if u.PasswordHash != "" || u.Status == roster.StatusActive {
					t.Fatalf("refused link changed the user: %+v", u)
				}
			}
		})
	}
}

// Ensure a reset link sets a new password and leaves the status alone.
func TestActivateReset(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com")
	if _, err := db.Activate(mustLink(t, db, ada, roster.TokenInvite), approve(t, ada, "first password!"), "a"); err != nil {
		t.Fatal(err)
	}
	first, _ := db.User(local, ada.ID)
	u, err := db.Activate(mustLink(t, db, ada, roster.TokenReset), approve(t, ada, "second password!"), "b")
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != roster.StatusActive || !u.ActivatedAt.Equal(first.ActivatedAt) || !u.PasswordSetAt.After(first.PasswordSetAt) {
		t.Fatalf("after reset: %+v (first activation %v)", u, first.ActivatedAt)
	}
	if ok, _ := password.Verify(u.PasswordHash, "second password!"); !ok {
		t.Fatal("reset did not store the new password")
	}
	if ev := lastEvent(t, db); ev.Action != roster.ActionPasswordReset {
		t.Fatalf("audit event %+v", ev)
	}
}

// Ensure a value that is not an argon2id hash is never stored.
func TestActivateRejectsBadHash(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com")
	raw := mustLink(t, db, ada, roster.TokenInvite)
	_, err := db.Activate(raw, password.Approved{}, "x")
	wantErr(t, err, roster.EINVALID, "password")
	if _, _, err := db.LookupToken(raw); err != nil {
		t.Fatalf("a refused hash consumed the token: %v", err)
	}
}

// Ensure RecordTokenRefused audits dead links with their reason and stays
// quiet for live ones.
func TestRecordTokenRefused(t *testing.T) {
	db := MustOpenDB(t)
	clock := useManualClock(db)
	ada := mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com")
	raw := mustLink(t, db, ada, roster.TokenInvite)
	before := lastEvent(t, db)
	if err := db.RecordTokenRefused(raw, "x"); err != nil {
		t.Fatal(err)
	}
	if ev := lastEvent(t, db); ev.ID != before.ID {
		t.Fatalf("a live token was audited as refused: %+v", ev)
	}
	if err := db.RecordTokenRefused("never-issued", "x"); err != nil {
		t.Fatal(err)
	}
	if ev := lastEvent(t, db); ev.ID != before.ID {
		t.Fatalf("an unknown token was audited: %+v", ev)
	}
	clock.Add(25 * time.Hour)
	if err := db.RecordTokenRefused(raw, "203.0.113.9"); err != nil {
		t.Fatal(err)
	}
	ev := lastEvent(t, db)
	if ev.Action != roster.ActionTokenRefused || !strings.Contains(ev.Details, "expired") || ev.Targets[0] != "ada" {
		t.Fatalf("refusal event %+v", ev)
	}
}

// Ensure SetPassword lets users change their own password, follows powers
// for everyone else's, and audits without the hash.
func TestSetPassword(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com")
	bob := mustCreate(t, db, "bob", "Bob Babbage", "bob@example.com")
	if _, err := db.SetStatus(local, []uint64{ada.ID, bob.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	adaActor := roster.Actor{Name: "ada", UserID: ada.ID, Role: roster.RoleMember}

	h := approve(t, ada, "my own password")
	if err := db.SetPassword(adaActor, ada.ID, h); err != nil {
		t.Fatalf("own password: %v", err)
	}
	if u, _ := db.User(local, ada.ID); u.PasswordHash != h.Hash() || u.PasswordSetAt.IsZero() {
		t.Fatalf("own password not stored: %+v", u)
	}
	ev := lastEvent(t, db)
	if ev.Action != roster.ActionPasswordSet || ev.Actor != "ada" || strings.Contains(ev.Details, "$argon2id$") {
		t.Fatalf("audit event %+v", ev)
	}

	// Ensure a member cannot set someone else's password.
	err := db.SetPassword(adaActor, bob.ID, approve(t, bob, "my own password"))
	wantErr(t, err, roster.EFORBIDDEN, "")
	if u, _ := db.User(local, bob.ID); u.PasswordHash != "" {
		t.Fatal("a forbidden change was stored")
	}
	// Ensure local use (owner powers) can.
	if err := db.SetPassword(local, bob.ID, approve(t, bob, "my own password")); err != nil {
		t.Fatal(err)
	}
	wantErr(t, db.SetPassword(local, 999, h), roster.ENOTFOUND, "")
	// Ensure a password approved for another user is refused (the policy
	// compares it with the username and address), and that the policy
	// itself runs before any hash exists.
	wantErr(t, db.SetPassword(local, bob.ID, h), roster.EINVALID, "password")
	_, err = password.Approve("bob", bob.Username, bob.Email, nil)
	wantErr(t, err, roster.EINVALID, "password")
}
