package ssh

import (
	"strings"
	"sync/atomic"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
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
	db := storetest.Open(t)
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

// Ensure one user may open MaxSessionsPerUser connections and no more:
// the next is refused at sign-in with a banner saying so, while another
// user still gets a slot; closing a session frees the user's slot.
func TestSessionLimitPerUser(t *testing.T) {
	ts := startServer(t, Config{MaxSessions: 6, MaxSessionsPerUser: 3})
	_, memberKey := ts.addUser("mia", roster.RoleMember, roster.StatusActive)
	_, ownerKey := ts.addUser("olga", roster.RoleOwner, roster.StatusActive)
	var mine []*term
	for range 3 {
		tm := ts.openTerm("mia", memberKey, 80, 24)
		tm.waitScreen("probe mia")
		mine = append(mine, tm)
	}
	banner, err := ts.dialBanner("mia", memberKey)
	if err == nil {
		t.Fatal("a fourth connection signed in")
	}
	if !strings.Contains(banner, "you already have 3 connections open, the most one user may have") {
		t.Errorf("fourth connection's banner %q (err %v)", banner, err)
	}
	o := ts.openTerm("olga", ownerKey, 80, 24)
	o.waitScreen("probe olga owner")

	mine[0].press("q")
	mine[0].exitStatus()
	mine[0].close()
	waitCond(t, "the first connection is gone", func() bool { _, n := ts.srv.conns.counts("", "mia"); return n == 2 })
	again := ts.openTerm("mia", memberKey, 80, 24)
	again.waitScreen("probe mia")
}

// stubModel records what it is given; its commands are the test's.
type stubModel struct {
	role roster.Role
	got  []tea.Msg
	cmd  tea.Cmd // returned by Init and every Update
}

type stubMsg struct{ n int }

func (m *stubModel) Init() tea.Cmd { return m.cmd }
func (m *stubModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.got = append(m.got, msg)
	return m, nil
}
func (m *stubModel) View() tea.View { return tea.NewView("stub " + m.role.String()) }

// Ensure a replaced app's commands that finish after a re-route deliver
// nothing, batched ones included, while the new app's do; and the new
// app hears what the terminal said about itself and its size less the
// notice line.
func TestRouterDropsTheReplacedAppsMessages(t *testing.T) {
	var apps []*stubModel
	app := func(s Session) tea.Model {
		n := len(apps)
		m := &stubModel{role: s.Actor.Role}
		m.cmd = tea.Batch(func() tea.Msg { return stubMsg{n} }, func() tea.Msg { return stubMsg{n + 100} })
		apps = append(apps, m)
		return m
	}
	r := newRouter(app, Session{Actor: roster.Actor{Name: "adam", UserID: 2, Role: roster.RoleAdmin}, Width: 80, Height: 24})
	oldCmd := r.Init()
	// The program has started the old app's batch: its commands run on.
	batch, ok := oldCmd().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("old Init delivered %#v", oldCmd())
	}
	r.Update(tea.BackgroundColorMsg{})

	r.Update(roleChangedMsg{actor: roster.Actor{Name: "adam", UserID: 2, Role: roster.RoleMember}})
	if len(apps) != 2 || apps[1].role != roster.RoleMember {
		t.Fatalf("apps after the re-route: %d", len(apps))
	}
	// ... and finish after the re-route, delivering nothing; the same for
	// a whole command of the old app.
	for _, c := range batch {
		if msg := c(); msg != nil {
			t.Errorf("the replaced app's command delivered %#v", msg)
		}
	}
	if msg := oldCmd(); msg != nil {
		t.Errorf("the replaced app's Init delivered %#v", msg)
	}
	// The new app's commands deliver.
	newBatch, _ := r.wrap(apps[1].cmd)().(tea.BatchMsg)
	if len(newBatch) != 2 || newBatch[0]() != (stubMsg{1}) {
		t.Errorf("the new app's commands: %v", newBatch)
	}
	var sawColour, sawSize bool
	for _, msg := range apps[1].got {
		switch msg := msg.(type) {
		case tea.BackgroundColorMsg:
			sawColour = true
		case tea.WindowSizeMsg:
			sawSize = msg == tea.WindowSizeMsg{Width: 80, Height: 23}
		}
	}
	if !sawColour || !sawSize {
		t.Errorf("the new app heard %v", apps[1].got)
	}
	if v := r.View(); !strings.HasPrefix(ansi.Strip(v.Content), "Your role changed from admin to member") || !strings.HasSuffix(v.Content, "stub member") {
		t.Errorf("view %q", v.Content)
	}
	// The same role again changes nothing.
	r.Update(roleChangedMsg{actor: roster.Actor{Name: "adam", UserID: 2, Role: roster.RoleMember}})
	if len(apps) != 2 {
		t.Errorf("re-routed to the role it had")
	}
}
