package tui

import (
	"cmp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// row is one user as the list keeps it: the store's compact form, as the
// store read it (the rest of the user is decoded when a screen asks, see
// snapshot.user). Display strings are made and measured only for the
// rows a frame shows (a few dozen), so loading a million users does not
// measure two million strings.
type row = store.ListedUser

// rowKey is a row's lower-cased search key, built once, at load.
type rowKey struct {
	key     string // lower-case "name\x00username\x00email", a slice of a keyChunk's text
	nameEnd int32  // the lower-case name is key[:nameEnd]
	apart   int32  // 1 + the index of the row's sortTexts in snapshot.sortApart; 0: none
}

// keyChunk holds the search keys of consecutive rows in one string, each
// ended by a zero byte, so that the filter scans memory in order with
// strings.Index rather than calling a search per row.
type keyChunk struct {
	text  string
	first int32   // the row of the first key
	ends  []int32 // where each row's key ends in text
}

// sortTexts are a row's name and e-mail as they sort when that is not
// their lower case (store.SortKey removes accents; no name sorts by the
// username).
type sortTexts struct{ name, email string }

// snapshot is everything the screens read about the database, loaded at
// once off the Update loop and never changed afterwards, so that several
// sessions could share one.
type snapshot struct {
	rows      []row         // in id order
	keysOnce  sync.Once     // builds the three below: see withKeys
	rowKeys   []rowKey      // by row
	keys      []keyChunk    // the keys in memory order
	sortApart []sortTexts   // see row.apart
	roles     []roster.Role // by row, together: the filter's role test reads 1 byte a row
	indexOnce sync.Once
	index     map[uint64]int32 // id → row; see indexOf
	groups    []*roster.Group
	groupByID map[uint64]*roster.Group
	nest      *roster.Nesting       // the group filter matches effective membership
	counts    map[roster.Status]int // persons only; service accounts are counted in services
	services  int
	changes   uint64

	mu     sync.Mutex
	sorted map[sortKey][]int32 // full orders, built on first use
	// named is closed once the default order (by name) is built: in the
	// background, after the first frame, which needs only its first rows
	// (firstRows).
	named chan struct{}

	usernamesOnce sync.Once
	usernames     map[string]struct{} // built on first use (Common.usernameTaken)
}

type sortKey struct {
	by   roster.UserSort
	desc bool
}

// user returns row i's whole user (but for the password hash), decoded
// now: callers may keep it.
func (s *snapshot) user(i int32) *roster.User { return s.rows[i].User() }

// snapshotOf makes a snapshot of users at hand (tests).
func snapshotOf(users []*roster.User, groups []*roster.Group, changes uint64) *snapshot {
	l := &store.UserList{Changes: changes, Groups: groups, Users: make([]store.ListedUser, len(users))}
	for i, u := range users {
		l.Users[i] = store.ListedOf(u)
	}
	return newSnapshot(l)
}

// newSnapshot prepares a loaded list for display: the search keys are
// built by one goroutine per core, each over a range of rows.
func newSnapshot(l *store.UserList) *snapshot {
	s := &snapshot{
		rows:      l.Users,
		groups:    l.Groups,
		groupByID: make(map[uint64]*roster.Group, len(l.Groups)),
		nest:      roster.NewNesting(l.Groups),
		changes:   l.Changes,
		sorted:    map[sortKey][]int32{},
	}
	for _, g := range l.Groups {
		s.groupByID[g.ID] = g
	}
	s.counts, s.services = personCounts(s.rows)
	s.named = make(chan struct{})
	go func() {
		beforeBackgroundSort(s)
		s.order(roster.SortName, false)
		close(s.named)
	}()
	return s
}

// withKeys builds the search keys on first use (every core its range of
// rows): the first frame does without them, the background sort or the
// first filter builds them.
func (s *snapshot) withKeys() {
	s.keysOnce.Do(func() {
		users := s.rows
		s.rowKeys = make([]rowKey, len(users))
		s.roles = make([]roster.Role, len(users))
		for i := range users {
			s.roles[i] = users[i].Role
		}
		parts := 1
		if len(users) >= parallelMin {
			parts = runtime.GOMAXPROCS(0)
		}
		s.keys = make([]keyChunk, parts)
		apart := make([][]sortTexts, parts)
		var wg sync.WaitGroup
		for p := range parts {
			from, to := len(users)*p/parts, len(users)*(p+1)/parts
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.keys[p], apart[p] = s.buildKeys(users, from, to)
			}()
		}
		wg.Wait()
		n := 0
		for _, a := range apart {
			n += len(a)
		}
		s.sortApart = make([]sortTexts, 0, n)
		for p, a := range apart {
			if len(a) == 0 {
				continue
			}
			// Each part numbered its own from 1: shift them past the earlier parts'.
			k := s.keys[p]
			for i := k.first; i < k.first+int32(len(k.ends)); i++ {
				if s.rowKeys[i].apart != 0 {
					s.rowKeys[i].apart += int32(len(s.sortApart))
				}
			}
			s.sortApart = append(s.sortApart, a...)
		}
	})
}

// beforeBackgroundSort is called before a snapshot's default order is
// built in the background (a hook for the tests, which hold it back).
var beforeBackgroundSort = func(*snapshot) {}

// namedReady reports, without waiting, whether the default order is built.
func (s *snapshot) namedReady() bool {
	select {
	case <-s.named:
		return true
	default:
		return false
	}
}

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

// buildKeys fills rows [from, to) from users and builds their keys.
func (s *snapshot) buildKeys(users []store.ListedUser, from, to int) (keyChunk, []sortTexts) {
	size, nApart := 0, 0
	for i := from; i < to; i++ {
		u := &users[i]
		size += len(u.Name) + len(u.Username) + len(u.Email) + 3
		if sortsApart(u) {
			nApart++
		}
	}
	var b strings.Builder
	b.Grow(size)
	k := keyChunk{first: int32(from), ends: make([]int32, to-from)}
	names := make([]int32, to-from)
	apart := make([]sortTexts, 0, nApart)
	apartOf := make([]int32, to-from)
	for i := from; i < to; i++ {
		u := &users[i]
		start := b.Len()
		lowerInto(&b, u.Name)
		names[i-from] = int32(b.Len() - start)
		b.WriteByte(0)
		b.WriteString(u.Username)
		b.WriteByte(0)
		lowerInto(&b, u.Email)
		k.ends[i-from] = int32(b.Len())
		b.WriteByte(0)
		if sortsApart(u) {
			t := sortTexts{name: store.SortKey(u.Name), email: store.SortKey(u.Email)}
			if u.Name == "" {
				t.name = u.Username // sorted among the names, as the store does
			}
			apart = append(apart, t)
			apartOf[i-from] = int32(len(apart))
		}
	}
	k.text = b.String()
	start := int32(0)
	for i := from; i < to; i++ {
		r := &s.rowKeys[i]
		r.key = k.text[start:k.ends[i-from]]
		r.nameEnd = names[i-from]
		r.apart = apartOf[i-from]
		start = k.ends[i-from] + 1
	}
	return k, apart
}

// sortsApart reports whether u's name or e-mail sorts other than as its
// lower case.
func sortsApart(u *row) bool { return u.Name == "" || !isASCII(u.Name) || !isASCII(u.Email) }

// sortName is the row's name as it sorts.
func (s *snapshot) sortName(i int32) string {
	k := &s.rowKeys[i]
	if k.apart != 0 {
		return s.sortApart[k.apart-1].name
	}
	return k.key[:k.nameEnd]
}

// sortEmail is the row's e-mail as it sorts.
func (s *snapshot) sortEmail(i int32) string {
	k := &s.rowKeys[i]
	if k.apart != 0 {
		return s.sortApart[k.apart-1].email
	}
	return k.key[int(k.nameEnd)+len(s.rows[i].Username)+2:] // the end of the key
}

// indexOf returns the row of the user with id, building the index on
// first use.
func (s *snapshot) indexOf(id uint64) (int32, bool) {
	s.indexOnce.Do(func() {
		s.index = make(map[uint64]int32, len(s.rows))
		for i := range s.rows {
			s.index[s.rows[i].ID] = int32(i)
		}
	})
	i, ok := s.index[id]
	return i, ok
}

// lowerInto writes s lower-cased, with an ASCII fast path that lowers
// through a small buffer rather than byte by byte into b.
func lowerInto(b *strings.Builder, s string) {
	var buf [64]byte
	for len(s) > 0 {
		n := min(len(s), len(buf))
		for i := 0; i < n; i++ {
			c := s[i]
			if c >= utf8.RuneSelf {
				b.Write(buf[:i])
				b.WriteString(strings.ToLower(s[i:]))
				return
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		b.Write(buf[:n])
		s = s[n:]
	}
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

// cells measures and cuts text as the terminal draws it: by code point
// (wcwidth), which is what Bubble Tea's renderer does by default, or by
// grapheme cluster once the terminal says it supports Unicode mode 2027
// (the renderer then switches too). Every cell of the app goes through it,
// so that columns line up in both.
type cells struct{ graphemes bool }

// width measures s, which may hold escape sequences.
func (k cells) width(s string) int {
	if k.graphemes {
		return ansi.StringWidth(s)
	}
	return ansi.StringWidthWc(s)
}

// safe returns s as it can be drawn in a column, and its width in cells.
// C0 control characters become their control pictures (a line feed shows
// as ␊, so "Perl␊man" says what the name holds); other controls and
// direction overrides become U+FFFD; zero-width joiners, emoji variation
// selectors and skin-tone modifiers are dropped, because terminals without
// grapheme support draw a joined emoji (👩‍💻) wider than the two cells it
// is measured as and shift the rest of the row: the parts are shown side
// by side instead, the same width in both ways of counting.
func (k cells) safe(s string) (string, int) {
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
			case r < 0x20:
				return 0x2400 + r // a control picture: ␊ for a line feed
			case r == 0x7f:
				return '␡'
			case unsafeRune(r):
				return '\ufffd'
			}
			return r
		}, s)
	}
	return clean, k.width(clean)
}

func unsafeRune(r rune) bool {
	return r == '\u200d' || r == '\ufe0f' || r == '\ufe0e' || (r >= 0x1f3fb && r <= 0x1f3ff) ||
		unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// safeWidth is the width of s made safe.
func (k cells) safeWidth(s string) int {
	_, w := k.safe(s)
	return w
}

// fit pads or cuts the plain string s (of width w) to exactly n cells.
func (k cells) fit(s string, w, n int) string {
	if n <= 0 {
		return ""
	}
	if w <= n {
		return s + strings.Repeat(" ", n-w)
	}
	t, tw := k.cut(s, n-1)
	return t + "…" + strings.Repeat(" ", n-1-tw)
}

// cut returns the longest prefix of the plain string s that fits in n
// cells, and its width.
func (k cells) cut(s string, n int) (string, int) {
	w, i := 0, 0
	for i < len(s) {
		step, sw := k.next(s[i:])
		if w+sw > n {
			break
		}
		w += sw
		i += step
	}
	return s[:i], w
}

// skip returns what is left of the plain string s after its first n
// cells; a wide character cut in two becomes a space.
func (k cells) skip(s string, n int) string {
	w, i := 0, 0
	for i < len(s) && w < n {
		step, sw := k.next(s[i:])
		w += sw
		i += step
	}
	if w > n {
		return " " + s[i:]
	}
	return s[i:]
}

// next returns the length in bytes and the width of the first unit of s:
// a code point, or a grapheme cluster.
func (k cells) next(s string) (int, int) {
	if k.graphemes {
		g, w := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
		return max(1, len(g)), w
	}
	r, size := utf8.DecodeRuneInString(s)
	if r < utf8.RuneSelf {
		return 1, 1
	}
	return size, ansi.StringWidthWc(s[:size])
}

// clip makes s exactly h lines of at most w cells.
func (k cells) clip(s string, w, h int) string {
	lines := strings.SplitN(s, "\n", h+1)
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if k.width(l) > w {
			if k.graphemes {
				lines[i] = ansi.Truncate(l, w, "")
			} else {
				lines[i] = ansi.TruncateWc(l, w, "")
			}
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// parentNames names the groups gid is nested in directly ("dev, ops"),
// for the groups screen.
func (s *snapshot) parentNames(gid uint64) string {
	var names []string
	for _, id := range s.nest.Parents(gid) {
		if g := s.groupByID[id]; g != nil {
			names = append(names, g.Name)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
