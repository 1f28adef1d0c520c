package store

import (
	"fmt"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// bulkChange changes one user inside a bulk operation. It returns a reason
// to skip the user, or "" when it changed u (which the caller then saves).
type bulkChange func(tx *bolt.Tx, u *roster.User) (skip string, err error)

// bulk applies change to every user in ids in one transaction. Users the
// actor may not change, and the last active owner when the change would
// remove them, are skipped with the reason; an unknown id fails the whole
// call. removesOwner says whether the change takes an owner's powers away.
func (db *DB) bulk(actor roster.Actor, ids []uint64, action, details string, removesOwner bool, change bulkChange) (roster.BulkResult, error) {
	var res roster.BulkResult
	err := db.update(func(tx *bolt.Tx) error {
		res = roster.BulkResult{}
		actor, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		if err := actor.CanAdminister(); err != nil {
			return err
		}
		now := db.now()
		owners := -1 // counted on first need
		var changedIDs []uint64
		seen := make(map[uint64]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			u, err := getUserTx(tx, id)
			if err != nil {
				return err
			}
			if err := actor.CanChange(u); err != nil {
				res.Skip(u.Username, "needs the owner role")
				continue
			}
			activeOwner := u.Role == roster.RoleOwner && u.Status == roster.StatusActive
			if removesOwner && activeOwner {
				if owners < 0 {
					owners = countActiveOwnersTx(tx)
				}
				if owners <= 1 {
					res.Skip(u.Username, "is the last active owner")
					continue
				}
			}
			skip, err := change(tx, u)
			if err != nil {
				return fmt.Errorf("%s: %w", u.Username, err)
			}
			if skip != "" {
				res.Skip(u.Username, skip)
				continue
			}
			// A deleted user comes back with ID 0 and its old role and status.
			if removesOwner && activeOwner && (u.ID == 0 || !(u.Role == roster.RoleOwner && u.Status == roster.StatusActive)) {
				owners--
			}
			u.UpdatedAt = now
			if u.ID != 0 { // a deleted user comes back with ID 0
				if err := putUserTx(tx, u); err != nil {
					return err
				}
			}
			res.Changed = append(res.Changed, u.Username)
			changedIDs = append(changedIDs, id)
		}
		if len(res.Changed) == 0 {
			return nil
		}
		return writeAudit(tx, now, actor, action, res.Changed, changedIDs, details)
	})
	return res, err
}

// SetStatus activates or disables users. Users already in that status are
// skipped. Disabling an owner is refused for the last active owner.
func (db *DB) SetStatus(actor roster.Actor, ids []uint64, status roster.Status) (roster.BulkResult, error) {
	if status != roster.StatusActive && status != roster.StatusDisabled {
		return roster.BulkResult{}, roster.FieldErrorf(roster.EINVALID, "status", "a user can be activated or disabled, not set to %s", status)
	}
	return db.bulk(actor, ids, roster.ActionUserStatus, "status "+status.String(), status == roster.StatusDisabled,
		func(tx *bolt.Tx, u *roster.User) (string, error) {
			if u.Status == status {
				return "already " + status.String(), nil
			}
			u.Status = status
			if status == roster.StatusActive && u.ActivatedAt.IsZero() {
				u.ActivatedAt = db.now()
			}
			return "", nil
		})
}

// SetRole gives users a role. Only owners grant or take admin and owner.
func (db *DB) SetRole(actor roster.Actor, ids []uint64, role roster.Role) (roster.BulkResult, error) {
	if role < roster.RoleMember || role > roster.RoleOwner {
		return roster.BulkResult{}, roster.FieldErrorf(roster.EINVALID, "role", "unknown role")
	}
	return db.bulk(actor, ids, roster.ActionUserRole, "role "+role.String(), role != roster.RoleOwner,
		func(tx *bolt.Tx, u *roster.User) (string, error) {
			if u.Role == role {
				return "already " + role.String(), nil
			}
			// bulk checks the power to change u; granting the role is a
			// power of its own (an admin may not make anyone admin).
			a, err := resolveActorTx(tx, actor)
			if err != nil {
				return "", err
			}
			if a.CanGrant(role) != nil {
				return "needs the owner role", nil
			}
			u.Role = role
			return "", nil
		})
}

// AddToGroup puts users into the named group; members already in it are skipped.
func (db *DB) AddToGroup(actor roster.Actor, ids []uint64, group string) (roster.BulkResult, error) {
	return db.membership(actor, ids, group, true)
}

// RemoveFromGroup takes users out of the named group; non-members are skipped.
func (db *DB) RemoveFromGroup(actor roster.Actor, ids []uint64, group string) (roster.BulkResult, error) {
	return db.membership(actor, ids, group, false)
}

func (db *DB) membership(actor roster.Actor, ids []uint64, group string, add bool) (roster.BulkResult, error) {
	action, details := roster.ActionGroupRemove, "removed from "+group
	if add {
		action, details = roster.ActionGroupAdd, "added to "+group
	}
	// Look the group up first so that an unknown one fails even an empty call.
	if _, err := db.Group(group); err != nil {
		return roster.BulkResult{}, err
	}
	var gid uint64
	return db.bulk(actor, ids, action, details, false, func(tx *bolt.Tx, u *roster.User) (string, error) {
		if gid == 0 {
			g, err := groupByNameTx(tx, group)
			if err != nil {
				return "", err
			}
			gid = g.ID
		}
		in := u.InGroup(gid)
		switch {
		case add && in:
			return "already in " + group, nil
		case !add && !in:
			return "not in " + group, nil
		}
		ids := make([]uint64, 0, len(u.GroupIDs)+1)
		for _, id := range u.GroupIDs {
			if id != gid {
				ids = append(ids, id)
			}
		}
		if add {
			ids = insertSorted(ids, gid)
		}
		return "", setMembershipsTx(tx, u, ids)
	})
}

// DeleteUsers removes users, their index entries and memberships. Their
// audit events stay.
func (db *DB) DeleteUsers(actor roster.Actor, ids []uint64) (roster.BulkResult, error) {
	return db.bulk(actor, ids, roster.ActionUserDelete, "deleted", true, func(tx *bolt.Tx, u *roster.User) (string, error) {
		if err := deleteUserTx(tx, u); err != nil {
			return "", err
		}
		u.ID = 0
		return "", nil
	})
}

func deleteUserTx(tx *bolt.Tx, u *roster.User) error {
	if err := setMembershipsTx(tx, u, nil); err != nil {
		return err
	}
	for _, step := range []struct {
		bucket []byte
		key    []byte
	}{
		{bucketUsers, u64(u.ID)},
		{bucketUsersByUsername, []byte(u.Username)},
		{bucketUsersByEmail, []byte(roster.NormalizeEmail(u.Email))},
	} {
		if err := tx.Bucket(step.bucket).Delete(step.key); err != nil {
			return err
		}
	}
	// Each file that keeps per-user data adds its clean-up here.
	if err := deleteUserKeysTx(tx, u.ID); err != nil {
		return err
	}
	if err := deleteUserOutboxTx(tx, u.ID); err != nil {
		return err
	}
	return deleteUserTokensTx(tx, u.ID)
}

func insertSorted(ids []uint64, id uint64) []uint64 {
	i := 0
	for i < len(ids) && ids[i] < id {
		i++
	}
	ids = append(ids, 0)
	copy(ids[i+1:], ids[i:])
	ids[i] = id
	return ids
}
