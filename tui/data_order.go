package tui

import (
	"cmp"
	"runtime"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// firstRows returns the first n rows of the default order (by name, then
// username) without sorting them all: one pass keeps the n first seen so
// far, and a row is compared only with the last of them.
func (s *snapshot) firstRows(n int) []int32 {
	if s.namedReady() {
		o := s.order(roster.SortName, false)
		return o[:min(n, len(o))]
	}
	// The keys may not be built: a row's name is compared as it sorts,
	// made for the rows that may come before the last kept only, which a
	// lower bound of its first 8 bytes tells.
	text := func(i int32) string {
		u := &s.rows[i]
		switch {
		case u.Name == "":
			return u.Username
		case isASCII(u.Name):
			return strings.ToLower(u.Name)
		}
		return store.SortKey(u.Name)
	}
	type kept struct {
		i    int32
		text string
	}
	less := func(a, b kept) bool {
		c := strings.Compare(a.text, b.text)
		if c == 0 {
			c = strings.Compare(s.rows[a.i].Username, s.rows[b.i].Username)
		}
		return c < 0
	}
	top := make([]kept, 0, n+1)
	bound := ^uint64(0) // the last kept's first 8 bytes, once n are kept
	for i := range s.rows {
		r := int32(i)
		if n == 0 || len(top) == n && lowerBound8(&s.rows[i]) > bound {
			continue
		}
		k := kept{r, text(r)}
		if len(top) == n && !less(k, top[n-1]) {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, k, func(a, b kept) int {
			if less(a, b) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, at, k)
		if len(top) > n {
			top = top[:n]
		}
		if len(top) == n {
			bound = prefix8(top[n-1].text)
		}
	}
	rows := make([]int32, len(top))
	for j, k := range top {
		rows[j] = k.i
	}
	return rows
}

// lowerBound8 is at most the first 8 bytes of u's name as it sorts, read
// as prefix8 does: its lower-case ASCII start, up to the first other
// byte, padded with zeros.
func lowerBound8(u *row) uint64 {
	s := u.Name
	if s == "" {
		s = u.Username
	}
	var p uint64
	for i := 0; i < 8; i++ {
		p <<= 8
		if i < len(s) && s[i] < utf8.RuneSelf {
			c := s[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			p |= uint64(c)
		} else {
			p <<= 8 * uint(7-i)
			return p
		}
	}
	return p
}

// order returns every row index in the given order. The snapshot caches it;
// callers must not change the slice.
func (s *snapshot) order(by roster.UserSort, desc bool) []int32 {
	s.withKeys()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := sortKey{by, desc}
	if o, ok := s.sorted[k]; ok {
		return o
	}
	o := make([]int32, len(s.rows))
	if rev, ok := s.sorted[sortKey{by, !desc}]; ok {
		for i, v := range rev {
			o[len(rev)-1-i] = v
		}
		s.sorted[k] = o
		return o
	}
	rows := s.rows
	textKey := func(i int32) string {
		switch by {
		case roster.SortUsername:
			return rows[i].Username
		case roster.SortEmail:
			return s.sortEmail(i)
		}
		return s.sortName(i)
	}
	// Items carry their keys as numbers (the first 16 bytes of the text,
	// then the first 16 of the username), so that almost every comparison
	// touches no string memory; runs the numbers cannot tell apart are
	// sorted again by the full strings.
	items := make([]sortItem, len(rows))
	for i := range rows {
		r := &rows[i]
		it := sortItem{i: int32(i), k3: prefix8(r.Username)}
		if len(r.Username) > 8 {
			it.k4 = prefix8(r.Username[8:])
		}
		switch by {
		case roster.SortStatus:
			it.k1 = uint64(r.Status)
		case roster.SortCreated:
			it.k1 = uint64(r.CreatedAt())
		case sortRole:
			n := s.sortName(int32(i))
			it.k1 = uint64(255 - r.Role) // owners first
			it.k2 = prefix8(n)
			it.long = len(n) > 8
		default:
			t := textKey(int32(i))
			it.k1 = prefix8(t)
			if len(t) > 8 {
				it.k2 = prefix8(t[8:])
			}
			it.long = len(t) > 16
		}
		items[i] = it
	}
	items = sortItems(items)
	full := func(a, b sortItem) int {
		ra, rb := &rows[a.i], &rows[b.i]
		c := 0
		switch by {
		case roster.SortStatus:
			c = cmp.Compare(ra.Status, rb.Status)
		case roster.SortCreated:
			c = cmp.Compare(ra.CreatedAt(), rb.CreatedAt())
		case sortRole:
			c = cmp.Compare(rb.Role, ra.Role)
			if c == 0 {
				c = strings.Compare(s.sortName(a.i), s.sortName(b.i))
			}
		default:
			c = strings.Compare(textKey(a.i), textKey(b.i))
		}
		if c == 0 {
			c = strings.Compare(ra.Username, rb.Username)
		}
		return c
	}
	// Fix up runs of equal text keys: when a text is longer than its keys,
	// the whole run is sorted by the strings; otherwise only the items
	// whose username keys tie too.
	for i := 0; i < len(items); {
		j, long := i+1, items[i].long
		for j < len(items) && items[j].k1 == items[i].k1 && items[j].k2 == items[i].k2 {
			long = long || items[j].long
			j++
		}
		if long {
			slices.SortFunc(items[i:j], full)
		} else {
			for a := i; a < j; {
				b := a + 1
				for b < j && items[b].k3 == items[a].k3 && items[b].k4 == items[a].k4 {
					b++
				}
				if b-a > 1 {
					slices.SortFunc(items[a:b], full)
				}
				a = b
			}
		}
		i = j
	}
	for i, it := range items {
		if desc {
			o[len(items)-1-i] = it.i
		} else {
			o[i] = it.i
		}
	}
	s.sorted[k] = o
	return o
}

// parallelMin is the number of rows from which a snapshot builds its keys
// and sorts on every core (a variable for the tests).
var parallelMin = 1 << 15

// sortItem is a row in a sort, with its keys as numbers.
type sortItem struct {
	k1, k2, k3, k4 uint64
	i              int32
	long           bool // the text is longer than k1 and k2 hold
}

func compareItems(a, b sortItem) int {
	if c := cmp.Compare(a.k1, b.k1); c != 0 {
		return c
	}
	if c := cmp.Compare(a.k2, b.k2); c != 0 {
		return c
	}
	if c := cmp.Compare(a.k3, b.k3); c != 0 {
		return c
	}
	return cmp.Compare(a.k4, b.k4)
}

// sortItems sorts items by their numbers, the two halves of a long list
// on two cores, then merged.
func sortItems(items []sortItem) []sortItem {
	if len(items) < parallelMin || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(items, compareItems)
		return items
	}
	a, b := items[:len(items)/2], items[len(items)/2:]
	done := make(chan struct{})
	go func() {
		slices.SortFunc(a, compareItems)
		close(done)
	}()
	slices.SortFunc(b, compareItems)
	<-done
	out := make([]sortItem, 0, len(items))
	for len(a) > 0 && len(b) > 0 {
		if compareItems(b[0], a[0]) < 0 {
			out = append(out, b[0])
			b = b[1:]
		} else {
			out = append(out, a[0])
			a = a[1:]
		}
	}
	return append(append(out, a...), b...)
}

// prefix8 reads the first 8 bytes of s as a big-endian number, so that
// numbers order as the strings do.
func prefix8(s string) uint64 {
	var p uint64
	for i := 0; i < 8; i++ {
		p <<= 8
		if i < len(s) {
			p |= uint64(s[i])
		}
	}
	return p
}
