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
	status              roster.Status
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
	// Every search key goes into one string, so that a filter scans
	// memory in few places rather than 100,000 small allocations.
	var b strings.Builder
	b.Grow(len(users) * 64)
	ends := make([]int32, 2*len(users)) // end of the name, end of the key
	for i, u := range users {
		lowerInto(&b, u.Name)
		ends[2*i] = int32(b.Len())
		b.WriteByte(0)
		b.WriteString(u.Username)
		b.WriteByte(0)
		lowerInto(&b, u.Email)
		ends[2*i+1] = int32(b.Len())
	}
	keys := b.String()
	start := int32(0)
	for i, u := range users {
		r := &s.rows[i]
		r.u = u
		r.status = u.Status
		r.name, r.nameW = displaySafe(u.Name)
		r.email, r.emailW = displaySafe(u.Email)
		r.user = len(u.Username) // usernames are ASCII by rule
		r.key = keys[start:ends[2*i+1]]
		r.lname = keys[start:ends[2*i]]
		start = ends[2*i+1]
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
	rows := s.rows
	textKey := func(r *row) string {
		switch by {
		case roster.SortUsername:
			return r.u.Username
		case roster.SortEmail:
			return r.key[len(r.lname)+len(r.u.Username)+2:]
		}
		return r.lname
	}
	// Each item carries the first 8 bytes of its text key as a number, so
	// most comparisons touch no string memory.
	type item struct {
		pfx uint64
		i   int32
	}
	items := make([]item, len(rows))
	for i := range rows {
		items[i] = item{i: int32(i)}
		if by != roster.SortStatus && by != roster.SortCreated {
			items[i].pfx = prefix8(textKey(&rows[i]))
		}
	}
	compare := func(a, b item) int {
		ra, rb := &rows[a.i], &rows[b.i]
		c := 0
		switch by {
		case roster.SortStatus:
			c = cmp.Compare(ra.status, rb.status)
		case roster.SortCreated:
			c = ra.u.CreatedAt.Compare(rb.u.CreatedAt)
		default:
			if c = cmp.Compare(a.pfx, b.pfx); c == 0 {
				c = strings.Compare(textKey(ra), textKey(rb))
			}
		}
		if c == 0 {
			c = strings.Compare(ra.u.Username, rb.u.Username)
		}
		if desc {
			c = -c
		}
		return c
	}
	slices.SortFunc(items, compare)
	for i, it := range items {
		o[i] = it.i
	}
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

// skipWc returns what is left of the plain string s after its first n
// cells; a wide character cut in two becomes a space.
func skipWc(s string, n int) string {
	w := 0
	var buf [utf8.UTFMax]byte
	for i, r := range s {
		if w >= n {
			if w > n {
				return " " + s[i:]
			}
			return s[i:]
		}
		rw := 1
		if r >= utf8.RuneSelf {
			rw = ansi.StringWidthWc(string(utf8.AppendRune(buf[:0], r)))
		}
		w += rw
	}
	return ""
}
