package tui

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// row is one user as the list draws it: display-safe strings measured once
// and a lower-cased search key built once, at load.
type row struct {
	u                   *roster.User
	name, email         string // display-safe (see displaySafe)
	nameW, emailW, user int    // cell widths of name, e-mail and username
	key                 string // lower-case "name\x00username\x00email"
	lname               string // lower-case name, a prefix of key
}

// snapshot is everything the screens read about the database, loaded at
// once off the Update loop and never changed afterwards, so that several
// sessions could share one.
type snapshot struct {
	rows      []row // in id order
	index     map[uint64]int32
	groups    []*roster.Group
	groupByID map[uint64]*roster.Group
	counts    map[roster.Status]int
	changes   uint64

	mu     sync.Mutex
	sorted map[sortKey][]int32 // full orders, built on first use
}

type sortKey struct {
	by   roster.UserSort
	desc bool
}

// newSnapshot prepares users and groups for display.
func newSnapshot(users []*roster.User, groups []*roster.Group, changes uint64) *snapshot {
	s := &snapshot{
		rows:      make([]row, len(users)),
		index:     make(map[uint64]int32, len(users)),
		groups:    groups,
		groupByID: make(map[uint64]*roster.Group, len(groups)),
		counts:    store.CountByStatus(users),
		changes:   changes,
		sorted:    map[sortKey][]int32{},
	}
	for _, g := range groups {
		s.groupByID[g.ID] = g
	}
	var b strings.Builder
	for i, u := range users {
		r := &s.rows[i]
		r.u = u
		r.name, r.nameW = displaySafe(u.Name)
		r.email, r.emailW = displaySafe(u.Email)
		_, r.user = displaySafe(u.Username)
		b.Reset()
		lowerInto(&b, u.Name)
		n := b.Len()
		b.WriteByte(0)
		b.WriteString(u.Username)
		b.WriteByte(0)
		lowerInto(&b, u.Email)
		r.key = b.String()
		r.lname = r.key[:n]
		s.index[u.ID] = int32(i)
	}
	s.order(roster.SortName, false) // the default order, ready for the first frame
	return s
}

// lowerInto writes s lower-cased, with an ASCII fast path.
func lowerInto(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			b.WriteString(strings.ToLower(s[i:]))
			return
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
}

// order returns every row index in the given order. The snapshot caches it;
// callers must not change the slice.
func (s *snapshot) order(by roster.UserSort, desc bool) []int32 {
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
	for i := range o {
		o[i] = int32(i)
	}
	rows := s.rows
	compare := func(a, b int32) int {
		ra, rb := &rows[a], &rows[b]
		c := 0
		switch by {
		case roster.SortUsername:
		case roster.SortEmail:
			c = strings.Compare(ra.key[len(ra.lname)+len(ra.u.Username)+2:], rb.key[len(rb.lname)+len(rb.u.Username)+2:])
		case roster.SortStatus:
			c = cmp.Compare(ra.u.Status, rb.u.Status)
		case roster.SortCreated:
			c = ra.u.CreatedAt.Compare(rb.u.CreatedAt)
		default:
			c = strings.Compare(ra.lname, rb.lname)
		}
		if c == 0 {
			c = strings.Compare(ra.u.Username, rb.u.Username)
		}
		if desc {
			c = -c
		}
		return c
	}
	slices.SortFunc(o, compare)
	s.sorted[k] = o
	return o
}

// groupNames returns the names of u's groups joined for a cell.
func (s *snapshot) groupNames(u *roster.User) string {
	switch len(u.GroupIDs) {
	case 0:
		return ""
	case 1:
		if g := s.groupByID[u.GroupIDs[0]]; g != nil {
			return g.Name
		}
		return ""
	}
	names := make([]string, 0, len(u.GroupIDs))
	for _, id := range u.GroupIDs {
		if g := s.groupByID[id]; g != nil {
			names = append(names, g.Name)
		}
	}
	return strings.Join(names, ", ")
}

// displaySafe returns s as it can be drawn in a column, and its width in
// terminal cells. Control characters become U+FFFD; zero-width joiners and
// emoji variation selectors are dropped, because terminals without grapheme
// support draw a joined emoji (👩‍💻) wider than its measured two cells and
// shift the rest of the row; the parts are shown side by side instead.
func displaySafe(s string) (string, int) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c < 0x20 || c == 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return s, len(s)
	}
	clean := s
	if strings.IndexFunc(s, unsafeRune) >= 0 {
		clean = strings.Map(func(r rune) rune {
			switch {
			case r == '\u200d' || r == '\ufe0f' || r == '\ufe0e' || (r >= 0x1f3fb && r <= 0x1f3ff):
				return -1
			case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
				(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
				return '\ufffd'
			}
			return r
		}, s)
	}
	return clean, ansi.StringWidthWc(clean)
}

func unsafeRune(r rune) bool {
	return r == '\u200d' || r == '\ufe0f' || r == '\ufe0e' || (r >= 0x1f3fb && r <= 0x1f3ff) ||
		unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// cellWidth measures a string the way the terminal will draw it.
func cellWidth(s string) int {
	_, w := displaySafe(s)
	return w
}

// fit pads or cuts s (of width w) to exactly n cells.
func fit(s string, w, n int) string {
	if n <= 0 {
		return ""
	}
	if w <= n {
		return s + strings.Repeat(" ", n-w)
	}
	t, tw := cutWc(s, n-1)
	return t + "…" + strings.Repeat(" ", n-1-tw)
}

// cutWc returns the longest prefix of the plain string s that fits in n
// cells, and its width, summing code points as the terminal does.
func cutWc(s string, n int) (string, int) {
	w := 0
	var buf [utf8.UTFMax]byte
	for i, r := range s {
		rw := 1
		if r >= utf8.RuneSelf {
			rw = ansi.StringWidthWc(string(utf8.AppendRune(buf[:0], r)))
		}
		if w+rw > n {
			return s[:i], w
		}
		w += rw
	}
	return s, w
}
