package tui

import (
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure the list's group filter matches effective membership: a member
// of a group nested in the chosen one is shown.
func TestGroupFilterNested(t *testing.T) {
	groups := []*roster.Group{
		{ID: 1, Name: "staff", Children: []uint64{2}},
		{ID: 2, Name: "dev", Children: []uint64{3}},
		{ID: 3, Name: "backend"},
		{ID: 4, Name: "ops"},
	}
	users := []*roster.User{
		{ID: 1, Username: "ann", GroupIDs: []uint64{3}},
		{ID: 2, Username: "oli", GroupIDs: []uint64{4}},
		{ID: 3, Username: "sam", GroupIDs: []uint64{1}},
	}
	s := snapshotOf(users, groups, 0)
	base := []int32{0, 1, 2}
	for gid, want := range map[uint64]string{1: "ann sam", 2: "ann", 3: "ann", 4: "oli"} {
		got := ""
		for _, i := range filterRows(s, base, 0, gid, 0, "", true) {
			if got != "" {
				got += " "
			}
			got += s.rows[i].Username
		}
		if got != want {
			t.Errorf("group %d shows %q, want %q", gid, got, want)
		}
	}
}

// Ensure the groups screen says where a group is nested, and follows a
// change made elsewhere.
func TestGroupsScreenShowsNesting(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	if err := db.NestGroup(testActor, "sales", "engineering"); err != nil {
		t.Fatal(err)
	}
	h := start(t, db, 100, 30)
	h.waitText("Ada Lovelace")
	h.keys("G")
	h.waitText("Groups", "in engineering")
	if err := db.UnnestGroup(testActor, "sales", "engineering"); err != nil {
		t.Fatal(err)
	}
	h.waitGone("in engineering")
}
