package store

import (
	"fmt"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// bulkChange changes one user inside a bulk operation. It returns a reason
// to skip the user, or "" when it changed u, which the caller then saves
// (or deletes, when the change set u.ID to 0) once the last-owner rule
// allows. Changes of role, status or existence touch only u in memory.
type bulkChange func(tx *bolt.Tx, actor roster.Actor, u *roster.User) (skip string, err error)

// bulk applies change to every user in ids in one transaction. Users the
// actor may not apply op to, and the last active owner when the change
// would take their powers, are skipped with the reason; an unknown id
// fails the whole call.
func (db *DB) bulk(actor roster.Actor, op roster.Op, ids []uint64, action, details string, change bulkChange) (roster.BulkResult, error) {
	return db.bulkOr(actor, op, ids, action, details, change, nil)
}

// bulkOr is bulk where, when gone is set, a user no longer there is
// skipped under the name gone gives their id, rather than failing the call.
func (db *DB) bulkOr(actor roster.Actor, op roster.Op, ids []uint64, action, details string, change bulkChange, gone func(id uint64) string) (roster.BulkResult, error) {
	var res roster.BulkResult
	err := db.update(func(tx *bolt.Tx) error {
		res = roster.BulkResult{}
		actor, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		if err := actor.MayAny(op); err != nil {
			return err
		}
		now := db.now()
		owners := -1 // active owners left, counted on first need
		var changedIDs []uint64
		seen := make(map[uint64]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			u, err := getUserTx(tx, id)
			if gone != nil && roster.ErrorCode(err) == roster.ENOTFOUND {
				res.Skip(gone(id), "deleted since")
				continue
			}
			if err != nil {
				return err
			}
			if actor.May(op, u) != nil {
				res.Skip(u.Username, actor.Needs(op, u))
				continue
			}
			before := *u
			skip, err := change(tx, actor, u)
			if err != nil {
				return fmt.Errorf("%s: %w", u.Username, err)
			}
			if skip != "" {
				res.Skip(u.Username, skip)
				continue
			}
			deleted := u.ID == 0 // a deleted user comes back with ID 0
			after := u
			if deleted {
				after = nil
			}
			if roster.LosesOwner(&before, after) {
				if owners < 0 {
					owners = countActiveOwnersTx(tx)
				}
				if roster.KeepOwner(u.Username, owners-1) != nil {
					res.Skip(u.Username, "is the last active owner")
					continue
				}
				owners--
			}
			u.UpdatedAt = now
			if !deleted && linksDie(&before, u) {
				if _, err := revokeLinksTx(tx, u); err != nil {
					return err
				}
			}
			if deleted {
				err = deleteUserTx(tx, &before)
			} else {
				err = putUserTx(tx, u)
			}
			if err != nil {
				return err
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
	return db.bulk(actor, roster.OpSetStatus, ids, roster.ActionUserStatus, "status "+status.String(),
		func(tx *bolt.Tx, _ roster.Actor, u *roster.User) (string, error) {
			if u.Status == status {
				return "already " + status.String(), nil
			}
			if status == roster.StatusActive {
				if skip := expiredSkip(u, db.now()); skip != "" {
					return skip, nil
				}
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
	return db.bulk(actor, roster.OpSetRole, ids, roster.ActionUserRole, "role "+role.String(),
		func(tx *bolt.Tx, actor roster.Actor, u *roster.User) (string, error) {
			if u.Role == role {
				return "already " + role.String(), nil
			}
			// bulk checked the power to change u; granting the role is a
			// power of its own (an admin may not make anyone admin).
			grant := &roster.User{Role: role}
			if actor.May(roster.OpSetRole, grant) != nil {
				return actor.Needs(roster.OpSetRole, grant), nil
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
	if _, err := db.Group(actor, group); err != nil {
		return roster.BulkResult{}, err
	}
	var gid uint64
	return db.bulk(actor, roster.OpMembership, ids, action, details, func(tx *bolt.Tx, actor roster.Actor, u *roster.User) (string, error) {
		if gid == 0 {
			g, err := groupByNameTx(tx, group)
			if err != nil {
				return "", err
			}
			gid = g.ID
		}
		if err := actor.MayMembership(u, gid, group); err != nil {
			return group + " is not a group you manage", nil
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
	return db.bulk(actor, roster.OpDeleteUser, ids, roster.ActionUserDelete, "deleted", func(tx *bolt.Tx, _ roster.Actor, u *roster.User) (string, error) {
		u.ID = 0 // bulk deletes the user once the last-owner rule allows
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
		{bucketExpiryDue, u64(u.ID)},
		{bucketDormantWarned, u64(u.ID)},
	} {
		if err := tx.Bucket(step.bucket).Delete(step.key); err != nil {
			return err
		}
	}
	// Each file that keeps per-user data adds its clean-up here.
	if err := releaseIDTx(tx, uidKind, u.UIDNumber); err != nil {
		return err
	}
	if err := deleteUserKeysTx(tx, u.ID); err != nil {
		return err
	}
	if _, err := deleteManagersTx(tx, u.ID, 0); err != nil {
		return err
	}
	if err := deleteUserOutboxTx(tx, u.ID); err != nil {
		return err
	}
	if err := deleteUserResetsTx(tx, u.ID); err != nil {
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
