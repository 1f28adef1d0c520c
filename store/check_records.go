package store

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"slices"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Roster's invariants in one pass: each record is decoded once, what the
// indexes need from it is kept in flat arrays, and then each index bucket
// is walked in its own order and compared with those arrays, instead of a
// lookup in the file (and a decode) per index entry. At a million users
// the lookups were most of `roster check`'s time.

// checkRecordsTx checks users, groups, their indexes, memberships, the
// Linux numbers, the expiry index, the warned-users entries and the audit
// indexes, and counts the users and groups it read.
func checkRecordsTx(tx *bolt.Tx, report func(string, ...any)) fileCounts {
	groups := checkGroupRecordsTx(tx, report)
	users := readUserFactsTx(tx, report)
	users.checkRecordGroups(groups, report)
	checkUserIndex(tx, bucketUsersByUsername, "username", users, users.nameHash, func(u *roster.User) string { return u.Username }, report)
	checkUserIndex(tx, bucketUsersByEmail, "e-mail", users, users.emailHash, func(u *roster.User) string { return u.Email }, report)
	checkMembershipsTx(tx, users, report)
	checkExpiryIndexTx(tx, users, report)
	checkDormantWarnedTx(tx, users, report)
	checkUIDNumbersTx(tx, users, report)
	checkGIDNumbersTx(tx, groups, report)
	checkAuditIndexesTx(tx, report)
	return fileCounts{Users: len(users.ids), Groups: len(groups.gidNumber)}
}

// userFacts is what the checks need of every user record, by position in
// id order. pos finds a position by id. Usernames and e-mail addresses are
// kept as keyed hashes, not strings: the index walks look them up in name
// order, all over the arrays, and 8 bytes in one array cost a fraction of
// a string's header and its bytes elsewhere (at a million users the
// string compares were a third of the check). The strings themselves are
// read again, for a message, only for the few records found wrong.
type userFacts struct {
	tx         *bolt.Tx
	seed       maphash.Seed
	ids        []uint64
	nameHash   []uint64 // of the username, as indexed
	emailHash  []uint64 // of the normalised e-mail, as indexed; 0 for none
	uidNumbers []uint32
	expires    []bool
	groupsAt   []int32  // user i's groups are groupIDs[groupsAt[i]:groupsAt[i+1]]
	groupIDs   []uint64 // direct groups, every user's in a row
	pos        idPositions
}

func readUserFactsTx(tx *bolt.Tx, report func(string, ...any)) *userFacts {
	b := tx.Bucket(bucketUsers)
	n := b.Stats().KeyN
	f := &userFacts{
		tx: tx, seed: maphash.MakeSeed(),
		ids: make([]uint64, 0, n), nameHash: make([]uint64, 0, n), emailHash: make([]uint64, 0, n),
		uidNumbers: make([]uint32, 0, n), expires: make([]bool, 0, n),
		groupsAt: make([]int32, 1, n+1), groupIDs: make([]uint64, 0, n),
	}
	var lower []byte // scratch for e-mail addresses
	_ = b.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			report("user key %q is %d bytes, not 8", k, len(k))
			return nil
		}
		id := idFromKey(k)
		u, groups, err := decodeUserFact(v, f.groupIDs)
		if err != nil {
			report("user %d: %v", id, err)
			return nil
		}
		if u.id != id {
			report("user %d: record says id %d", id, u.id)
		}
		f.ids = append(f.ids, id)
		f.nameHash = append(f.nameHash, f.valueHash(u.username))
		lower = appendNormalEmail(lower[:0], u.email)
		f.emailHash = append(f.emailHash, f.valueHash(lower))
		f.uidNumbers = append(f.uidNumbers, u.uidNumber)
		f.expires = append(f.expires, u.expires)
		f.groupIDs = groups
		f.groupsAt = append(f.groupsAt, int32(len(f.groupIDs)))
		return nil
	})
	f.pos = newIDPositions(f.ids)
	return f
}

// valueHash is the hash of an indexed value, 0 for none (a hash that
// happens to be 0 is taken as 1: one value in 2^64 compares less sharply).
func (f *userFacts) valueHash(v []byte) uint64 {
	if len(v) == 0 {
		return 0
	}
	return max(maphash.Bytes(f.seed, v), 1)
}

// record reads user i's record again, for a message.
func (f *userFacts) record(i int) *roster.User {
	u, err := decodeUser(f.tx.Bucket(bucketUsers).Get(u64(f.ids[i])))
	if err != nil {
		return &roster.User{}
	}
	return u
}

func (f *userFacts) groupsOf(i int) []uint64 { return f.groupIDs[f.groupsAt[i]:f.groupsAt[i+1]] }

// checkRecordGroups reports users in groups that do not exist.
func (f *userFacts) checkRecordGroups(groups *groupFacts, report func(string, ...any)) {
	for i, id := range f.ids {
		for _, gid := range f.groupsOf(i) {
			if _, ok := groups.gidNumber[gid]; !ok {
				report("user %d: member of missing group %d", id, gid)
			}
		}
	}
}

// checkUserIndex walks an index of users (key → id): every entry must
// point at a user whose value is the key, and every user with a value
// must have its entry. hashes are the users' values (see userFacts);
// value reads a user's value for a message.
//
// A sound index holds exactly the (value, id) pairs of the records, so
// first the index is walked in order, touching nothing else, and the sum
// of a keyed hash of its pairs compared with the records' sum; only when
// they differ (or by a chance of 2^-64) is it walked again, looking up
// each entry's user, to say what is wrong. At a million users the lookups,
// in name order and so all over memory, were a third of the check.
func checkUserIndex(tx *bolt.Tx, bucket []byte, field string, users *userFacts, hashes []uint64, value func(*roster.User) string, report func(string, ...any)) {
	var want pairSum
	for i, id := range users.ids {
		if hashes[i] != 0 {
			want.add(id, hashes[i])
		}
	}
	var got pairSum
	_ = tx.Bucket(bucket).ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			got.n = -1 // no pair: the second walk says what is wrong
			return nil
		}
		got.add(idFromKey(v), users.valueHash(k))
		return nil
	})
	if got == want {
		return
	}
	indexed := make([]bool, len(users.ids))
	_ = tx.Bucket(bucket).ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			report("%s index %q holds %d bytes, not an id", field, k, len(v))
			return nil
		}
		id := idFromKey(v)
		i, ok := users.pos.find(id)
		switch {
		case !ok:
			report("%s index %q points at missing user %d", field, k, id)
		case hashes[i] != users.valueHash(k):
			report("%s index %q points at user %d, whose %s is %q", field, k, id, field, value(users.record(i)))
		default:
			indexed[i] = true
		}
		return nil
	})
	for i, id := range users.ids {
		if !indexed[i] && hashes[i] != 0 {
			report("user %d: %s %s is not indexed", id, field, value(users.record(i)))
		}
	}
}

// checkMembershipsTx compares group_members (gid, uid) with the users'
// records: each entry must name a user whose record names the group, and
// each membership in a record must have its entry.
func checkMembershipsTx(tx *bolt.Tx, users *userFacts, report func(string, ...any)) {
	listed := make([]int32, len(users.ids)) // entries found per user
	_ = tx.Bucket(bucketGroupMembers).ForEach(func(k, _ []byte) error {
		if len(k) != 16 {
			report("group_members key of %d bytes", len(k))
			return nil
		}
		gid, uid := idFromKey(k), idFromKey(k[8:])
		i, ok := users.pos.find(uid)
		switch {
		case !ok:
			report("group %d lists missing user %d", gid, uid)
		case !slices.Contains(users.groupsOf(i), gid):
			report("group %d lists user %d, whose record does not name the group", gid, uid)
		default:
			listed[i]++
		}
		return nil
	})
	members := tx.Bucket(bucketGroupMembers)
	for i, id := range users.ids {
		if int(listed[i]) == len(users.groupsOf(i)) {
			continue
		}
		// Rare: find which, with a lookup each.
		for _, gid := range users.groupsOf(i) {
			if members.Get(key2(gid, id)) == nil {
				report("user %d: membership of group %d missing from group_members", id, gid)
			}
		}
	}
}

// checkExpiryIndexTx: the expiry index may lack a user (the last owner
// kept past the date) but must not name one without a date.
func checkExpiryIndexTx(tx *bolt.Tx, users *userFacts, report func(string, ...any)) {
	due := tx.Bucket(bucketExpiryDue)
	if due == nil {
		return
	}
	_ = due.ForEach(func(k, _ []byte) error {
		if i, ok := users.pos.find(idFromKey(k)); !ok || !users.expires[i] {
			report("expiry index names user %d, who has no expiry date", idFromKey(k))
		}
		return nil
	})
}

// groupFacts is what the checks need of the groups: few, so a map.
type groupFacts struct {
	gidNumber map[uint64]uint32 // by group id
}

// checkGroupRecordsTx decodes each group once and checks the name index.
func checkGroupRecordsTx(tx *bolt.Tx, report func(string, ...any)) *groupFacts {
	f := &groupFacts{gidNumber: map[uint64]uint32{}}
	groups, byName := tx.Bucket(bucketGroups), tx.Bucket(bucketGroupsByName)
	_ = groups.ForEach(func(k, v []byte) error {
		g, err := decodeGroup(v)
		if err != nil {
			report("group %d: %v", idFromKey(k), err)
			return nil
		}
		f.gidNumber[idFromKey(k)] = g.GIDNumber
		if v := byName.Get([]byte(roster.NormalizeGroupName(g.Name))); !bytes.Equal(v, k) {
			report("group %d: name %s is not indexed", g.ID, g.Name)
		}
		return nil
	})
	_ = byName.ForEach(func(k, v []byte) error {
		if groups.Get(v) == nil {
			report("group index %q points at missing group %d", k, idFromKey(v))
		}
		return nil
	})
	return f
}

// checkUIDNumbersTx: every user has a uidNumber, indexed to it, not above
// the highest handed out; every index entry points at its holder.
func checkUIDNumbersTx(tx *bolt.Tx, users *userFacts, report func(string, ...any)) {
	indexed := make([]bool, len(users.ids))
	_ = tx.Bucket(uidKind.index).ForEach(func(k, v []byte) error {
		i, ok := -1, false
		if len(k) == 4 && len(v) == 8 {
			i, ok = users.pos.find(idFromKey(v))
		}
		if !ok || users.uidNumbers[i] != binary.BigEndian.Uint32(k) {
			report("uid index entry %x → %x points at no record with that number", k, v)
			return nil
		}
		indexed[i] = true
		return nil
	})
	high := highTx(tx, uidKind)
	for i, id := range users.ids {
		switch n := users.uidNumbers[i]; {
		case n == 0:
			report("uid of record %d: none", id)
		case !indexed[i]:
			report("uid %d of record %d is not indexed to it", n, id)
		case uint64(n) > high:
			report("uid %d of record %d is above the highest handed out (%d)", n, id, high)
		}
	}
}

// checkGIDNumbersTx is checkUIDNumbersTx for groups.
func checkGIDNumbersTx(tx *bolt.Tx, groups *groupFacts, report func(string, ...any)) {
	index, high := tx.Bucket(gidKind.index), highTx(tx, gidKind)
	for id, n := range groups.gidNumber {
		switch v := index.Get(u32(n)); {
		case n == 0:
			report("gid of record %d: none", id)
		case v == nil || idFromKey(v) != id:
			report("gid %d of record %d is not indexed to it", n, id)
		case uint64(n) > high:
			report("gid %d of record %d is above the highest handed out (%d)", n, id, high)
		}
	}
	_ = index.ForEach(func(k, v []byte) error {
		if n, ok := groups.gidNumber[idFromKey(v)]; len(k) != 4 || len(v) != 8 || !ok || n != binary.BigEndian.Uint32(k) {
			report("gid index entry %x → %x points at no record with that number", k, v)
		}
		return nil
	})
}

// checkAuditIndexesTx: every entry of the audit indexes points at an event.
// The events' ids are read once, in order, and looked up in memory.
func checkAuditIndexesTx(tx *bolt.Tx, report func(string, ...any)) {
	var events []uint64
	_ = tx.Bucket(bucketAudit).ForEach(func(k, _ []byte) error {
		if len(k) == 8 {
			events = append(events, idFromKey(k))
		}
		return nil
	})
	pos := newIDPositions(events)
	isEvent := func(k []byte) bool {
		_, ok := pos.find(idFromKey(k))
		return len(k) == 8 && ok
	}
	_ = tx.Bucket(bucketAuditByUser).ForEach(func(k, _ []byte) error {
		if len(k) != 16 || !isEvent(k[8:]) {
			report("audit_by_user entry %x points at no event", k)
		}
		return nil
	})
	_ = tx.Bucket(bucketAuditByUsers).ForEach(func(k, v []byte) error {
		if len(k) != 8 || !isEvent(k) {
			report("audit_by_users entry %x points at no event", k)
		}
		if len(v)%8 != 0 {
			report("audit_by_users entry %x holds %d bytes, not a list of ids", k, len(v))
			return nil
		}
		for i := 8; i < len(v); i += 8 {
			if bytes.Compare(v[i-8:i], v[i:i+8]) >= 0 {
				report("audit_by_users entry %x is not in ascending order", k)
				break
			}
		}
		return nil
	})
}

// pairSum adds up pairs of an id and a value's keyed hash, mixed: two
// sets of pairs with the same sum and count are the same set but for a
// chance of 2^-64, and the file cannot aim at it (the hash's key is new
// for every check).
type pairSum struct {
	sum uint64
	n   int
}

func (p *pairSum) add(id, valueHash uint64) {
	// splitmix64's finaliser over the id and the hash.
	z := valueHash ^ (id * 0x9e3779b97f4a7c15)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	p.sum += z ^ (z >> 31)
	p.n++
}

// idPositions finds an id's position in an ascending list of ids: by
// offset from the first id when the ids are dense (they are handed out in
// order, so they nearly always are), else by binary search.
type idPositions struct {
	ids   []uint64
	first uint64
	at    []int32 // at[id-first] = position+1; nil when the ids are sparse
}

func newIDPositions(ids []uint64) idPositions {
	p := idPositions{ids: ids}
	if len(ids) == 0 {
		return p
	}
	p.first = ids[0]
	if span := ids[len(ids)-1] - p.first + 1; span <= uint64(4*len(ids)+1024) {
		p.at = make([]int32, span)
		for i, id := range ids {
			p.at[id-p.first] = int32(i + 1)
		}
	}
	return p
}

func (p idPositions) find(id uint64) (int, bool) {
	if p.at != nil {
		if id < p.first || id-p.first >= uint64(len(p.at)) || p.at[id-p.first] == 0 {
			return 0, false
		}
		return int(p.at[id-p.first]) - 1, true
	}
	return slices.BinarySearch(p.ids, id)
}
