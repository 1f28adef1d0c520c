package tui

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

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
