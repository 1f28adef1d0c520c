package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Check verifies the file: bbolt's own consistency check, then Roster's
// invariants: every record decodes, every index entry points at a record
// that carries that value, every record has its index entries, and the two
// directions of group membership agree. It returns every problem found.
//
// It needs OpCheck; a refusal is the one error returned.
func (db *DB) Check(actor roster.Actor) []error {
	// A local or system actor's powers need no read of the file, which
	// may be the damaged one; a signed-in user's role comes from it.
	err := actor.May(roster.OpCheck, nil)
	if err == nil && !actor.IsLocal() {
		err = db.view(func(tx *bolt.Tx) error {
			_, err := mayTx(tx, actor, roster.OpCheck, nil)
			return err
		})
	}
	if err != nil {
		return []error{err}
	}
	var problems []error
	db.whileLetGo(func() { problems = db.check() }) // its child opens the file
	return problems
}

// check is Check without the power: for copies that are no one's database.
func (db *DB) check() []error {
	var problems []error
	report := func(format string, args ...any) {
		if len(problems) < 100 {
			problems = append(problems, fmt.Errorf(format, args...))
		}
	}
	// bbolt's part first, in a child process (see boltCheck); Roster's
	// invariants only on a file whose pages hold together.
	if problems = boltCheck(db.path); len(problems) > 0 {
		return problems
	}
	err := db.view(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				report("bucket %s is missing", name)
			}
		}
		if len(problems) > 0 {
			return nil
		}
		checkUsersTx(tx, report)
		checkGroupsTx(tx, report)
		checkNestingTx(tx, report)
		checkManagersTx(tx, report)
		checkPosixTx(tx, report)
		return nil
	})
	if err != nil {
		problems = append(problems, err)
	}
	return problems
}

func checkUsersTx(tx *bolt.Tx, report func(string, ...any)) {
	byUsername, byEmail := tx.Bucket(bucketUsersByUsername), tx.Bucket(bucketUsersByEmail)
	groups, members := tx.Bucket(bucketGroups), tx.Bucket(bucketGroupMembers)
	_ = tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			report("user key %q is %d bytes, not 8", k, len(k))
			return nil
		}
		id := idFromKey(k)
		u, err := decodeUser(v)
		if err != nil {
			report("user %d: %v", id, err)
			return nil
		}
		if u.ID != id {
			report("user %d: record says id %d", id, u.ID)
		}
		if v := byUsername.Get([]byte(u.Username)); v == nil || idFromKey(v) != id {
			report("user %d: username %s is not indexed", id, u.Username)
		}
		if v := byEmail.Get([]byte(roster.NormalizeEmail(u.Email))); u.Email != "" && (v == nil || idFromKey(v) != id) {
			report("user %d: e-mail %s is not indexed", id, u.Email)
		}
		for _, gid := range u.GroupIDs {
			if groups.Get(u64(gid)) == nil {
				report("user %d: member of missing group %d", id, gid)
			}
			if members.Get(key2(gid, id)) == nil {
				report("user %d: membership of group %d missing from group_members", id, gid)
			}
		}
		return nil
	})
	checkIndex := func(bucket []byte, field string, value func(*roster.User) string) {
		_ = tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			u, err := getUserTx(tx, idFromKey(v))
			if len(v) != 8 {
				report("%s index %q holds %d bytes, not an id", field, k, len(v))
			} else if err != nil {
				report("%s index %q points at missing user %d", field, k, idFromKey(v))
			} else if value(u) != string(k) {
				report("%s index %q points at user %d, whose %s is %q", field, k, u.ID, field, value(u))
			}
			return nil
		})
	}
	checkIndex(bucketUsersByUsername, "username", func(u *roster.User) string { return u.Username })
	checkIndex(bucketUsersByEmail, "e-mail", func(u *roster.User) string { return roster.NormalizeEmail(u.Email) })
	// The expiry index may lack a user (the last owner kept past the
	// date) but must not name one without a date.
	if due := tx.Bucket(bucketExpiryDue); due != nil {
		_ = due.ForEach(func(k, _ []byte) error {
			if u, err := getUserTx(tx, idFromKey(k)); err != nil || u.ExpiresAt.IsZero() {
				report("expiry index names user %d, who has no expiry date", idFromKey(k))
			}
			return nil
		})
	}
}

func checkGroupsTx(tx *bolt.Tx, report func(string, ...any)) {
	byName := tx.Bucket(bucketGroupsByName)
	_ = tx.Bucket(bucketGroups).ForEach(func(k, v []byte) error {
		g, err := decodeGroup(v)
		if err != nil {
			report("group %d: %v", idFromKey(k), err)
			return nil
		}
		if v := byName.Get([]byte(roster.NormalizeGroupName(g.Name))); !bytes.Equal(v, k) {
			report("group %d: name %s is not indexed", g.ID, g.Name)
		}
		return nil
	})
	_ = byName.ForEach(func(k, v []byte) error {
		if tx.Bucket(bucketGroups).Get(v) == nil {
			report("group index %q points at missing group %d", k, idFromKey(v))
		}
		return nil
	})
	_ = tx.Bucket(bucketGroupMembers).ForEach(func(k, _ []byte) error {
		if len(k) != 16 {
			report("group_members key of %d bytes", len(k))
			return nil
		}
		gid, uid := idFromKey(k), idFromKey(k[8:])
		u, err := getUserTx(tx, uid)
		if err != nil {
			report("group %d lists missing user %d", gid, uid)
		} else if !u.InGroup(gid) {
			report("group %d lists user %d, whose record does not name the group", gid, uid)
		}
		return nil
	})
	_ = tx.Bucket(bucketAuditByUser).ForEach(func(k, _ []byte) error {
		if len(k) != 16 || tx.Bucket(bucketAudit).Get(k[8:]) == nil {
			report("audit_by_user entry %x points at no event", k)
		}
		return nil
	})
	_ = tx.Bucket(bucketAuditByUsers).ForEach(func(k, v []byte) error {
		if len(k) != 8 || tx.Bucket(bucketAudit).Get(k) == nil {
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

// ErrCheckFailed is wrapped by callers that turn Check's problems into one error.
var ErrCheckFailed = errors.New("database check failed")
