package tui

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// indentOf returns the leading spaces of the screen's line holding text
// (-1 when none does).
func indentOf(screen, text string) int {
	for _, l := range strings.Split(screen, "\n") {
		if i := strings.Index(l, text); i >= 0 {
			return len(l) - len(strings.TrimLeft(l, " ›"))
		}
	}
	return -1
}

// Ensure the groups screen shows the tree, nests with >, refuses a cycle
// naming it, takes a group out with <, and makes and unmakes a manager
// with m (issue 18).
func TestGroupsScreenNestsAndManagers(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	addGroup(t, db, "backend")
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("G")
	h.waitText("4 groups")
	// The cursor is on backend, first by name.
	h.keys(">")
	h.waitText("Nest backend in")
	h.typeText("engin")
	h.keys("enter")
	h.waitText("Nested backend in engineering")
	h.waitFor("backend drawn inside engineering", func(s string) bool {
		return indentOf(s, "backend  ") > indentOf(s, "engineering  ")
	})
	// engineering (below directory-readers) into backend: a cycle, named.
	h.keys("j", ">")
	h.waitText("Nest engineering in")
	h.typeText("backend")
	h.keys("enter")
	h.waitText("would make a cycle: backend → engineering → backend")
	if err := db.NestGroup(testActor, "engineering", "backend"); err == nil {
		t.Fatal("the store nested engineering in backend")
	}
	// Down to backend; < takes it out of engineering.
	h.keys("j", "<")
	h.waitText("Took backend out of engineering")
	if g, _ := db.Group(testActor, "engineering"); len(g.Children) != 0 {
		t.Errorf("engineering still holds %v", g.Children)
	}
	// Once the tree is redrawn (backend first again), m: ada manages
	// backend, then no longer.
	h.waitGone("in engineering")
	h.keys("k", "k", "k")
	h.keys("m")
	h.waitText("Managers of")
	h.typeText("ada")
	h.keys("enter")
	h.waitText("ada now manages backend", "managed by ada")
	h.keys("m")
	h.waitText("Managers of")
	h.typeText("ada")
	h.keys("enter")
	h.waitText("ada no longer manages backend")
	h.waitGone("managed by ada")
}

// Seed 000 for a manager: the form's group picker offers only the group
// they manage and chooses it for them.
func TestManagerFormPicksTheirGroup(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	ada := h0user(t, db, "ada")
	if err := db.SetManager(testActor, "sales", ada.ID, true); err != nil {
		t.Fatal(err)
	}
	h := startOpts(t, db, 100, 30, Options{Actor: roster.Actor{Name: "ada", UserID: ada.ID, Role: roster.RoleMember}})
	h.waitText("Ken Thompson")
	if s := h.screen(); strings.Contains(s, "Grace Hopper") || strings.Contains(s, "Alan Turing") {
		t.Errorf("the manager of sales sees others:\n%s", s)
	}
	h.keys("n")
	h.focus("Username")
	s := h.waitText("[•] sales") // the only group she manages, pre-chosen
	if strings.Contains(s, "engineering") {
		t.Errorf("the form offers engineering:\n%s", s)
	}
	// A manager's users are members: the form offers no role to choose.
	if strings.Contains(s, "Role") || strings.Contains(s, "owner") {
		t.Errorf("the form offers a manager a role:\n%s", s)
	}
}

func h0user(t *testing.T, db interface {
	FindUser(roster.Actor, string) (*roster.User, error)
}, name string) *roster.User {
	t.Helper()
	u, err := db.FindUser(testActor, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
