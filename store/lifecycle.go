package store

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
	bolt "go.etcd.io/bbolt"
)

// Expiry dates are kept in the user record and, for accounts not Disabled
// yet, in an index, so that every roster process can check on opening
// whether a date has come without reading every user:
//
//	users_expiry_due  user id → expiry (unix nanoseconds)
var bucketExpiryDue = []byte("users_expiry_due")

func init() { allBuckets = append(allBuckets, bucketExpiryDue) }

// Who disables accounts on their own, as the audit log names them.
var (
	expiryActor     = roster.SystemActor("expiry")
	inactivityActor = roster.SystemActor("inactivity")
)

// indexExpiryTx keeps u's entry in the due index: present exactly when u
// has an expiry and is not Disabled. putUserTx calls it on every write.
func indexExpiryTx(tx *bolt.Tx, u *roster.User) error {
	b := tx.Bucket(bucketExpiryDue)
	if !u.ExpiresAt.IsZero() && u.Status != roster.StatusDisabled {
		return b.Put(u64(u.ID), u64(uint64(u.ExpiresAt.UnixNano())))
	}
	if b.Get(u64(u.ID)) != nil {
		return b.Delete(u64(u.ID))
	}
	return nil
}

// dueIDsTx returns the users whose expiry has come by now, from the index.
func dueIDsTx(tx *bolt.Tx, now time.Time) []uint64 {
	var ids []uint64
	b := tx.Bucket(bucketExpiryDue)
	if b == nil {
		return nil
	}
	_ = b.ForEach(func(k, v []byte) error {
		if len(k) == 8 && len(v) == 8 && int64(binary.BigEndian.Uint64(v)) <= now.UnixNano() {
			ids = append(ids, binary.BigEndian.Uint64(k))
		}
		return nil
	})
	return ids
}

// DueResult says what DisableDue did.
type DueResult struct {
	Expired []string // disabled because their expiry date came
	Dormant []string // disabled by the inactivity policy
	Kept    []string // due, but the last active owner: left active, with the reason in the audit log
}

// DisableDue disables every account whose expiry date has come (audited by
// system:expiry) and, when inactiveAfter is positive, every Active account
// with no sign-in for that long (never signed in counts from activation;
// audited by system:inactivity). It re-checks each account in the write
// transaction, so two processes sweeping at once disable each account once.
// The last active owner is never disabled this way. EFORBIDDEN unless the
// actor may OpDisableDue.
func (db *DB) DisableDue(actor roster.Actor, inactiveAfter time.Duration) (DueResult, error) {
	now := db.now()
	var dormant []uint64
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpDisableDue, nil); err != nil {
			return err
		}
		if inactiveAfter <= 0 {
			return nil
		}
		// Find candidates under a shared lock; the write re-checks them.
		return tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
			u, err := decodeUser(v)
			if err != nil {
				return err
			}
			if u.InactiveFor(now, inactiveAfter) {
				dormant = append(dormant, u.ID)
			}
			return nil
		})
	})
	if err != nil {
		return DueResult{}, err
	}
	var res DueResult
	if due, err := db.hasDue(now); err != nil || (!due && len(dormant) == 0) {
		return res, err
	}
	err = db.update(func(tx *bolt.Tx) error {
		res = DueResult{}
		if _, err := mayTx(tx, actor, roster.OpDisableDue, nil); err != nil {
			return err
		}
		var err error
		res.Expired, res.Kept, err = expireDueTx(tx, now)
		if err != nil {
			return err
		}
		still := func(u *roster.User) bool { return u.InactiveFor(now, inactiveAfter) }
		days := fmt.Sprintf("no sign-in for %d days", int(inactiveAfter/(24*time.Hour)))
		var kept []string
		res.Dormant, kept, err = disableTx(tx, now, dormant, still, inactivityActor, roster.ActionUserDormant, days)
		res.Kept = append(res.Kept, kept...)
		return err
	})
	return res, err
}

// hasDue reports, under a shared lock, whether an expiry date has come.
func (db *DB) hasDue(now time.Time) (bool, error) {
	due := false
	err := db.view(func(tx *bolt.Tx) error {
		due = len(dueIDsTx(tx, now)) > 0
		return nil
	})
	return due, err
}

// expireOnOpen is what every roster process does on opening the file: it
// disables the accounts whose expiry date has come. Most opens find none
// with one read of the small due index.
func (db *DB) expireOnOpen() error {
	now := db.now()
	if due, err := db.hasDue(now); err != nil || !due {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		_, _, err := expireDueTx(tx, now)
		return err
	})
}

// expireDueTx disables the accounts whose expiry has come, in one audit
// event by system:expiry.
func expireDueTx(tx *bolt.Tx, now time.Time) (disabled, kept []string, err error) {
	ids := dueIDsTx(tx, now)
	still := func(u *roster.User) bool { return u.ExpiryDue(now) }
	return disableTx(tx, now, ids, still, expiryActor, roster.ActionUserExpire, "expiry date reached")
}

// disableTx disables the users ids that still satisfy due, in one audit
// event. The last active owner is kept, with an event saying so, and
// leaves the due index so that every open does not try again.
func disableTx(tx *bolt.Tx, now time.Time, ids []uint64, due func(*roster.User) bool, actor roster.Actor, action, details string) (disabled, kept []string, err error) {
	var changed []uint64
	owners := -1
	for _, id := range ids {
		u, err := getUserTx(tx, id)
		if roster.ErrorCode(err) == roster.ENOTFOUND {
			_ = tx.Bucket(bucketExpiryDue).Delete(u64(id))
			continue
		} else if err != nil {
			return nil, nil, err
		}
		if !due(u) {
			if err := indexExpiryTx(tx, u); err != nil {
				return nil, nil, err
			}
			continue
		}
		before := *u
		u.Status, u.UpdatedAt = roster.StatusDisabled, now
		if roster.LosesOwner(&before, u) {
			if owners < 0 {
				owners = countActiveOwnersTx(tx)
			}
			if roster.KeepOwner(u.Username, owners-1) != nil {
				kept = append(kept, u.Username)
				if err := tx.Bucket(bucketExpiryDue).Delete(u64(id)); err != nil {
					return nil, nil, err
				}
				if err := writeAudit(tx, now, actor, action, []string{u.Username}, []uint64{u.ID},
					details+"; not disabled: the last active owner"); err != nil {
					return nil, nil, err
				}
				continue
			}
			owners--
		}
		if err := putUserTx(tx, u); err != nil {
			return nil, nil, err
		}
		disabled = append(disabled, u.Username)
		changed = append(changed, u.ID)
	}
	if len(disabled) == 0 {
		return nil, kept, nil
	}
	return disabled, kept, writeAudit(tx, now, actor, action, disabled, changed, details+": disabled")
}

// expiryText writes an expiry for the audit log.
func expiryText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// expiredSkip is why an account whose expiry has come may not be
// activated: the next sweep would disable it again.
func expiredSkip(u *roster.User, now time.Time) string {
	if !u.ExpiresAt.IsZero() && !now.Before(u.ExpiresAt) {
		return fmt.Sprintf("expired on %s (set a later date or none first)", u.ExpiresAt.Format(roster.DateLayout))
	}
	return ""
}

// CreateService adds a service account: Active at once with the given
// password (generated and approved by the caller, outside any
// transaction), never invited, no e-mail needed, in directory-readers
// unless groups are given. Errors as for CreateUser.
func (db *DB) CreateService(actor roster.Actor, n roster.NewUser, pw password.Approved) (*roster.User, error) {
	n.Kind = roster.KindService
	var out *roster.User
	err := db.update(func(tx *bolt.Tx) error {
		actor, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		now := db.now()
		u, err := createUserTx(tx, actor, now, n)
		if err != nil {
			return err
		}
		if !pw.For(u.Username, u.Email) {
			return errNotApproved
		}
		u.PasswordHash, u.PasswordSetAt = pw.Hash(), now
		if err := putUserTx(tx, u); err != nil {
			return err
		}
		out = u
		groups := make([]string, 0, len(u.GroupIDs))
		for _, gid := range u.GroupIDs {
			if g, err := decodeGroup(tx.Bucket(bucketGroups).Get(u64(gid))); err == nil {
				groups = append(groups, g.Name)
			}
		}
		return writeAudit(tx, now, actor, roster.ActionUserCreate, []string{u.Username}, []uint64{u.ID},
			fmt.Sprintf("service account, name %q, role %s, groups %s; generated password shown once", u.Name, u.Role, strings.Join(groups, ", ")))
	})
	return out, err
}

// SetGeneratedPassword stores a password Roster generated for the user
// (shown once by the caller, never stored or logged in the clear), revokes
// the user's live link, and audits it. A Pending person becomes Active:
// the password replaces the invitation. Powers as for SetPassword.
func (db *DB) SetGeneratedPassword(actor roster.Actor, uid uint64, pw password.Approved) (*roster.User, error) {
	var out *roster.User
	err := db.update(func(tx *bolt.Tx) error {
		actor, u, err := userForTx(tx, actor, roster.OpSetPassword, uid)
		if err != nil {
			return err
		}
		if !pw.For(u.Username, u.Email) {
			return errNotApproved
		}
		now := db.now()
		details := "generated password shown once to " + actor.String()
		if u.Status == roster.StatusPending {
			if skip := expiredSkip(u, now); skip != "" {
				return roster.Errorf(roster.ECONFLICT, "%s %s", u.Username, skip)
			}
			u.Status, u.ActivatedAt = roster.StatusActive, now
			details += "; activated"
		}
		if revoked, err := revokeLiveTokenTx(tx, u.ID); err != nil {
			return err
		} else if revoked {
			details += "; live link revoked"
		}
		if cancelled, err := cancelLinkMailTx(tx, now, u.ID, "a password was generated instead"); err != nil {
			return err
		} else if cancelled {
			details += "; its queued mail cancelled"
			u.Delivery, u.DeliveryDetail, u.DeliveryAt = roster.DeliveryNone, "", now
		}
		u.PasswordHash, u.PasswordSetAt, u.UpdatedAt = pw.Hash(), now, now
		u.InviteExpires = time.Time{}
		if err := putUserTx(tx, u); err != nil {
			return err
		}
		out = u
		return writeAudit(tx, now, actor, roster.ActionPasswordGenerate, []string{u.Username}, []uint64{u.ID}, details)
	})
	return out, err
}

// revokeLiveTokenTx revokes the user's live link and says whether there
// was one.
func revokeLiveTokenTx(tx *bolt.Tx, uid uint64) (bool, error) {
	live := tx.Bucket(bucketTokensByUser).Get(u64(uid)) != nil
	return live, revokeTokenTx(tx, uid)
}
