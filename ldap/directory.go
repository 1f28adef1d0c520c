package ldap

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// directory is an in-memory snapshot of what the directory shows: the
// Active users and every group, with indexes by username, e-mail and
// uidNumber. A Server builds one at start and, whenever the database's
// change counter moves, the next one from it and the records that changed
// (incremental.go), so that thousands of searches a second never reopen
// the file. A snapshot is never changed after it is built; searches share
// it without locks, and consecutive snapshots share what did not change.
//
// Entries refer to each other by id, not by pointer: a user lists its
// groups' ids, a group its members' ids, and the indexes are sorted
// arrays of (hash, id) pairs. So a change to one user replaces that
// user's entry and the arrays it is in, not every group holding a pointer
// to it, and the indexes give the garbage collector nothing to scan.
type directory struct {
	changes uint64               // the change counter it was built at
	sums    *store.DirectorySums // the records it was built from

	base       DN
	baseNorm   string
	peopleNorm string
	groupsNorm string
	baseDN     string // as configured
	peopleDN   string
	groupsDN   string

	users  []*userEntry // Active users, by id
	ids    []uint64     // their ids, in the same order
	byUID  hashIndex    // folded username
	byMail hashIndex    // folded e-mail

	groups      []*groupEntry       // by id
	groupAt     map[uint64]int      // index in groups by group id
	groupByName map[string][]int    // by folded name: "Dev  Ops" and "dev ops" are one LDAP name
	containing  map[uint64][]uint64 // group id → the groups containing it at any depth, itself first
	readers     int                 // index of directory-readers, -1 if missing

	tls bool // StartTLS is offered (root DSE)

	posix *posixView // Linux accounts and SSH keys (posix.go)
}

// userEntry is an Active user in a snapshot. Values only some searches
// ask for (entryUUID, timestamps, name parts) are computed when asked, so
// that a reload stays cheap.
type userEntry struct {
	u      userFields
	dn     string
	groups []uint64 // effective groups (memberOf), by id
}

// userFields is what a snapshot keeps of a user record: the fields entries
// show, named as in roster.User. Its strings (and the DN) are cut from one
// allocation, and equal group lists are one slice, so that a user is two
// objects on the heap, not a decoded record's dozen: at a million users
// the garbage collector has that much less to walk.
type userFields struct {
	ID                   uint64
	UIDNumber            uint32
	Username, Name       string
	GivenName, Surname   string
	Email, Shell         string
	CreatedAt, UpdatedAt time.Time
	GroupIDs             []uint64 // direct groups, by id
}

// DisplayName is roster.User.DisplayName: the name, else the username
// while the name is not given yet.
func (f *userFields) DisplayName() string {
	if f.Name != "" {
		return f.Name
	}
	return f.Username
}

// fieldsOf keeps what the directory shows of u, with its DN.
func fieldsOf(u *roster.User, peopleDN string, lists *idLists) (userFields, string) {
	dn := "uid=" + EscapeDNValue(u.Username) + "," + peopleDN
	var b strings.Builder
	b.Grow(len(u.Username) + len(u.Name) + len(u.GivenName) + len(u.Surname) + len(u.Email) + len(u.Shell) + len(dn))
	for _, part := range []string{u.Username, u.Name, u.GivenName, u.Surname, u.Email, u.Shell, dn} {
		b.WriteString(part)
	}
	text := b.String()
	cut := func(n int) string {
		part := text[:n]
		text = text[n:]
		return part
	}
	f := userFields{ID: u.ID, UIDNumber: u.UIDNumber, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
		GroupIDs: lists.get(u.GroupIDs)}
	f.Username, f.Name = cut(len(u.Username)), cut(len(u.Name))
	f.GivenName, f.Surname = cut(len(u.GivenName)), cut(len(u.Surname))
	f.Email, f.Shell = cut(len(u.Email)), cut(len(u.Shell))
	return f, text
}

// idLists hands out one slice per distinct list of ids.
type idLists struct{ m map[string][]uint64 }

func (l *idLists) get(ids []uint64) []uint64 {
	if len(ids) == 0 {
		return nil
	}
	key := make([]byte, 0, 8*len(ids))
	for _, id := range ids {
		key = binary.BigEndian.AppendUint64(key, id)
	}
	if l.m == nil {
		l.m = map[string][]uint64{}
	}
	if s, ok := l.m[string(key)]; ok {
		return s
	}
	s := slices.Clip(slices.Clone(ids))
	l.m[string(key)] = s
	return s
}

// groupEntry is a group in a snapshot. Its member attribute lists its
// direct members, users and groups; memberOf and the in-chain rule use
// the effective ones.
type groupEntry struct {
	g         *roster.Group
	dn        string
	uuid      string
	created   string
	members   []uint64 // direct members (Active users), by id
	subgroups []uint64 // groups nested directly in it, by id
	effective []uint64 // members directly or through nested groups, by id
	within    []uint64 // it and every group nested in it at any depth, by id
}

// ldapActor is the directory's own actor: it reads every user to serve
// the directory; who may see what there is the directory's access rules.
var ldapActor = roster.SystemActor("ldap")

// loadDirectory reads a snapshot from the database: the whole of it when
// prev is nil, else only what changed since prev was read.
func loadDirectory(db *store.DB, base DN, tls bool, prev *directory) (*directory, error) {
	var sums *store.DirectorySums
	if prev != nil {
		sums = prev.sums
	}
	data, err := db.LoadDirectory(ldapActor, sums)
	if err != nil {
		return nil, fmt.Errorf("load directory: %w", err)
	}
	var d *directory
	if prev == nil || data.Full {
		d = buildDirectory(base, data.Users, data.Groups)
		d.posix.keys = data.Keys
	} else {
		d = prev.apply(data)
	}
	d.posix.settings = data.Posix
	d.changes, d.sums, d.tls = data.Changes, data.Sums, tls
	return d, nil
}

// buildDirectory makes a snapshot of users (any status; only Active ones
// are kept) and groups under base.
func buildDirectory(base DN, users []*roster.User, groups []*roster.Group) *directory {
	d := newDirectory(base)
	var lists idLists
	entries := make([]*userEntry, 0, len(users))
	for _, u := range users {
		if u.Status == roster.StatusActive {
			f, dn := fieldsOf(u, d.peopleDN, &lists)
			entries = append(entries, &userEntry{u: f, dn: dn})
		}
	}
	d.assemble(entries, groups)
	return d
}

func newDirectory(base DN) *directory {
	d := &directory{base: base, baseNorm: base.Norm(), baseDN: base.String()}
	d.peopleDN = "ou=people," + d.baseDN
	d.groupsDN = "ou=groups," + d.baseDN
	d.peopleNorm = "ou=people," + d.baseNorm
	d.groupsNorm = "ou=groups," + d.baseNorm
	if len(base) == 0 {
		d.peopleDN, d.groupsDN, d.peopleNorm, d.groupsNorm = "ou=people", "ou=groups", "ou=people", "ou=groups"
	}
	return d
}

// assemble makes the snapshot of the entries (new ones, owned by d: their
// effective groups are set here) and groups.
func (d *directory) assemble(entries []*userEntry, groups []*roster.Group) {
	d.setGroups(groups)
	for _, ue := range entries {
		ue.groups = effectiveGroups(ue.u.GroupIDs, d.containing)
	}
	slices.SortFunc(entries, func(a, b *userEntry) int { return compareIDs(a.u.ID, b.u.ID) })
	d.users = entries
	d.linkUsers()
	d.posix = &posixView{settings: roster.DefaultPosixSettings()}
	d.reindex()
}

// setGroups makes the snapshot's groups, with their nesting but no members.
func (d *directory) setGroups(groups []*roster.Group) {
	groups = slices.Clone(groups)
	slices.SortFunc(groups, func(a, b *roster.Group) int { return compareIDs(a.ID, b.ID) })
	d.groups = make([]*groupEntry, 0, len(groups))
	d.groupAt = make(map[uint64]int, len(groups))
	d.groupByName = make(map[string][]int, len(groups))
	d.readers = -1
	for i, g := range groups {
		d.groups = append(d.groups, &groupEntry{
			g:       g,
			dn:      "cn=" + EscapeDNValue(g.Name) + "," + d.groupsDN,
			uuid:    groupUUID(g.ID),
			created: timestamp(g.CreatedAt),
		})
		d.groupAt[g.ID] = i
		k := fold(g.Name)
		d.groupByName[k] = append(d.groupByName[k], i)
		if g.Name == roster.DirectoryReaders {
			d.readers = i
		}
	}
	d.containing = nestGroups(d, groups)
}

// newUserEntry makes the entry of an Active user, with its effective groups.
func (d *directory) newUserEntry(u *roster.User) *userEntry {
	f, dn := fieldsOf(u, d.peopleDN, &idLists{})
	return &userEntry{u: f, dn: dn, groups: effectiveGroups(f.GroupIDs, d.containing)}
}

// linkUsers fills the groups' member lists from the users, and the id
// array; users are in id order, so the lists come out sorted.
func (d *directory) linkUsers() {
	d.ids = make([]uint64, len(d.users))
	for i, ue := range d.users {
		d.ids[i] = ue.u.ID
		for _, gid := range ue.u.GroupIDs {
			if i, ok := d.groupAt[gid]; ok {
				d.groups[i].members = append(d.groups[i].members, ue.u.ID)
			}
		}
		for _, gid := range ue.groups {
			ge := d.groups[d.groupAt[gid]]
			ge.effective = append(ge.effective, ue.u.ID)
		}
	}
}

// reindex builds the username, e-mail and uidNumber indexes.
func (d *directory) reindex() {
	d.byUID = make(hashIndex, 0, len(d.users))
	d.byMail = make(hashIndex, 0, len(d.users))
	d.posix.byUIDNumber = make(hashIndex, 0, len(d.users))
	for _, ue := range d.users {
		d.byUID = append(d.byUID, uidRef(&ue.u))
		d.byMail = append(d.byMail, mailRef(&ue.u))
		d.posix.byUIDNumber = append(d.posix.byUIDNumber, uidNumberRef(&ue.u))
	}
	d.byUID.sort()
	d.byMail.sort()
	d.posix.byUIDNumber.sort()
}

// user returns the Active user with the id, or nil.
func (d *directory) user(id uint64) *userEntry {
	if i, ok := slices.BinarySearch(d.ids, id); ok {
		return d.users[i]
	}
	return nil
}

// group returns the group with the id, or nil.
func (d *directory) group(id uint64) *groupEntry {
	if i, ok := d.groupAt[id]; ok {
		return d.groups[i]
	}
	return nil
}

// usersByUID returns the Active users whose folded username is key.
func (d *directory) usersByUID(key string) []*userEntry {
	return d.lookup(d.byUID, hashKey(key), func(u *userEntry) bool { return fold(u.u.Username) == key })
}

// usersByMail returns the Active users whose folded e-mail is key.
func (d *directory) usersByMail(key string) []*userEntry {
	return d.lookup(d.byMail, hashKey(key), func(u *userEntry) bool { return fold(u.u.Email) == key })
}

// lookup returns the users the index lists under h that match: a hash
// alone may collide.
func (d *directory) lookup(x hashIndex, h uint64, match func(*userEntry) bool) []*userEntry {
	var out []*userEntry
	for _, r := range x.find(h) {
		if u := d.user(r.id); u != nil && match(u) {
			out = append(out, u)
		}
	}
	return out
}

func compareIDs(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// splitName guesses givenName and sn from a full name: the last word is the
// surname, the rest the given name; a one-word name is only a surname
// (inetOrgPerson requires sn).
func splitName(name string) (given, sn string) {
	words := strings.Fields(name)
	switch len(words) {
	case 0:
		return "", ""
	case 1:
		return "", words[0]
	}
	return strings.Join(words[:len(words)-1], " "), words[len(words)-1]
}

// givenName is the user's own given name, else guessed from the name.
func givenName(u *userFields) string {
	if u.GivenName != "" {
		return u.GivenName
	}
	given, _ := splitName(u.Name)
	return given
}

// surname is the user's own surname, else guessed from the name, else the
// username while the name is not given yet: inetOrgPerson requires sn.
func surname(u *userFields) string {
	if u.Surname != "" {
		return u.Surname
	}
	if _, sn := splitName(u.Name); sn != "" {
		return sn
	}
	return u.Username
}

// isReader reports whether u may search the whole directory: a member of
// directory-readers, directly or through a group nested in it.
func (d *directory) isReader(u *userEntry) bool {
	if d.readers < 0 || u == nil {
		return false
	}
	return slices.Contains(u.groups, d.groups[d.readers].g.ID)
}

// entryKind says what an entry is.
type entryKind uint8

// Entry kinds, in the order a subtree search of the base returns them.
const (
	kindRoot entryKind = iota
	kindBase
	kindPeople
	kindUser
	kindGroups
	kindGroup
	kindSubschema // cn=Subschema, outside the tree: read by a base search only
)

// entry is one directory entry: a kind and, for users and groups, the
// snapshot's record.
type entry struct {
	d     *directory
	kind  entryKind
	user  *userEntry
	group *groupEntry
}

// position orders entries for the paged-results cookie.
func (e entry) position() position {
	switch e.kind {
	case kindUser:
		return position{e.kind, e.user.u.ID}
	case kindGroup:
		return position{e.kind, e.group.g.ID}
	}
	return position{e.kind, 0}
}

// position is where an entry sits in a subtree walk: its kind, then its id.
type position struct {
	kind entryKind
	id   uint64
}

func (p position) after(q position) bool {
	return p.kind > q.kind || p.kind == q.kind && p.id > q.id
}
