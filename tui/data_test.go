package tui

import (
	"cmp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	"github.com/roster-dev/roster/store"
)

// Ensure the list's own sort (numeric keys, fixed-up runs) orders exactly
// as the store's SortUsers does, for every column and direction, on demo
// data full of equal names.
func TestOrderMatchesStore(t *testing.T) {
	db := mustOpenDB(t)
	if err := db.LoadDemo(testActor, demo.Make(3000, 8, 7), nil); err != nil {
		t.Fatal(err)
	}
	addUser(t, db, "long1", "Alexandrina Victoria of Kent B", "l1@example.com")
	addUser(t, db, "long0", "Alexandrina Victoria of Kent A", "l0@example.com")
	users, err := db.AllUsers(testActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, parallel := range []int{parallelMin, 64} { // one core, then every core
		parallelMin = parallel
		t.Cleanup(func() { parallelMin = 1 << 15 })
		orderMatchesStore(t, users)
	}
}

func orderMatchesStore(t *testing.T, users []*roster.User) {
	s := snapshotOf(users, nil, 0)
	s.withKeys()
	if parallelMin < len(users) && runtime.GOMAXPROCS(0) > 1 && len(s.keys) < 2 {
		t.Fatal("the keys were built on one core")
	}
	for _, by := range listSorts {
		for _, desc := range []bool{false, true} {
			want := slices.Clone(users)
			if by == sortRole {
				sortByRole(want)
			} else {
				store.SortUsers(want, by, desc)
			}
			if desc && by == sortRole {
				slices.Reverse(want)
			}
			got := s.order(by, desc)
			for i := range want {
				if s.rows[got[i]].ID != want[i].ID {
					t.Fatalf("%v desc=%v: row %d is %s, want %s", by, desc, i, s.rows[got[i]].Username, want[i].Username)
				}
			}
		}
	}
}

// Ensure fit pads and cuts to exactly n cells as the terminal counts them.
func TestFit(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc  "},
		{"abcdef", 4, "abc…"},
		{"山田太郎", 5, "山田…"},
		{"山田太郎", 6, "山田…"[:len("山田")] + "… "},
		{"👩‍💻 dev", 8, "👩💻 dev"},
		{"a\x1b[31mb", 4, "a␛[…"},
	} {
		s, w := cells{}.safe(c.in)
		got := cells{}.fit(s, w, c.n)
		if got != c.want {
			t.Errorf("fit(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
		if strings.Contains(got, "\x1b") {
			t.Errorf("fit(%q) lets an escape through", c.in)
		}
	}
}

// Ensure both ways of counting cells cut and pad a row to the same number
// of cells, each by its own count: grapheme clusters make an Indic
// conjunct narrower than code points do.
func TestCellsGraphemes(t *testing.T) {
	name := "प्रिया शर्मा"
	for _, k := range []cells{{}, {graphemes: true}} {
		s, w := k.safe(name)
		for _, n := range []int{3, 5, 8, 20} {
			got := k.fit(s, w, n)
			if gw := k.width(got); gw != n {
				t.Errorf("graphemes=%v fit(%q, %d) is %d cells: %q", k.graphemes, name, n, gw, got)
			}
		}
		left, lw := k.cut(s, 4)
		if k.width(left) != lw || lw > 4 {
			t.Errorf("graphemes=%v cut: %q is %d cells, said %d", k.graphemes, left, k.width(left), lw)
		}
		if got := left + k.skip(s, lw); got != s {
			t.Errorf("graphemes=%v cut+skip = %q, want %q", k.graphemes, got, s)
		}
	}
	if (cells{}).safeWidth(name) == (cells{graphemes: true}).safeWidth(name) {
		t.Log("the two counts agree on this name; the test shows less")
	}
}

// Issue 16, bug 10: a control character in a name is never drawn raw: a
// line break shows as its control picture, one cell wide.
func TestSafeShowsControls(t *testing.T) {
	for in, want := range map[string]string{
		"Perl\nman":         "Perl␊man",
		"tab\there":         "tab␉here",
		"bell\x07":          "bell␇",
		"del\x7f":           "del␡",
		"rtl\u202eoverride": "rtl\ufffdoverride",
	} {
		got, w := (cells{}).safe(in)
		if got != want || w != (cells{}).width(want) {
			t.Errorf("safe(%q) = %q (%d cells), want %q", in, got, w, want)
		}
	}
}

// sortByRole is the role order as the old list made it: owners first,
// then by name as it sorts, then by username.
func sortByRole(users []*roster.User) {
	slices.SortStableFunc(users, func(a, b *roster.User) int {
		if c := cmp.Compare(b.Role, a.Role); c != 0 {
			return c
		}
		if c := strings.Compare(store.SortKey(a.DisplayName()), store.SortKey(b.DisplayName())); c != 0 {
			return c
		}
		return strings.Compare(a.Username, b.Username)
	})
}
