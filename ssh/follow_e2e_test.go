package ssh

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/tui"
)

// Ensure, with OpenSSH's client in a real terminal, the attacker's steps
// of issue 13 fail: an admin is signed in with the administration app; an
// owner demotes them from another process; without a key press the
// session shows My account with a line saying the role changed, and the
// admin screens (the user list, the audit log, the add form) are gone.
// Promoted again, the same session gets the administration app back.
func TestOpenSSHDemotedAdminLosesAdminApp(t *testing.T) {
	db := storetest.Open(t)
	// With mail, so the admin app has its Mailbox key (M).
	ts := startServerOn(t, db, Config{App: TerminalApp(db, tui.Services{Mail: devMailboxOnly{}})})
	o := newOpenSSH(t, ts)
	adminKey := ts.addUserWithKey(t, o.dir, "adam", roster.RoleAdmin)
	ts.addUserWithKey(t, o.dir, "olga", roster.RoleOwner)
	ts.addUserWithKey(t, o.dir, "mia", roster.RoleMember)
	owner, err := ts.db.FindUser(local, "olga")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := ts.db.FindUser(local, "adam")
	if err != nil {
		t.Fatal(err)
	}

	w := o.connect("adam", adminKey)
	w.waitScreen("3 shown")
	w.waitScreen("olga@example.com")

	other := ts.otherProcess(t)
	start := time.Now()
	setRole(t, other, owner, admin, roster.RoleMember)
	w.waitScreen("Your role changed from admin to member")
	t.Logf("re-routed %s after the demotion", time.Since(start).Round(time.Millisecond))
	w.waitScreen("My account · adam")
	for _, gone := range []string{"3 shown", "olga@example.com", "mia@example.com"} {
		if strings.Contains(w.screen(), gone) {
			t.Errorf("the demoted admin still sees %q:\n%s", gone, w.screen())
		}
	}
	// The admin app's keys reach nothing now: the mailbox, the audit log,
	// the groups, the add form. ("d" then opens My account's own question
	// to remove a key, which shows that the keys before it were taken; a
	// member adds no key herself since issue 13.)
	w.keys("M")
	w.waitUntilGone("Your role changed")
	w.keys("L", "G", "n", "d")
	w.waitScreen("Remove key ")
	for _, gone := range []string{"Mailbox", "Audit log", "directory-readers", "Add new user", "3 shown", "olga@example.com"} {
		if strings.Contains(w.screen(), gone) {
			t.Errorf("after the admin keys the demoted admin sees %q:\n%s", gone, w.screen())
		}
	}
	w.keys("Escape")
	w.waitUntilGone("Remove key ")

	setRole(t, other, owner, admin, roster.RoleAdmin)
	w.waitScreen("Your role changed from member to admin")
	w.waitScreen("3 shown")
	w.keys("q")
	w.waitScreen("SSH-EXIT=0")
}

// Ensure, with OpenSSH's client, one member cannot take every session:
// their fourth connection is refused at sign-in with a banner saying why,
// and the owner still gets in.
func TestOpenSSHSessionLimitPerUser(t *testing.T) {
	ts := startRealServer(t, Config{MaxSessions: 6})
	o := newOpenSSH(t, ts)
	memberKey := ts.addUserWithKey(t, o.dir, "mia", roster.RoleMember)
	ownerKey := ts.addUserWithKey(t, o.dir, "olga", roster.RoleOwner)
	for range DefaultMaxPerUser {
		w := o.connect("mia", memberKey)
		w.waitScreen("My account · mia")
	}
	refused := o.connect("mia", memberKey)
	refused.waitScreen("SSH-EXIT=255")
	refused.waitScreen("you already have 3 connections open, the most one user may have at once")
	if strings.Contains(refused.screen(), "My account") {
		t.Errorf("the refused session showed the app:\n%s", refused.screen())
	}
	w := o.connect("olga", ownerKey)
	w.waitScreen("2 shown")
}

// waitUntilGone waits until the screen no longer shows text.
func (w *window) waitUntilGone(text string) {
	w.o.t.Helper()
	deadline := time.Now().Add(waitFor)
	for strings.Contains(w.screen(), text) {
		if time.Now().After(deadline) {
			w.o.t.Fatalf("timed out waiting for %q to go from %s; screen:\n%s", text, w.name, w.screen())
		}
		time.Sleep(50 * time.Millisecond) // polling the screen, with a deadline
	}
}

// devMailboxOnly stands for mail delivered to the dev mailbox: it turns on
// the admin app's Mailbox screen, which reads the store's mailbox, and
// sends nothing.
type devMailboxOnly struct{}

var errNoMail = errors.New("this test sends no mail")

func (devMailboxOnly) Invite(roster.Actor, []uint64) (store.Queued, error) {
	return store.Queued{}, errNoMail
}

func (devMailboxOnly) QueueResets(roster.Actor, []uint64) (store.Queued, error) {
	return store.Queued{}, errNoMail
}
func (devMailboxOnly) Progress([]uint64) (store.JobCounts, error) { return store.JobCounts{}, nil }
func (devMailboxOnly) Mode() string                               { return "dev mailbox" }
func (devMailboxOnly) DevMailbox() bool                           { return true }
func (devMailboxOnly) BaseURL() string                            { return "http://127.0.0.1:8080" }

// Ensure, with OpenSSH's client, members cannot lock the owners out: two
// members fill every slot but the two kept for owners, the next member
// is refused with a message saying so, and the owner gets in.
func TestOpenSSHOwnersKeepTheirSlots(t *testing.T) {
	ts := startRealServer(t, Config{MaxSessions: 4})
	o := newOpenSSH(t, ts)
	miaKey := ts.addUserWithKey(t, o.dir, "mia", roster.RoleMember)
	maxKey := ts.addUserWithKey(t, o.dir, "max", roster.RoleMember)
	ownerKey := ts.addUserWithKey(t, o.dir, "olga", roster.RoleOwner)
	o.connect("mia", miaKey).waitScreen("My account · mia")
	o.connect("max", maxKey).waitScreen("My account · max")
	refused := o.connect("mia", miaKey)
	refused.waitScreen("SSH-EXIT=1")
	refused.waitScreen("every session open but the 2 kept for owners")
	if strings.Contains(refused.screen(), "My account") {
		t.Errorf("the refused member's session showed the app:\n%s", refused.screen())
	}
	o.connect("olga", ownerKey).waitScreen("3 shown")
}
