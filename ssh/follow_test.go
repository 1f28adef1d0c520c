package ssh

import (
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// otherProcess opens the test server's database a second time, as another
// roster process (the CLI, or an owner's own TUI) would.
func (ts *testServer) otherProcess(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(ts.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// setRole changes a user's role as the owner, through db.
func setRole(t *testing.T, db *store.DB, owner *roster.User, u *roster.User, role roster.Role) {
	t.Helper()
	by := roster.Actor{Name: owner.Username, UserID: owner.ID, Role: roster.RoleOwner}
	if _, err := db.SetRole(by, []uint64{u.ID}, role); err != nil {
		t.Fatalf("set %s's role to %s: %v", u.Username, role, err)
	}
}

// Ensure a session follows its user's role without a key press: demoted,
// it runs the app made for the new role, with a line saying why; promoted
// again, likewise; other sessions are left alone.
func TestRoleChangeReroutes(t *testing.T) {
	ts := startServer(t, Config{})
	owner, ownerKey := ts.addUser("olga", roster.RoleOwner, roster.StatusActive)
	admin, adminKey := ts.addUser("adam", roster.RoleAdmin, roster.StatusActive)
	a := ts.openTerm("adam", adminKey, 100, 24)
	o := ts.openTerm("olga", ownerKey, 100, 24)
	a.waitScreen("probe adam admin 100x24")
	o.waitScreen("probe olga owner")
	other := ts.otherProcess(t)

	setRole(t, other, owner, admin, roster.RoleMember)
	a.waitScreen("probe adam member")
	a.waitScreen("Your role changed from admin to member")
	// The notice takes a line from the app, and gives it back on a key.
	a.waitScreen("100x23")
	a.press("x")
	a.waitUntil("the notice is gone", func() bool {
		s := a.screen()
		return !strings.Contains(s, "Your role changed") && strings.Contains(s, "probe adam member 100x24")
	})

	setRole(t, other, owner, admin, roster.RoleAdmin)
	a.waitScreen("probe adam admin")
	a.waitScreen("Your role changed from member to admin")
	if s := o.screen(); strings.Contains(s, "Your role changed") || !strings.Contains(s, "probe olga owner") {
		t.Errorf("the owner's session changed:\n%s", s)
	}
	a.press("q")
	if code := a.exitStatus(); code != 0 {
		t.Errorf("exit status %d after a re-route", code)
	}
}

// Ensure a change that leaves the role alone (a new name) does not
// re-route the session.
func TestOtherChangesDoNotReroute(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	var made atomic.Int32
	app := probeApp(db)
	ts := startServerOn(t, db, Config{App: func(s Session) tea.Model { made.Add(1); return app(s) }})
	_, adminKey := ts.addUser("adam", roster.RoleAdmin, roster.StatusActive)
	a := ts.openTerm("adam", adminKey, 80, 24)
	a.waitScreen("probe adam admin")
	if _, err := ts.db.CreateUser(local, roster.NewUser{Username: "zed", Name: "Zed", Email: "zed@example.com"}); err != nil {
		t.Fatal(err)
	}
	a.waitScreen("users: adam zed")
	// The server has looked at the change by now: the session's probe
	// polls faster than the server, so wait for the server's own look.
	seen, _ := ts.db.Changes()
	waitCond(t, "the server looked at the change", func() bool { return ts.srv.lastFollowed() >= seen })
	if made.Load() != 1 || strings.Contains(a.screen(), "Your role changed") {
		t.Errorf("app made %d times; screen:\n%s", made.Load(), a.screen())
	}
}

// Ensure one user may open MaxSessionsPerUser sessions and no more, with
// a message saying so, while another user still gets the server's last
// slot; closing a session frees the user's slot.
func TestSessionLimitPerUser(t *testing.T) {
	ts := startServer(t, Config{MaxSessions: 4, MaxSessionsPerUser: 3})
	_, memberKey := ts.addUser("mia", roster.RoleMember, roster.StatusActive)
	_, ownerKey := ts.addUser("olga", roster.RoleOwner, roster.StatusActive)
	var mine []*term
	for range 3 {
		tm := ts.openTerm("mia", memberKey, 80, 24)
		tm.waitScreen("probe mia")
		mine = append(mine, tm)
	}
	fourth := ts.openTerm("mia", memberKey, 80, 24)
	if code := fourth.exitStatus(); code != 1 {
		t.Errorf("fourth session exit status %d, want 1", code)
	}
	if out := fourth.output(); !strings.Contains(out, "you already have 3 sessions open, the most one user may have") || strings.Contains(out, "probe") {
		t.Errorf("fourth session output %q", out)
	}
	o := ts.openTerm("olga", ownerKey, 80, 24)
	o.waitScreen("probe olga owner")

	mine[0].press("q")
	mine[0].exitStatus()
	waitCond(t, "the first session is gone", func() bool { return ts.srv.sessions.count() == 3 })
	again := ts.openTerm("mia", memberKey, 80, 24)
	again.waitScreen("probe mia")
}
