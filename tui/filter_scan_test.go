package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
)

// Ensure the filter's scan in memory order (keys searched chunk by chunk
// into a bitmap, then the order walked) keeps exactly the rows a plain
// test of every row keeps, in the same order, for queries that match
// names with accents, usernames, e-mails, roles or nothing, under every
// tab, role and group filter and every sort.
func TestFilterScanMatchesEveryRow(t *testing.T) {
	db := mustOpenDB(t)
	if err := db.LoadDemo(testActor, demo.Make(6000, 8, 11), nil); err != nil {
		t.Fatal(err)
	}
	addUser(t, db, "zoe", "Zoë Ångström", "ZOE@Example.com")
	addUser(t, db, "kelvin", "Kelvin Owner", "k@example.com") // lower-cases to ASCII
	parallelMin = 64                                          // keys in one chunk per core, as at a million users
	t.Cleanup(func() { parallelMin = 1 << 15 })
	snap, err := loadSnapshot(db, testActor)
	if err != nil {
		t.Fatal(err)
	}
	snap.withKeys()
	if len(snap.keys) < 2 {
		t.Logf("the keys are in %d chunk(s): one core", len(snap.keys))
	}
	plain := func(base []int32, st roster.Status, within []uint64, role roster.Role, q string) []int32 {
		var out []int32
		for _, i := range base {
			u := snap.user(i)
			if !tabMatch(st, &snap.rows[i]) || (within != nil && !u.InAnyGroup(within)) || (role != 0 && u.Role != role) {
				continue
			}
			text := strings.ToLower(u.Name) + "\x00" + u.Username + "\x00" + strings.ToLower(u.Email)
			if q == "" || strings.Contains(text, q) || strings.Contains(u.Role.String(), q) {
				out = append(out, i)
			}
		}
		return out
	}
	queries := []string{"", "a", "an", "ström", "zoe@", "example.org", "owner", "mem", "\x00", "nobody-matches-this", "ë"}
	for _, by := range listSorts {
		base := snap.order(by, by == roster.SortEmail)
		for _, q := range queries {
			for _, st := range statusTabs {
				for _, gid := range []uint64{0, snap.groups[0].ID} {
					for _, role := range []roster.Role{0, roster.RoleMember, roster.RoleOwner} {
						var within []uint64
						if gid != 0 {
							within = snap.nest.Within(gid)
						}
						got := filterRows(snap, base, st, gid, role, q, true)
						if want := plain(base, st, within, role, q); !slices.Equal(got, want) {
							t.Fatalf("sort %v, q %q, tab %v, group %d, role %v: %d rows, want %d", by, q, st, gid, role, len(got), len(want))
						}
					}
				}
			}
		}
	}
}
