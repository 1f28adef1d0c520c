package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// An event about many users at once (a bulk action, a batch of new users)
// is indexed as one list of their ids rather than one audit_by_user entry
// each: 10,000 entries spread over the whole of audit_by_user rewrite most
// of its pages, so every bulk action cost more than the one before (a
// 10,000-user status change on 100k users: 26 ms at first, 400 ms after 80
// of them). The list is appended at the end of its bucket instead.
//
//	audit_by_users  event id → the user ids, 8 bytes each, ascending
var bucketAuditByUsers = []byte("audit_by_users")

func init() { allBuckets = append(allBuckets, bucketAuditByUsers) }

// auditListMin is the number of users from which an event's index is a list.
const auditListMin = 32

// writeAudit appends an event in the caller's transaction, indexed under
// every user id given, and bumps nothing: update() does that.
func writeAudit(tx *bolt.Tx, now time.Time, actor roster.Actor, action string, targets []string, userIDs []uint64, details string) error {
	b := tx.Bucket(bucketAudit)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	ev := roster.AuditEvent{ID: id, Time: now, Actor: actor.String(), Action: action, Targets: targets, Details: details}
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode audit event: %w", err)
	}
	if err := b.Put(u64(id), data); err != nil {
		return err
	}
	if len(userIDs) >= auditListMin {
		ids := slices.Clone(userIDs)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		list := make([]byte, 8*len(ids))
		for i, uid := range ids {
			binary.BigEndian.PutUint64(list[8*i:], uid)
		}
		lists := tx.Bucket(bucketAuditByUsers)
		lists.FillPercent = 0.9 // event ids only grow
		return lists.Put(u64(id), list)
	}
	idx := tx.Bucket(bucketAuditByUser)
	for _, uid := range userIDs {
		if err := idx.Put(key2(uid, id), nil); err != nil {
			return err
		}
	}
	return nil
}

// userEventIDsTx returns the ids of the events about user uid, newest first,
// from both indexes.
func userEventIDsTx(tx *bolt.Tx, uid uint64) []uint64 {
	var ids []uint64
	prefix := u64(uid)
	c := tx.Bucket(bucketAuditByUser).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, idFromKey(k[8:]))
	}
	_ = tx.Bucket(bucketAuditByUsers).ForEach(func(k, v []byte) error {
		if listHas(v, uid) {
			ids = append(ids, idFromKey(k))
		}
		return nil
	})
	slices.Sort(ids)
	slices.Reverse(ids)
	return slices.Compact(ids)
}

// listHas reports whether an ascending list of 8-byte ids holds uid.
func listHas(list []byte, uid uint64) bool {
	n := len(list) / 8
	i := sort.Search(n, func(i int) bool { return binary.BigEndian.Uint64(list[8*i:]) >= uid })
	return i < n && binary.BigEndian.Uint64(list[8*i:]) == uid
}

// Audit records an event that has no other change with it (a sign-in, a
// refused token), on behalf of adapters.
func (db *DB) Audit(actor roster.Actor, action string, targets []string, userIDs []uint64, details string) error {
	return db.write(func(tx *bolt.Tx) error {
		return writeAudit(tx, db.now(), actor, action, targets, userIDs, details)
	})
}

// AuditFilter selects audit events. Zero values select everything.
type AuditFilter struct {
	Limit  int    // newest first; 0 means no limit
	Search string // case-insensitive substring of actor, action, targets or details
	UserID uint64 // only events about this user
}

// AuditEvents returns events newest first.
//
// The whole log needs OpReadAudit; the events about one user (UserID) need
// it on that user, which everyone has on themselves.
func (db *DB) AuditEvents(actor roster.Actor, f AuditFilter) ([]roster.AuditEvent, error) {
	var out []roster.AuditEvent
	q := strings.ToLower(f.Search)
	keep := func(data []byte) error {
		var ev roster.AuditEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			return fmt.Errorf("decode audit event: %w", err)
		}
		if q == "" || auditMatches(&ev, q) {
			out = append(out, ev)
		}
		return nil
	}
	full := func() bool { return f.Limit > 0 && len(out) >= f.Limit }
	err := db.view(func(tx *bolt.Tx) error {
		// A deleted user's history stays readable to those who read the
		// whole log.
		a, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		if a.MayOthers(roster.OpReadAudit) || f.UserID == 0 {
			err = a.May(roster.OpReadAudit, nil)
		} else if a.IsLocal() || f.UserID != a.UserID {
			err = a.RefuseOthers(roster.OpReadAudit)
		}
		if err != nil {
			return err
		}
		events := tx.Bucket(bucketAudit)
		if f.UserID != 0 {
			for _, id := range userEventIDsTx(tx, f.UserID) {
				if full() {
					break
				}
				if data := events.Get(u64(id)); data != nil {
					if err := keep(data); err != nil {
						return err
					}
				}
			}
			return nil
		}
		c := events.Cursor()
		for k, v := c.Last(); k != nil && !full(); k, v = c.Prev() {
			if err := keep(v); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func auditMatches(ev *roster.AuditEvent, q string) bool {
	if strings.Contains(strings.ToLower(ev.Actor), q) || strings.Contains(ev.Action, q) ||
		strings.Contains(strings.ToLower(ev.Details), q) {
		return true
	}
	for _, t := range ev.Targets {
		if strings.Contains(strings.ToLower(t), q) {
			return true
		}
	}
	return false
}

// idFromKey reads a big-endian id. A damaged entry of the wrong size reads
// as 0, which is no record's id, rather than panicking.
func idFromKey(k []byte) uint64 {
	if len(k) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}
