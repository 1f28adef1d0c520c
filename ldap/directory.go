package ldap

import (
	"fmt"
	"slices"
	"strings"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// directory is an in-memory snapshot of what the directory shows: the
// Active users and every group, with indexes by username, e-mail and group
// name. A Server builds one at start and a new one whenever the database's
// change counter moves (see Server.refreshLoop), so that thousands of
// searches a second never reopen the file. A snapshot is never changed
// after it is built; searches share it without locks.
type directory struct {
	changes uint64 // the change counter it was built at

	base       DN
	baseNorm   string
	peopleNorm string
	groupsNorm string
	baseDN     string // as configured
	peopleDN   string
	groupsDN   string

	users  []*userEntry // Active users, by id
	byUID  map[string][]*userEntry
	byMail map[string][]*userEntry
	byID   map[uint64]*userEntry

	groups      []*groupEntry            // by id
	groupByName map[string][]*groupEntry // by folded name: "Dev  Ops" and "dev ops" are one LDAP name
	readers     *groupEntry              // directory-readers, nil if missing

	tls bool // StartTLS is offered (root DSE)

	posix *posixView // Linux accounts and SSH keys (posix.go)
}

// userEntry is an Active user in a snapshot. Values only some searches
// ask for (entryUUID, timestamps, name parts) are computed when asked, so
// that a reload of 100,000 users stays cheap.
type userEntry struct {
	u      *roster.User
	dn     string
	groups []*groupEntry // effective groups (memberOf), by id
}

// groupEntry is a group in a snapshot. Its member attribute lists its
// direct members, users and groups; memberOf and the in-chain rule use
// the effective ones.
type groupEntry struct {
	g         *roster.Group
	dn        string
	uuid      string
	created   string
	members   []*userEntry  // direct members, by id
	subgroups []*groupEntry // groups nested directly in it, by id
	effective []*userEntry  // members directly or through nested groups, by id
	within    []*groupEntry // it and every group nested in it at any depth, by id
}

// ldapActor is the directory's own actor: it reads every user to serve
// the directory; who may see what there is the directory's access rules.
var ldapActor = roster.SystemActor("ldap")

// loadDirectory reads a snapshot from the database.
func loadDirectory(db *store.DB, base DN, tls bool) (*directory, error) {
	changes, err := db.Changes()
	if err != nil {
		return nil, err
	}
	users, err := db.AllUsers(ldapActor)
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	groups, err := db.Groups(ldapActor)
	if err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	d := buildDirectory(base, users, groups)
	d.changes, d.tls = changes, tls
	if err := loadPosix(db, d); err != nil {
		return nil, err
	}
	return d, nil
}

// buildDirectory makes a snapshot of users (any status; only Active ones
// are kept) and groups under base.
func buildDirectory(base DN, users []*roster.User, groups []*roster.Group) *directory {
	d := &directory{
		base:        base,
		baseNorm:    base.Norm(),
		baseDN:      base.String(),
		groupByName: make(map[string][]*groupEntry, len(groups)),
	}
	d.peopleDN = "ou=people," + d.baseDN
	d.groupsDN = "ou=groups," + d.baseDN
	d.peopleNorm = "ou=people," + d.baseNorm
	d.groupsNorm = "ou=groups," + d.baseNorm
	if len(base) == 0 {
		d.peopleDN, d.groupsDN, d.peopleNorm, d.groupsNorm = "ou=people", "ou=groups", "ou=people", "ou=groups"
	}

	groups = slices.Clone(groups)
	slices.SortFunc(groups, func(a, b *roster.Group) int { return compareIDs(a.ID, b.ID) })
	byGID := make(map[uint64]*groupEntry, len(groups))
	for _, g := range groups {
		ge := &groupEntry{
			g:       g,
			dn:      "cn=" + EscapeDNValue(g.Name) + "," + d.groupsDN,
			uuid:    groupUUID(g.ID),
			created: timestamp(g.CreatedAt),
		}
		d.groups = append(d.groups, ge)
		k := fold(g.Name)
		d.groupByName[k] = append(d.groupByName[k], ge)
		byGID[g.ID] = ge
		if g.Name == roster.DirectoryReaders {
			d.readers = ge
		}
	}

	containing := nestGroups(d, groups, byGID)

	d.users = make([]*userEntry, 0, len(users))
	d.byUID = make(map[string][]*userEntry, len(users))
	d.byMail = make(map[string][]*userEntry, len(users))
	d.byID = make(map[uint64]*userEntry, len(users))
	for _, u := range users {
		if u.Status != roster.StatusActive {
			continue
		}
		ue := &userEntry{u: u, dn: "uid=" + EscapeDNValue(u.Username) + "," + d.peopleDN}
		for _, gid := range u.GroupIDs {
			if ge := byGID[gid]; ge != nil {
				ge.members = append(ge.members, ue)
			}
		}
		ue.groups = effectiveGroups(u.GroupIDs, containing)
		for _, ge := range ue.groups {
			ge.effective = append(ge.effective, ue)
		}
		d.users = append(d.users, ue)
		d.byID[u.ID] = ue
		k := fold(u.Username)
		d.byUID[k] = append(d.byUID[k], ue)
		k = fold(u.Email)
		d.byMail[k] = append(d.byMail[k], ue)
	}
	slices.SortFunc(d.users, func(a, b *userEntry) int { return compareIDs(a.u.ID, b.u.ID) })
	d.posix = newPosixView(d, roster.DefaultPosixSettings(), nil)
	return d
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
func givenName(u *roster.User) string {
	if u.GivenName != "" {
		return u.GivenName
	}
	given, _ := splitName(u.Name)
	return given
}

// surname is the user's own surname, else guessed from the name, else the
// username while the name is not given yet: inetOrgPerson requires sn.
func surname(u *roster.User) string {
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
	return d.readers != nil && u != nil && slices.Contains(u.groups, d.readers)
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
