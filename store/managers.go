package store

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Group managers (roster's manager.go). One bucket, keyed by the user
// first so that "does this actor manage anything" — asked by every
// operation of a member — is one seek:
//
//	group_managers  user id + group id → nothing
var bucketManagers = []byte("group_managers")

func init() { allBuckets = append(allBuckets, bucketManagers) }

// SetManager makes the user userID a manager of the group (manage true) or
// no longer one. Making someone manager twice, or unmaking a non-manager,
// is no change and no event. It needs the power to manage groups.
func (db *DB) SetManager(actor roster.Actor, group string, userID uint64, manage bool) error {
	return db.update(func(tx *bolt.Tx) error {
		actor, err := mayTx(tx, actor, roster.OpManageGroups, nil)
		if err != nil {
			return err
		}
		g, err := groupByNameTx(tx, group)
		if err != nil {
			return err
		}
		u, err := getUserTx(tx, userID)
		if err != nil {
			return err
		}
		b, key := tx.Bucket(bucketManagers), key2(u.ID, g.ID)
		if (b.Get(key) != nil) == manage {
			if !manage {
				return roster.FieldErrorf(roster.ENOTFOUND, "user", "%s does not manage %s", u.Username, g.Name)
			}
			return nil
		}
		action, details := roster.ActionManagerAdd, fmt.Sprintf("%s manages %s", u.Username, g.Name)
		if manage {
			err = b.Put(key, nil)
		} else {
			err = b.Delete(key)
			action, details = roster.ActionManagerRemove, fmt.Sprintf("%s no longer manages %s", u.Username, g.Name)
		}
		if err != nil {
			return err
		}
		return writeAudit(tx, db.now(), actor, action, []string{g.Name, u.Username}, []uint64{u.ID}, details)
	})
}

// ManagedGroups returns the ids of the groups the user manages directly,
// ascending (the details and My account show them).
func (db *DB) ManagedGroups(actor roster.Actor, userID uint64) ([]uint64, error) {
	var ids []uint64
	err := db.view(func(tx *bolt.Tx) error {
		if _, _, err := userForTx(tx, actor, roster.OpReadUser, userID); err != nil {
			return err
		}
		ids = managedGroupsTx(tx, userID)
		return nil
	})
	return ids, err
}

// Resolve returns the actor as the database has them now: their role and,
// for a group manager, their scope. Adapters that ask the table locally
// (the menus) ask it of this actor.
func (db *DB) Resolve(actor roster.Actor) (roster.Actor, error) {
	var a roster.Actor
	err := db.view(func(tx *bolt.Tx) (err error) {
		a, err = resolveActorTx(tx, actor)
		return err
	})
	return a, err
}

func managedGroupsTx(tx *bolt.Tx, userID uint64) []uint64 {
	var ids []uint64
	prefix := u64(userID)
	c := tx.Bucket(bucketManagers).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, idFromKey(k[8:]))
	}
	return ids
}

// scopeTx computes the scope of a member who manages groups, nil for one
// who manages none: the groups managed with every group nested in them,
// and the set of every manager (whom no manager reaches).
func scopeTx(tx *bolt.Tx, userID uint64) (*roster.Scope, error) {
	managed := managedGroupsTx(tx, userID)
	if len(managed) == 0 {
		return nil, nil
	}
	nest, err := nestingTx(tx)
	if err != nil {
		return nil, err
	}
	managers := map[uint64]bool{}
	err = tx.Bucket(bucketManagers).ForEach(func(k, _ []byte) error {
		managers[idFromKey(k[:8])] = true
		return nil
	})
	return roster.NewScope(managed, nest, managers), err
}

// managersByGroupTx returns every group's managers (group id → user ids,
// ascending), for listings.
func managersByGroupTx(tx *bolt.Tx) map[uint64][]uint64 {
	out := map[uint64][]uint64{}
	_ = tx.Bucket(bucketManagers).ForEach(func(k, _ []byte) error {
		gid := idFromKey(k[8:])
		out[gid] = append(out[gid], idFromKey(k[:8]))
		return nil
	})
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out
}

// deleteManagersTx removes the entries that name the user uid (group 0)
// or the group gid (user 0), for their deletion; it returns the ids on the
// other side.
func deleteManagersTx(tx *bolt.Tx, uid, gid uint64) ([]uint64, error) {
	var keys [][]byte
	var other []uint64
	_ = tx.Bucket(bucketManagers).ForEach(func(k, _ []byte) error {
		u, g := idFromKey(k[:8]), idFromKey(k[8:])
		if (uid != 0 && u == uid) || (gid != 0 && g == gid) {
			keys = append(keys, slices.Clone(k))
			other = append(other, u+g-uid-gid)
		}
		return nil
	})
	for _, k := range keys {
		if err := tx.Bucket(bucketManagers).Delete(k); err != nil {
			return nil, err
		}
	}
	return other, nil
}

// checkManagersTx reports manager entries that name a missing user or group.
func checkManagersTx(tx *bolt.Tx, report func(string, ...any)) {
	_ = tx.Bucket(bucketManagers).ForEach(func(k, _ []byte) error {
		if len(k) != 16 {
			report("group_managers: key of %d bytes", len(k))
			return nil
		}
		u, g := idFromKey(k[:8]), idFromKey(k[8:])
		if tx.Bucket(bucketUsers).Get(u64(u)) == nil {
			report("group_managers: user %d manages group %d but does not exist", u, g)
		}
		if tx.Bucket(bucketGroups).Get(u64(g)) == nil {
			report("group_managers: user %d manages group %d, which does not exist", u, g)
		}
		return nil
	})
}

// restrictedChanges names the fields upd changes on u beyond the name and
// the e-mail address, for MayChangeFields (a manager edits only those two;
// role, status, expiry and groups have powers of their own).
func restrictedChanges(u *roster.User, upd roster.UserUpdate) []string {
	var fields []string
	if upd.Username != nil && roster.NormalizeUsername(*upd.Username) != u.Username {
		fields = append(fields, "username")
	}
	if upd.UIDNumber != nil && *upd.UIDNumber != u.UIDNumber {
		fields = append(fields, "uid number")
	}
	if upd.Shell != nil && *upd.Shell != u.Shell {
		fields = append(fields, "login shell")
	}
	return fields
}

// symmetricDifference returns the ids in exactly one of a and b (both
// ascending): the groups a change of memberships touches.
func symmetricDifference(a, b []uint64) []uint64 {
	var out []uint64
	for _, id := range a {
		if _, ok := slices.BinarySearch(b, id); !ok {
			out = append(out, id)
		}
	}
	for _, id := range b {
		if _, ok := slices.BinarySearch(a, id); !ok {
			out = append(out, id)
		}
	}
	return out
}

// groupNameTx names the group gid for a message ("" when it is gone).
func groupNameTx(tx *bolt.Tx, gid uint64) string {
	if v := tx.Bucket(bucketGroups).Get(u64(gid)); v != nil {
		if g, err := decodeGroup(v); err == nil {
			return g.Name
		}
	}
	return fmt.Sprintf("group %d", gid)
}

// keepUnmanagedGroups is a manager's change of a user's groups: the
// groups they do not manage (which their screens do not show) stay as
// they are; the groups they manage become what was asked.
func keepUnmanagedGroups(actor roster.Actor, asked, current []uint64) []uint64 {
	if !actor.IsManager() {
		return asked
	}
	out := slices.Clone(asked)
	for _, gid := range current {
		if !actor.Scope.HasGroup(gid) && !slices.Contains(out, gid) {
			out = append(out, gid)
		}
	}
	slices.Sort(out)
	return out
}
