package store

import (
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// The terminal app's load: every user an actor sees, kept compactly. A
// list of a million users cannot afford a *roster.User each (over 400
// bytes and nine allocations apiece): each user's record is copied, less
// its password hash, into large shared strings, and only what the list
// filters and sorts on is decoded up front. The rest of a user is decoded
// from the copy when a screen asks (ListedUser.User). The records are
// read by several goroutines at once, each over a range of ids.

// UserList is one load of the list.
type UserList struct {
	Changes uint64          // the change counter the list was read at
	Users   []ListedUser    // in id order
	Groups  []*roster.Group // as Groups returns them, by name
}

// ListedUser is one user of a UserList. Username, Name and Email share
// the memory of the user's record.
type ListedUser struct {
	rec                   string // the user's record less its password hash
	ID                    uint64
	Username, Name, Email string
	Role                  roster.Role
	Status                roster.Status
	Kind                  roster.Kind
}

// User returns the whole user, but for the password hash (never needed
// by a list), in memory of its own.
func (l *ListedUser) User() *roster.User {
	u := &roster.User{}
	l.Decode(u)
	u.Username = strings.Clone(u.Username)
	u.Name = strings.Clone(u.Name)
	u.Email = strings.Clone(u.Email)
	u.GivenName = strings.Clone(u.GivenName)
	u.Surname = strings.Clone(u.Surname)
	u.Shell = strings.Clone(u.Shell)
	u.DeliveryDetail = strings.Clone(u.DeliveryDetail)
	u.SuppressReason = strings.Clone(u.SuppressReason)
	return u
}

// Decode fills u with the user, but for the password hash, without
// allocating except for the group ids (appended to u.GroupIDs[:0]): its
// strings share the list's memory, so u must not outlive the list. It
// is for filters that look at every user.
func (l *ListedUser) Decode(u *roster.User) {
	// The record was checked when the list was read.
	_ = decodeListed(l.rec, u)
}

// InAnyGroup reports whether the user is directly in one of the groups
// with the ascending ids within, reading the record in place.
func (l *ListedUser) InAnyGroup(within []uint64) bool {
	d := strDecoder{s: l.rec}
	d.byte()
	d.uvarint()
	for range 3 {
		d.str()
	}
	d.byte()
	d.byte()
	n := d.uvarint()
	for i := uint64(0); i < n && d.err == nil; i++ {
		if _, ok := slices.BinarySearch(within, d.uvarint()); ok {
			return true
		}
	}
	return false
}

// CreatedAt returns when the user was created, in Unix nanoseconds (0:
// unknown), reading the record in place.
func (l *ListedUser) CreatedAt() int64 {
	d := strDecoder{s: l.rec}
	d.byte()
	d.uvarint()
	for range 3 {
		d.str()
	}
	d.byte()
	d.byte()
	for n := d.uvarint(); n > 0 && d.err == nil; n-- {
		d.uvarint()
	}
	return d.varint()
}

// listChunk is the size of the strings records are copied into.
const listChunk = 1 << 20

// ListAllUsers reads every user the actor sees, in id order, and the
// groups, for the terminal app's list.
func (db *DB) ListAllUsers(actor roster.Actor) (*UserList, error) {
	out := &UserList{}
	err := db.view(func(tx *bolt.Tx) error {
		a, err := mayTx(tx, actor, roster.OpListUsers, nil)
		if err != nil {
			return err
		}
		if _, err := mayTx(tx, actor, roster.OpReadGroups, nil); err != nil {
			return err
		}
		out.Changes = changesTx(tx)
		var members map[uint64]int
		out.Users, members, err = readList(tx.Bucket(bucketUsers), a)
		if err != nil {
			return err
		}
		out.Groups, err = listGroupsTx(tx, a, members)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listGroupsTx returns the groups the actor sees, as Groups does, with
// the member counts given.
func listGroupsTx(tx *bolt.Tx, a roster.Actor, members map[uint64]int) ([]*roster.Group, error) {
	var groups []*roster.Group
	managers := managersByGroupTx(tx)
	err := tx.Bucket(bucketGroups).ForEach(func(_, v []byte) error {
		g, err := decodeGroup(v)
		if err != nil || !a.SeesGroup(g.ID) {
			return err
		}
		g.Members = members[g.ID]
		g.Managers = managers[g.ID]
		groups = append(groups, g)
		return nil
	})
	slices.SortFunc(groups, func(a, b *roster.Group) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return groups, err
}

// listPart is what one goroutine read: its range's users, and how many
// of every user (seen or not) are direct members of each group.
type listPart struct {
	users   []ListedUser
	members map[uint64]int
	err     error
}

// readList reads the users bucket in ranges of ids, one goroutine each
// (a read transaction may be used by several goroutines, each with its
// own cursor). Ids are dense in practice, so the list is made once, with
// a slot per id of the range, each goroutine filling its own slots; the
// users are then moved together over the slots of missing ids.
func readList(b *bolt.Bucket, a roster.Actor) ([]ListedUser, map[uint64]int, error) {
	first, _ := b.Cursor().First()
	last, _ := b.Cursor().Last()
	if first == nil {
		return nil, map[uint64]int{}, nil
	}
	lo, hi := idFromKey(first), idFromKey(last)+1
	n := runtime.GOMAXPROCS(0)
	if hi-lo < 20_000 {
		n = 1
	}
	var all []ListedUser
	if hi-lo <= 1<<24 {
		all = make([]ListedUser, hi-lo)
	}
	parts := make([]listPart, n)
	var wg sync.WaitGroup
	for i := range parts {
		from, to := lo+(hi-lo)*uint64(i)/uint64(n), lo+(hi-lo)*uint64(i+1)/uint64(n)
		if all != nil {
			parts[i].users = all[from-lo : from-lo : to-lo]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			readListRange(b, a, from, to, &parts[i])
		}()
	}
	wg.Wait()
	members := map[uint64]int{}
	slots, k := all != nil, 0
	for _, p := range parts {
		if p.err != nil {
			return nil, nil, p.err
		}
		switch {
		case slots && len(p.users) > 0 && &all[k] == &p.users[0]:
			k += len(p.users) // no id missing before these: in place already
		case slots:
			k += copy(all[k:], p.users) // over the slots of missing ids
		default:
			all = append(all, p.users...)
		}
		for g, c := range p.members {
			members[g] += c
		}
	}
	if slots {
		clear(all[k:])
		all = all[:k]
		if cap(all) > 2*len(all)+1024 { // many ids missing: do not keep their slots
			all = slices.Clone(all)
		}
	}
	return all, members, nil
}

// readListRange reads the users with ids in [from, to) into p.
func readListRange(b *bolt.Bucket, a roster.Actor, from, to uint64, p *listPart) {
	p.members = map[uint64]int{}
	var chunk strings.Builder
	var u roster.User
	c := b.Cursor()
	for k, v := c.Seek(u64(from)); k != nil && idFromKey(k) < to; k, v = c.Next() {
		if chunk.Cap()-chunk.Len() < len(v) {
			chunk = strings.Builder{}
			chunk.Grow(max(listChunk, len(v)))
		}
		start := chunk.Len()
		if !appendListed(&chunk, v) {
			p.err = errCorrupt
			return
		}
		// The builder never grows past what it was given: what String
		// returned stays the record's, and later records do not move it.
		rec := chunk.String()[start:]
		if p.err = decodeListed(rec, &u); p.err != nil {
			return
		}
		for _, g := range u.GroupIDs {
			p.members[g]++
		}
		if !a.Sees(&u) { // a manager's list: their groups' users
			continue
		}
		p.users = append(p.users, ListedUser{rec: rec, ID: u.ID, Username: u.Username, Name: u.Name,
			Email: u.Email, Role: u.Role, Status: u.Status, Kind: u.Kind})
	}
}

// appendListed writes the user record v to b with its password hash
// left empty; false when v is not a user record.
func appendListed(b *strings.Builder, v []byte) bool {
	d := decoder{b: v}
	if version := d.byte(); version < userRecordV1 || version > userRecordV4 {
		return false
	}
	d.uvarint()
	for range 3 {
		d.str0()
	}
	d.byte()
	d.byte()
	for n := d.uvarint(); n > 0 && d.err == nil; n-- {
		d.uvarint()
	}
	for range 5 {
		d.time0()
	}
	at := len(v) - len(d.b) // the password hash starts here
	d.str0()
	if d.err != nil {
		return false
	}
	b.Write(v[:at])
	b.WriteByte(0)
	b.Write(d.b)
	return true
}

// str0 skips a string.
func (d *decoder) str0() {
	n := d.uvarint()
	if d.err != nil || uint64(len(d.b)) < n {
		d.err = errCorrupt
		return
	}
	d.b = d.b[n:]
}

// time0 skips a time.
func (d *decoder) time0() {
	if d.err == nil {
		d.varint0()
	}
}

func (d *decoder) varint0() {
	for i := 0; i < len(d.b) && i < 10; i++ {
		if d.b[i] < 0x80 {
			d.b = d.b[i+1:]
			return
		}
	}
	d.err = errCorrupt
}

// ListedOf returns u as a list holds it: for tests, and for lists made
// from users at hand.
func ListedOf(u *roster.User) ListedUser {
	v := *u
	v.PasswordHash = ""
	rec := string(encodeUser(&v))
	var l ListedUser
	if decodeListed(rec, &v) != nil {
		panic("store: a user does not decode as encoded")
	}
	l = ListedUser{rec: rec, ID: v.ID, Username: v.Username, Name: v.Name, Email: v.Email, Role: v.Role, Status: v.Status, Kind: v.Kind}
	return l
}
