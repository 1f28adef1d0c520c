package ldap

import (
	"hash/maphash"
	"slices"
)

// hashIndex is an index of users by a key: (hash of the key, user id)
// pairs sorted by hash, then id. It holds no pointers, so the garbage
// collector never scans it, and a snapshot that changes a few keys copies
// it in one pass (merge). Lookups check the user's own key: two keys may
// share a hash.
type hashIndex []hashRef

type hashRef struct{ hash, id uint64 }

var keySeed = maphash.MakeSeed()

func hashKey(k string) uint64 { return maphash.String(keySeed, k) }

func uidRef(u *userFields) hashRef  { return hashRef{hashKey(fold(u.Username)), u.ID} }
func mailRef(u *userFields) hashRef { return hashRef{hashKey(fold(u.Email)), u.ID} }

// uidNumberRef indexes uidNumbers as themselves: they are unique numbers.
func uidNumberRef(u *userFields) hashRef { return hashRef{uint64(u.UIDNumber), u.ID} }

func compareRefs(a, b hashRef) int {
	if c := compareIDs(a.hash, b.hash); c != 0 {
		return c
	}
	return compareIDs(a.id, b.id)
}

func (x hashIndex) sort() { slices.SortFunc(x, compareRefs) }

// find returns the pairs with hash h.
func (x hashIndex) find(h uint64) []hashRef {
	i, _ := slices.BinarySearchFunc(x, h, func(r hashRef, h uint64) int { return compareIDs(r.hash, h) })
	j := i
	for j < len(x) && x[j].hash == h {
		j++
	}
	return x[i:j]
}

// patch returns a copy of x without the pairs of the ids in drop and with
// add (sorted) merged in; x itself is left as it is.
func (x hashIndex) patch(drop map[uint64]bool, add []hashRef) hashIndex {
	out := make(hashIndex, 0, len(x)+len(add))
	j := 0
	for _, r := range x {
		if drop[r.id] {
			continue
		}
		for j < len(add) && compareRefs(add[j], r) < 0 {
			out = append(out, add[j])
			j++
		}
		out = append(out, r)
	}
	return append(out, add[j:]...)
}
