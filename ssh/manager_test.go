package ssh

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/tui"
)

// Ensure a group manager signs in to the administration app scoped to
// their groups (issue 18): the list shows the users of staff and of devs,
// nested in it, and nobody else; the group filter offers staff and devs
// only; an action on another manager is shown disabled with the reason,
// and the store refuses it when forced with the session's actor.
func TestManagerSignsInToTheirGroups(t *testing.T) {
	db := storetest.Open(t)
	ts := startServerOn(t, db, Config{App: TerminalApp(db, tui.Services{})})
	for _, g := range []string{"staff", "devs", "sales", "board"} {
		if _, err := db.CreateGroup(local, g, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.NestGroup(local, "devs", "staff"); err != nil {
		t.Fatal(err)
	}
	mona, monaKey := ts.addUser("mona", roster.RoleMember, roster.StatusActive)
	users := map[string]*roster.User{}
	for name, group := range map[string]string{"gus": "staff", "ned": "devs", "mel": "staff", "max": "sales", "bob": "board"} {
		users[name], _ = ts.addUser(name, roster.RoleMember, roster.StatusActive)
		if _, err := db.AddToGroup(local, []uint64{users[name].ID}, group); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct {
		group string
		id    uint64
	}{{"staff", mona.ID}, {"board", users["mel"].ID}} {
		if err := db.SetManager(local, m.group, m.id, true); err != nil {
			t.Fatal(err)
		}
	}

	tm := ts.openTerm("mona", monaKey, 140, 36)
	for _, want := range []string{"gus@example.com", "ned@example.com", "mel@example.com"} {
		tm.waitScreen(want)
	}
	for _, hidden := range []string{"max", "bob", "sales", "board"} {
		if strings.Contains(tm.screen(), hidden) {
			t.Errorf("the manager of staff sees %q:\n%s", hidden, tm.screen())
		}
	}
	// The group filter offers her groups only.
	tm.press("g")
	tm.waitScreen("Show the users of group")
	for _, hidden := range []string{"sales", "board"} {
		if strings.Contains(tm.screen(), hidden) {
			t.Errorf("the group filter offers %q:\n%s", hidden, tm.screen())
		}
	}
	tm.press("\x1b")
	tm.waitUntil("the group filter closes", func() bool { return !strings.Contains(tm.screen(), "Show the users of group") })

	// mel manages board: mona's menu shows Disable disabled, with why.
	tm.press("/")
	tm.press("mel")
	tm.press("\r")
	tm.waitUntil("the list shows mel alone", func() bool {
		s := tm.screen()
		return strings.Contains(s, "mel@example.com") && !strings.Contains(s, "gus@example.com")
	})
	tm.press("a")
	tm.waitScreen("Disable")
	tm.waitScreen("they manage a group too")
	tm.press("\x1b")
	tm.waitUntil("the menu closes", func() bool { return !strings.Contains(tm.screen(), "Actions for mel") })

	// A opens her own account over the list; esc goes back.
	tm.press("A")
	tm.waitScreen("Last sign-ins")
	tm.waitScreen("mona@example.com")
	tm.press("\x1b")
	tm.waitUntil("her account closes", func() bool { return !strings.Contains(tm.screen(), "Last sign-ins") })

	// Forced through the store with the session's actor: refused.
	actor := roster.Actor{Name: "mona", UserID: mona.ID, Role: roster.RoleMember}
	res, err := db.SetStatus(actor, []uint64{users["mel"].ID, users["max"].ID, users["gus"].ID}, roster.StatusDisabled)
	if err != nil || strings.Join(res.Changed, " ") != "gus" || len(res.Skipped) != 2 {
		t.Errorf("forced disable: %v, %+v", err, res)
	}
	name := "Mel M"
	if _, err := db.UpdateUser(actor, users["mel"].ID, roster.UserUpdate{Name: &name}); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("forced edit of another manager: %v", err)
	}
	// Her change shows in her list, and the audit log names her.
	tm.waitScreen("mel@example.com")
	events, err := db.AuditEvents(local, store.AuditFilter{Limit: 1})
	if err != nil || len(events) == 0 || events[0].Actor != "mona" || events[0].Action != roster.ActionUserStatus {
		t.Errorf("newest event %+v, %v", events[0], err)
	}
}

// Ensure a live session follows its user being made and unmade a manager,
// as it follows a role change.
func TestManagerSessionFollows(t *testing.T) {
	db := storetest.Open(t)
	ts := startServerOn(t, db, Config{App: TerminalApp(db, tui.Services{})})
	if _, err := db.CreateGroup(local, "staff", ""); err != nil {
		t.Fatal(err)
	}
	mona, monaKey := ts.addUser("mona", roster.RoleMember, roster.StatusActive)
	gus, _ := ts.addUser("gus", roster.RoleMember, roster.StatusActive)
	if _, err := db.AddToGroup(local, []uint64{gus.ID}, "staff"); err != nil {
		t.Fatal(err)
	}
	tm := ts.openTerm("mona", monaKey, 140, 36)
	tm.waitScreen("Last sign-ins") // My account
	if err := db.SetManager(local, "staff", mona.ID, true); err != nil {
		t.Fatal(err)
	}
	tm.waitScreen("You now manage groups")
	tm.waitScreen("gus@example.com")
	if err := db.SetManager(local, "staff", mona.ID, false); err != nil {
		t.Fatal(err)
	}
	tm.waitScreen("You no longer manage a group")
	tm.waitScreen("Last sign-ins")
	if strings.Contains(tm.screen(), "gus@example.com") {
		t.Errorf("no longer a manager, she still sees gus:\n%s", tm.screen())
	}
}
