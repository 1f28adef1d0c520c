package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Who was warned that the inactivity policy disables them soon, and for
// which stretch of inactivity, so each person is warned once per stretch:
//
//	users_dormant_warned  user id → the InactiveSince the warning was for (unix nanoseconds)
//
// A sign-in starts a new stretch (InactiveSince moves), so the entry no
// longer matches and a later stretch is warned again.
var bucketDormantWarned = []byte("users_dormant_warned")

func init() { allBuckets = append(allBuckets, bucketDormantWarned) }

// WarnDormant queues a warning mail to every Active person whom the
// inactivity policy (no sign-in for inactiveAfter) will disable within
// warnBefore, once per stretch of inactivity: the mail says on which day.
// Accounts already due are left to DisableDue; service accounts, people
// without an address, with a blocked address or with mail still queued
// are left out. One audit event by system:inactivity names those warned.
// It needs OpDisableDue; render builds the messages (MailDormant, Expires
// is the day the account would be disabled).
func (db *DB) WarnDormant(actor roster.Actor, inactiveAfter, warnBefore time.Duration, render RenderFunc) ([]string, error) {
	if inactiveAfter <= 0 || warnBefore <= 0 {
		return nil, nil
	}
	if render == nil {
		return nil, roster.Errorf(roster.EINVALID, "warning mail needs a renderer")
	}
	now := db.now()
	var candidates []uint64
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpDisableDue, nil); err != nil {
			return err
		}
		// Find candidates under a shared lock; the write re-checks them.
		return tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
			u, err := decodeUser(v)
			if err != nil {
				return err
			}
			if dormantWarnDue(tx, u, now, inactiveAfter, warnBefore) {
				candidates = append(candidates, u.ID)
			}
			return nil
		})
	})
	if err != nil || len(candidates) == 0 {
		return nil, err
	}
	var warned []string
	err = db.update(func(tx *bolt.Tx) error {
		warned = nil
		if _, err := mayTx(tx, actor, roster.OpDisableDue, nil); err != nil {
			return err
		}
		var ids []uint64
		for _, id := range candidates {
			u, err := getUserTx(tx, id)
			if roster.ErrorCode(err) == roster.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if !dormantWarnDue(tx, u, now, inactiveAfter, warnBefore) {
				continue
			}
			since := u.InactiveSince()
			body, err := render(MailContent{Kind: MailDormant, User: u, Expires: since.Add(inactiveAfter)})
			if err != nil {
				return fmt.Errorf("render %s mail: %w", MailDormant, err)
			}
			if _, err := addJobTx(tx, now, u.ID, MailDormant, u.Email, packBody(body)); err != nil {
				return err
			}
			if err := tx.Bucket(bucketDormantWarned).Put(u64(u.ID), u64(uint64(since.UnixNano()))); err != nil {
				return err
			}
			warned, ids = append(warned, u.Username), append(ids, u.ID)
		}
		if len(warned) == 0 {
			return nil
		}
		return writeAudit(tx, now, inactivityActor, roster.ActionDormantWarn, warned, ids,
			fmt.Sprintf("warned by mail: no sign-in for %d days disables them within %d days",
				int(inactiveAfter/(24*time.Hour)), int(warnBefore/(24*time.Hour))))
	})
	return warned, err
}

// dormantWarnDue reports whether u should be warned now: an Active person
// with an address that takes mail, inactive for inactiveAfter-warnBefore
// but not yet inactiveAfter, not warned for this stretch, and with no other
// mail waiting in the outbox (a new job would cancel it).
func dormantWarnDue(tx *bolt.Tx, u *roster.User, now time.Time, inactiveAfter, warnBefore time.Duration) bool {
	if u.IsService() || u.Email == "" || u.Suppressed {
		return false
	}
	if !u.InactiveFor(now, inactiveAfter-warnBefore) || u.InactiveFor(now, inactiveAfter) {
		return false
	}
	if v := tx.Bucket(bucketDormantWarned).Get(u64(u.ID)); len(v) == 8 &&
		int64(binary.BigEndian.Uint64(v)) == u.InactiveSince().UnixNano() {
		return false
	}
	if id := currentJobTx(tx, u.ID); id != 0 {
		// An older warning still queued may give way; other mail may not.
		if j, err := getJobTx(tx, id); err == nil && j.State == JobQueued && j.Kind != MailDormant {
			return false
		}
	}
	return true
}

// checkDormantWarnedTx: every warned-users entry must name a user who
// exists, by an 8-byte id, and hold an 8-byte time. Deleting a user clears
// their entry; one left over would be the sign of a write path that
// forgot it.
func checkDormantWarnedTx(tx *bolt.Tx, users *userFacts, report func(string, ...any)) {
	_ = tx.Bucket(bucketDormantWarned).ForEach(func(k, v []byte) error {
		switch {
		case len(k) != 8:
			report("dormant-warning entry %x: key is %d bytes, not 8", k, len(k))
		case len(v) != 8:
			report("dormant-warning entry of user %d holds %d bytes, not 8", idFromKey(k), len(v))
		default:
			if _, ok := users.pos.find(idFromKey(k)); !ok {
				report("dormant-warning entry names missing user %d", idFromKey(k))
			}
		}
		return nil
	})
}
