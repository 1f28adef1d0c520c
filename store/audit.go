package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

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
	idx := tx.Bucket(bucketAuditByUser)
	for _, uid := range userIDs {
		if err := idx.Put(key2(uid, id), nil); err != nil {
			return err
		}
	}
	return nil
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
func (db *DB) AuditEvents(f AuditFilter) ([]roster.AuditEvent, error) {
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
		events := tx.Bucket(bucketAudit)
		if f.UserID != 0 {
			prefix := u64(f.UserID)
			c := tx.Bucket(bucketAuditByUser).Cursor()
			k, _ := c.Seek(key2(f.UserID, ^uint64(0)))
			if k == nil || !bytes.HasPrefix(k, prefix) {
				k, _ = c.Prev()
			}
			for ; k != nil && bytes.HasPrefix(k, prefix) && !full(); k, _ = c.Prev() {
				if data := events.Get(k[8:]); data != nil {
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
