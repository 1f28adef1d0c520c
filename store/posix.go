package store

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Linux account numbers (RFC 2307). Each is unique by an index and handed
// out once: the meta bucket keeps the highest number ever handed out, and
// the allocator starts above it, so a deleted user's uid never comes back
// to someone else (files they left on a machine stay theirs, not a
// newcomer's).
//
//	users_by_uid_number   uidNumber (4 bytes) → user id
//	groups_by_gid_number  gidNumber (4 bytes) → group id
//	meta "uid_high", "gid_high"  the highest numbers handed out
//	meta "posix"                 the PosixSettings
var (
	bucketUsersByUIDNumber  = []byte("users_by_uid_number")
	bucketGroupsByGIDNumber = []byte("groups_by_gid_number")

	keyUIDHigh       = []byte("uid_high")
	keyGIDHigh       = []byte("gid_high")
	keyPosixSettings = []byte("posix")
)

func init() { allBuckets = append(allBuckets, bucketUsersByUIDNumber, bucketGroupsByGIDNumber) }

// idKind is what a number identifies: users' uids or groups' gids.
type idKind struct {
	field string // as errors and flags name it
	what  string // "uid" or "gid"
	index []byte
	high  []byte
	rng   func(roster.PosixSettings) roster.IDRange
}

var (
	uidKind = idKind{"uid-number", "uid", bucketUsersByUIDNumber, keyUIDHigh, func(s roster.PosixSettings) roster.IDRange { return s.UIDs }}
	gidKind = idKind{"gid-number", "gid", bucketGroupsByGIDNumber, keyGIDHigh, func(s roster.PosixSettings) roster.IDRange { return s.GIDs }}
)

func u32(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

// allocIDTx hands out the next number of kind to the record id: the lowest
// in range above every number handed out before.
func allocIDTx(tx *bolt.Tx, kind idKind, id uint64) (uint32, error) {
	s, err := posixSettingsTx(tx)
	if err != nil {
		return 0, err
	}
	r := kind.rng(s)
	next := uint64(r.Min)
	if high := highTx(tx, kind); high >= next {
		next = high + 1
	}
	index := tx.Bucket(kind.index)
	next = nextFree(index, next, uint64(r.Max))
	if next > uint64(r.Max) {
		return 0, roster.FieldErrorf(roster.ECONFLICT, kind.field,
			"the %s range %s is used up (numbers are never handed out twice); widen it with `roster posix set --%s-range`", kind.what, r, kind.what)
	}
	n := uint32(next)
	if err := index.Put(u32(n), u64(id)); err != nil {
		return 0, err
	}
	return n, tx.Bucket(bucketMeta).Put(kind.high, u64(uint64(n)))
}

// nextFree returns the first number from n on that is neither reserved nor
// taken (by hand, above the mark); above max when there is none.
func nextFree(index *bolt.Bucket, n, max uint64) uint64 {
	for n <= max {
		switch {
		case roster.ReservedIDs.Contains(uint32(n)):
			n = uint64(roster.ReservedIDs.Max) + 1
		case index.Get(u32(uint32(n))) != nil:
			n++
		default:
			return n
		}
	}
	return n
}

// claimIDTx gives the number n, chosen by an administrator, to the record
// id, and frees old (0 for none). It refuses a number out of range or held
// by another record.
func claimIDTx(tx *bolt.Tx, kind idKind, id uint64, old, n uint32, owner func(id uint64) string) error {
	s, err := posixSettingsTx(tx)
	if err != nil {
		return err
	}
	if r := kind.rng(s); !r.Contains(n) {
		return roster.FieldErrorf(roster.EINVALID, kind.field, "%s %d is outside the %s range %s", kind.what, n, kind.what, r)
	}
	if roster.ReservedIDs.Contains(n) {
		return roster.FieldErrorf(roster.EINVALID, kind.field, "%s %d is reserved for the machines' own accounts (%s)", kind.what, n, roster.ReservedIDs)
	}
	index := tx.Bucket(kind.index)
	if v := index.Get(u32(n)); v != nil && idFromKey(v) != id {
		return roster.FieldErrorf(roster.ECONFLICT, kind.field, "%s %d belongs to %s", kind.what, n, owner(idFromKey(v)))
	}
	if err := releaseIDTx(tx, kind, old); err != nil {
		return err
	}
	return adoptIDTx(tx, kind, id, n)
}

// releaseIDTx takes n (0: nothing) out of the index. The mark stays, so
// the number is not handed out again.
func releaseIDTx(tx *bolt.Tx, kind idKind, n uint32) error {
	if n == 0 {
		return nil
	}
	return tx.Bucket(kind.index).Delete(u32(n))
}

func highTx(tx *bolt.Tx, kind idKind) uint64 {
	if v := tx.Bucket(bucketMeta).Get(kind.high); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// setUIDNumberTx applies an administrator's choice of uid to u (in memory;
// the caller writes u) and returns the change for the audit log.
func setUIDNumberTx(tx *bolt.Tx, u *roster.User, n uint32) (string, error) {
	if n == u.UIDNumber {
		return "", nil
	}
	owner := func(id uint64) string {
		if o, err := getUserTx(tx, id); err == nil {
			return o.Username
		}
		return fmt.Sprintf("user %d", id)
	}
	if err := claimIDTx(tx, uidKind, u.ID, u.UIDNumber, n, owner); err != nil {
		return "", err
	}
	change := fmt.Sprintf("uidNumber %d → %d", u.UIDNumber, n)
	u.UIDNumber = n
	return change, nil
}

// setShell applies a new login shell to u; "" returns to the default.
func setShell(u *roster.User, shell string) (string, error) {
	shell = strings.TrimSpace(shell)
	if shell == u.Shell {
		return "", nil
	}
	if shell != "" {
		if err := roster.ValidateShell(shell); err != nil {
			return "", err
		}
	}
	change := fmt.Sprintf("shell %q → %q", u.Shell, shell)
	u.Shell = shell
	return change, nil
}

// PosixSettings returns how users and groups look as Linux accounts.
func (db *DB) PosixSettings(actor roster.Actor) (roster.PosixSettings, error) {
	var s roster.PosixSettings
	err := db.view(func(tx *bolt.Tx) (err error) {
		if _, err := mayTx(tx, actor, roster.OpReadPosix, nil); err != nil {
			return err
		}
		s, err = posixSettingsTx(tx)
		return err
	})
	return s, err
}

// SetPosixSettings replaces the settings. Only owners may: the ranges
// decide who owns which files on the office's machines.
func (db *DB) SetPosixSettings(actor roster.Actor, s roster.PosixSettings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		actor, err := mayTx(tx, actor, roster.OpManagePosix, nil)
		if err != nil {
			return err
		}
		old, err := posixSettingsTx(tx)
		if err != nil {
			return err
		}
		if old == s {
			return nil
		}
		if err := tx.Bucket(bucketMeta).Put(keyPosixSettings, encodePosixSettings(s)); err != nil {
			return err
		}
		return writeAudit(tx, db.now(), actor, roster.ActionPosixSettings, nil, nil, describePosixSettings(s))
	})
}

func describePosixSettings(s roster.PosixSettings) string {
	return fmt.Sprintf("uid range %s, gid range %s, home %s, shell %s, primary gid %d",
		s.UIDs, s.GIDs, s.HomeTemplate, s.DefaultShell, s.PrimaryGID)
}

const posixSettingsV1 = 1

func posixSettingsTx(tx *bolt.Tx) (roster.PosixSettings, error) {
	v := tx.Bucket(bucketMeta).Get(keyPosixSettings)
	if v == nil {
		return roster.DefaultPosixSettings(), nil
	}
	d := decoder{b: v}
	if d.byte() != posixSettingsV1 {
		return roster.PosixSettings{}, fmt.Errorf("posix settings: %w", errCorrupt)
	}
	s := roster.PosixSettings{
		UIDs:         roster.IDRange{Min: d.uint32(), Max: d.uint32()},
		GIDs:         roster.IDRange{Min: d.uint32(), Max: d.uint32()},
		HomeTemplate: d.str(),
		DefaultShell: d.str(),
		PrimaryGID:   d.uint32(),
	}
	if d.err != nil {
		return roster.PosixSettings{}, fmt.Errorf("posix settings: %w", d.err)
	}
	return s, nil
}

func encodePosixSettings(s roster.PosixSettings) []byte {
	e := encoder{}
	e.byte(posixSettingsV1)
	for _, n := range []uint32{s.UIDs.Min, s.UIDs.Max, s.GIDs.Min, s.GIDs.Max} {
		e.uvarint(uint64(n))
	}
	e.str(s.HomeTemplate)
	e.str(s.DefaultShell)
	e.uvarint(uint64(s.PrimaryGID))
	return e.b
}

// migratePosixTx brings schema 2 to 3: every user and group gets its
// number, in id order, so that older accounts get the lower numbers.
func migratePosixTx(tx *bolt.Tx, _ *DB) error {
	users := tx.Bucket(bucketUsers)
	var pending []*roster.User
	err := users.ForEach(func(_, v []byte) error {
		u, err := decodeUser(v)
		if err != nil {
			return err
		}
		if u.UIDNumber == 0 {
			pending = append(pending, u)
			return nil
		}
		return adoptIDTx(tx, uidKind, u.ID, u.UIDNumber)
	})
	if err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	for _, u := range pending {
		if u.UIDNumber, err = allocIDTx(tx, uidKind, u.ID); err != nil {
			return fmt.Errorf("user %s: %w", u.Username, err)
		}
		if err := putUserTx(tx, u); err != nil {
			return err
		}
	}
	groups := tx.Bucket(bucketGroups)
	var pendingGroups []*roster.Group
	err = groups.ForEach(func(_, v []byte) error {
		g, err := decodeGroup(v)
		switch {
		case err != nil:
			return err
		case g.GIDNumber == 0:
			pendingGroups = append(pendingGroups, g)
			return nil
		}
		return adoptIDTx(tx, gidKind, g.ID, g.GIDNumber)
	})
	if err != nil {
		return fmt.Errorf("read groups: %w", err)
	}
	for _, g := range pendingGroups {
		if g.GIDNumber, err = allocIDTx(tx, gidKind, g.ID); err != nil {
			return fmt.Errorf("group %s: %w", g.Name, err)
		}
		if err := groups.Put(u64(g.ID), encodeGroup(g)); err != nil {
			return err
		}
	}
	return nil
}

// idMarks are the highest uid and gid handed out.
type idMarks struct{ uid, gid uint64 }

func marksTx(tx *bolt.Tx) idMarks { return idMarks{highTx(tx, uidKind), highTx(tx, gidKind)} }

// keepMarksTx raises a restored file's marks to the replaced file's: the
// numbers handed out after the backup was made were someone's, and may
// still own files on the office's machines.
func keepMarksTx(tx *bolt.Tx, live idMarks) error {
	restored := marksTx(tx)
	meta := tx.Bucket(bucketMeta)
	if live.uid > restored.uid {
		if err := meta.Put(keyUIDHigh, u64(live.uid)); err != nil {
			return err
		}
	}
	if live.gid > restored.gid {
		return meta.Put(keyGIDHigh, u64(live.gid))
	}
	return nil
}

// adoptIDTx indexes the number n of the record id and raises the mark to
// it: for a number chosen by hand, and for one a record already has when a
// migration runs.
func adoptIDTx(tx *bolt.Tx, kind idKind, id uint64, n uint32) error {
	if err := tx.Bucket(kind.index).Put(u32(n), u64(id)); err != nil {
		return err
	}
	if uint64(n) > highTx(tx, kind) {
		return tx.Bucket(bucketMeta).Put(kind.high, u64(uint64(n)))
	}
	return nil
}

// AllKeys returns the authorized_keys lines of every user who has keys, by
// user id: what the directory serves as sshPublicKey.
func (db *DB) AllKeys(actor roster.Actor) (map[uint64][]string, error) {
	out := map[uint64][]string{}
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpReadKeys, nil); err != nil {
			return err
		}
		return tx.Bucket(bucketSSHKeys).ForEach(func(k, v []byte) error {
			key, err := decodeKey(string(k), v)
			if err != nil {
				return fmt.Errorf("key %s: %w", k, err)
			}
			if line := key.AuthorizedKey(); line != "" {
				out[key.UserID] = append(out[key.UserID], line)
			}
			return nil
		})
	})
	return out, err
}

// updatePosixTx applies the Linux account fields of upd to u (in memory;
// the caller writes u) and returns the changes for the audit log.
func updatePosixTx(tx *bolt.Tx, u *roster.User, upd roster.UserUpdate) ([]string, error) {
	var changes []string
	if upd.UIDNumber != nil {
		c, err := setUIDNumberTx(tx, u, *upd.UIDNumber)
		if err != nil {
			return nil, err
		}
		changes = append(changes, c)
	}
	if upd.Shell != nil {
		c, err := setShell(u, *upd.Shell)
		if err != nil {
			return nil, err
		}
		changes = append(changes, c)
	}
	return slices.DeleteFunc(changes, func(c string) bool { return c == "" }), nil
}
