package store

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// The directory's load: everything the LDAP directory shows, read in one
// transaction, decoding only the records that changed since the reader's
// previous load. Any process may have written the file in between, so
// what changed is found from the records themselves: each one's bytes are
// fingerprinted (a keyed 64-bit hash) and compared with the fingerprints
// the reader kept. Walking the raw records is a small part of decoding
// them, and needs nothing from the processes that wrote.

// DirectorySums are the fingerprints of one load, to pass to the next.
// Their hashes are keyed per process: they mean nothing elsewhere.
type DirectorySums struct {
	users  []recordSum // every user record, by id
	groups uint64      // the groups bucket as a whole
	keys   uint64      // the SSH keys bucket as a whole
}

type recordSum struct{ id, sum uint64 }

// DirectoryData is one load. With no previous sums (Full), Users holds
// every user; otherwise only those whose record changed, and Removed the
// ids gone. Groups and Keys are nil when they did not change.
type DirectoryData struct {
	Changes uint64 // the change counter the load was read at
	Full    bool
	Users   []*roster.User // any status, by id
	Removed []uint64       // by id
	Groups  []*roster.Group
	Keys    map[uint64][]string // authorized_keys lines by user id
	Posix   roster.PosixSettings
	Sums    *DirectorySums
}

var sumSeed = maphash.MakeSeed()

// LoadDirectory reads what the directory shows, decoding only what changed
// since prev (nil: everything). It needs the powers to list users, read
// groups, keys and the Linux settings.
func (db *DB) LoadDirectory(actor roster.Actor, prev *DirectorySums) (*DirectoryData, error) {
	out := &DirectoryData{Full: prev == nil, Sums: &DirectorySums{}}
	err := db.view(func(tx *bolt.Tx) error {
		for _, op := range []roster.Op{roster.OpListUsers, roster.OpReadGroups, roster.OpReadKeys, roster.OpReadPosix} {
			if _, err := mayTx(tx, actor, op, nil); err != nil {
				return err
			}
		}
		out.Changes = changesTx(tx)
		if err := loadUsersDelta(tx, prev, out); err != nil {
			return err
		}
		if err := loadGroupsDelta(tx, prev, out); err != nil {
			return err
		}
		if err := loadKeysDelta(tx, prev, out); err != nil {
			return err
		}
		var err error
		out.Posix, err = posixSettingsTx(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func changesTx(tx *bolt.Tx) uint64 {
	if v := tx.Bucket(bucketMeta).Get(keyChanges); len(v) == 8 {
		return idFromKey(v)
	}
	return 0
}

// loadUsersDelta walks the users bucket and the previous sums side by side
// (both in id order), decoding the records that are new or differ.
func loadUsersDelta(tx *bolt.Tx, prev *DirectorySums, out *DirectoryData) error {
	b := tx.Bucket(bucketUsers)
	var old []recordSum
	if prev != nil {
		old = prev.users
		out.Sums.users = make([]recordSum, 0, len(old)+16)
	} else {
		out.Sums.users = make([]recordSum, 0, b.Stats().KeyN)
	}
	i := 0
	err := b.ForEach(func(k, v []byte) error {
		id := idFromKey(k)
		sum := maphash.Bytes(sumSeed, v)
		for i < len(old) && old[i].id < id {
			out.Removed = append(out.Removed, old[i].id)
			i++
		}
		same := i < len(old) && old[i].id == id && old[i].sum == sum
		if i < len(old) && old[i].id == id {
			i++
		}
		out.Sums.users = append(out.Sums.users, recordSum{id, sum})
		if same && prev != nil {
			return nil
		}
		u, err := decodeUser(v)
		if err != nil {
			return fmt.Errorf("user %d: %w", id, err)
		}
		out.Users = append(out.Users, u)
		return nil
	})
	for ; i < len(old); i++ {
		out.Removed = append(out.Removed, old[i].id)
	}
	return err
}

// loadGroupsDelta decodes every group when any group record changed: there
// are few, and a change to one (a name, a nesting) reaches its members.
func loadGroupsDelta(tx *bolt.Tx, prev *DirectorySums, out *DirectoryData) error {
	b := tx.Bucket(bucketGroups)
	out.Sums.groups = bucketSum(b)
	if prev != nil && prev.groups == out.Sums.groups {
		return nil
	}
	out.Groups = []*roster.Group{}
	err := b.ForEach(func(k, v []byte) error {
		g, err := decodeGroup(v)
		if err != nil {
			return fmt.Errorf("group %d: %w", idFromKey(k), err)
		}
		out.Groups = append(out.Groups, g)
		return nil
	})
	slices.SortFunc(out.Groups, func(a, b *roster.Group) int { return cmpUint(a.ID, b.ID) })
	return err
}

func loadKeysDelta(tx *bolt.Tx, prev *DirectorySums, out *DirectoryData) error {
	b := tx.Bucket(bucketSSHKeys)
	out.Sums.keys = bucketSum(b)
	if prev != nil && prev.keys == out.Sums.keys {
		return nil
	}
	out.Keys = map[uint64][]string{}
	return b.ForEach(func(k, v []byte) error {
		key, err := decodeKey(string(k), v)
		if err != nil {
			return fmt.Errorf("key %s: %w", k, err)
		}
		if line := key.AuthorizedKey(); line != "" {
			out.Keys[key.UserID] = append(out.Keys[key.UserID], line)
		}
		return nil
	})
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writeSum adds a record to a bucket's fingerprint, lengths first, so
// that bytes moved between key and value or between records count.
func writeSum(h *maphash.Hash, k, v []byte) {
	var n [16]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(k)))
	binary.BigEndian.PutUint64(n[8:], uint64(len(v)))
	h.Write(n[:])
	h.Write(k)
	h.Write(v)
}

// bucketSum fingerprints a whole bucket, keys and values.
func bucketSum(b *bolt.Bucket) uint64 {
	var h maphash.Hash
	h.SetSeed(sumSeed)
	_ = b.ForEach(func(k, v []byte) error {
		writeSum(&h, k, v)
		return nil
	})
	return h.Sum64()
}
