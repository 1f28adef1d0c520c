package tui

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// statusOf returns a user's status in the store.
func (h *harness) statusOf(username string) roster.Status { return h.user(username).Status }

// Ensure Activate on a selection asks with the count, changes the store
// and says what was skipped.
func TestActionActivate(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("space", "space") // Ada (active), Alan (pending)
	h.waitText("2 selected")
	h.keys("a")
	h.waitText("Actions for 2 users", "Mark active without invitation (1)", "Delete (2)")
	h.keys("enter")
	h.waitText("Mark 2 users active without an invitation?")
	h.keys("y")
	h.waitText("Done: 1 marked active; 1 skipped: 1 already active")
	if got := h.statusOf("alan"); got != roster.StatusActive {
		t.Errorf("alan is %s", got)
	}
	h.keys("enter")
	h.waitText("1 marked active; 1 skipped", "3 active") // summary in the status line, header refreshed
}

// Ensure an action on one user (no selection) runs without asking.
func TestActionDisableOne(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("a")
	h.waitText("Actions for ada (Ada Lovelace)")
	h.keys("2") // Disable, by number
	h.waitText("Done: 1 disabled")
	if got := h.statusOf("ada"); got != roster.StatusDisabled {
		t.Errorf("ada is %s", got)
	}
}

// Ensure add to group and remove from group use the group picker.
func TestActionGroups(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("ctrl+a", "a", "3")
	h.waitText("Choose a group", "engineering", "sales")
	h.typeText("sal")
	h.waitBoxGone("engineering")
	h.keys("enter")
	h.waitText("Add 5 users to sales?")
	h.keys("y")
	h.waitText("Done: 3 added to sales; 2 skipped: 2 already in sales")
	g, _ := db.Group(testActor, "sales")
	if g.Members != 5 {
		t.Errorf("sales has %d members", g.Members)
	}
	h.keys("enter")
	h.keys("a", "4")
	h.waitText("Choose a group")
	h.typeText("eng")
	h.waitBoxGone("sales")
	h.keys("enter")
	h.waitText("Remove 5 users from engineering?")
	h.keys("y")
	h.waitText("Done: 2 removed from engineering; 3 skipped: 3 not in engineering")
	if g, _ := db.Group(testActor, "engineering"); g.Members != 0 {
		t.Errorf("engineering has %d members", g.Members)
	}
}

// Ensure Change role asks for the role and a confirmation.
func TestActionRole(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("space", "space", "a", "5")
	h.waitText("Give 2 users the role", "member", "owner")
	h.keys("down", "enter")
	h.waitText("Make 2 users admin?")
	h.keys("y")
	h.waitText("Done: 2 made admin")
	for _, n := range []string{"ada", "alan"} {
		if r := h.user(n).Role; r != roster.RoleAdmin {
			t.Errorf("%s is %s", n, r)
		}
	}
}

// Ensure deleting several users needs the count typed, and a wrong count
// deletes nothing.
func TestActionDeleteMany(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("2", "ctrl+a", "a", "6") // the two pending users
	h.waitText("Delete 2 users?", "cannot be undone", "Type 2")
	h.typeText("3")
	h.keys("enter")
	h.waitText("Delete 2 users?")
	if users, _ := db.AllUsers(testActor); len(users) != 5 {
		t.Fatalf("a wrong count deleted users: %d left", len(users))
	}
	h.typeText("2")
	h.keys("enter")
	h.waitText("Done: 2 deleted")
	users, _ := db.AllUsers(testActor)
	var names []string
	for _, u := range users {
		names = append(names, u.Username)
	}
	slices.Sort(names)
	if got := strings.Join(names, ","); got != "ada,grace,ken" {
		t.Errorf("left: %s", got)
	}
	h.keys("enter")
	h.waitText("No users match")
	h.keys("2")
	s := h.waitText("0 shown")
	if strings.Contains(s, "selected") {
		t.Errorf("deleted users stay selected:\n%s", s)
	}
}

// Ensure deleting one user asks first.
func TestActionDeleteOne(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("a", "6")
	h.waitText("Delete ada (Ada Lovelace)?", "y yes")
	h.keys("y")
	h.waitText("Done: 1 deleted")
	if _, err := db.FindUser(testActor, "ada"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("ada still there: %v", err)
	}
}

// Ensure every way out of the actions flow leaves the store alone.
func TestActionCancelPaths(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	before, _ := db.Changes()
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("ctrl+a")
	// Each key's screen is waited for, and the end waits for every dialog
	// to be gone ("5 selected" alone was on the screen all along, so the
	// test passed without waiting for anything).
	const menu, question, typing, roles = "Actions for 5 users", "y yes", "Type 5", "the role"
	closed := func(s string) bool {
		for _, open := range []string{"Actions for", question, typing, roles} {
			if strings.Contains(s, open) {
				return false
			}
		}
		return strings.Contains(s, "5 selected")
	}
	type step struct{ key, then string }
	for _, path := range [][]step{
		{{"a", menu}, {"esc", ""}},                                         // leave the menu
		{{"a", menu}, {"2", question}, {"n", ""}},                          // say no
		{{"a", menu}, {"2", question}, {"esc", ""}},                        // esc at the question
		{{"a", menu}, {"6", typing}, {"5", typing}, {"esc", ""}},           // type the count, then esc
		{{"a", menu}, {"3", "Choose a group"}, {"esc", menu}, {"esc", ""}}, // leave the group picker, then the menu
		{{"a", menu}, {"5", roles}, {"esc", menu}, {"esc", ""}},            // leave the role list, then the menu
	} {
		for _, st := range path {
			h.keys(st.key)
			if st.then == "" {
				h.waitFor("every dialog closed", closed)
			} else {
				h.waitText(st.then)
			}
		}
	}
	if after, _ := db.Changes(); after != before {
		t.Errorf("the change counter moved from %d to %d", before, after)
	}
}

// Ensure long work runs in batches with a progress bar and esc stops it
// after the current batch. The action is a plug-in one, appended through
// Options.Actions, which also proves the menu takes new actions.
func TestActionProgressAndCancel(t *testing.T) {
	db := mustOpenDB(t)
	n := 3*BatchSize + 10
	var inputs []roster.NewUser
	for i := range n {
		inputs = append(inputs, roster.NewUser{Username: fmt.Sprintf("u%04d", i), Name: fmt.Sprintf("User %04d", i), Email: fmt.Sprintf("u%04d@example.com", i)})
	}
	if _, err := db.CreateUsers(testActor, inputs); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var batches atomic.Int32
	slow := Action{Label: "Slow thing", Verb: "thinged", Run: func(c *Common, ids []uint64, _ string) (roster.BulkResult, error) {
		batches.Add(1)
		<-release
		var r roster.BulkResult
		for range ids {
			r.Changed = append(r.Changed, "x")
		}
		return r, nil
	}}
	h := startWith(t, db, 120, 30, Options{Actions: []Action{slow}})
	h.waitText("User 0000")
	h.keys("ctrl+a", "a")
	h.waitText("Slow thing")
	h.keys("7") // after the six built-in actions
	h.waitText(fmt.Sprintf("Slow thing %d users?", n))
	h.keys("y")
	h.waitText("0 of 1510 done", "0%")
	release <- struct{}{}
	h.waitText("500 of 1510 done", "33%")
	h.keys("esc")
	h.waitText("Cancelling after this batch")
	release <- struct{}{}
	h.waitText("Done: 1000 thinged; cancelled with 510 not done")
	if b := batches.Load(); b != 2 {
		t.Errorf("%d batches ran", b)
	}
	close(release)
}

// startWith is start with extra options.
func startWith(t *testing.T, db *store.DB, w, hgt int, o Options) *harness {
	t.Helper()
	return startOpts(t, db, w, hgt, o)
}
