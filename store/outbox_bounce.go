package store

import (
	"crypto/subtle"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Bounce is a delivery failure that came back by mail after the relay had
// accepted the message: a delivery status notification (RFC 3464) or one
// of its non-standard cousins, read by the mail package.
type Bounce struct {
	JobID     uint64 // from the return path (VERP) or ENVID; 0 when unknown
	JobKey    string // the job's key from the same tag; must match the job's
	Recipient string // the address that failed (Final-Recipient)
	Hard      bool   // a permanent failure (5.x.x) of the recipient
	Detail    string // the diagnostic, as the remote server put it
}

// BounceOutcome says what RecordBounce did.
type BounceOutcome uint8

// Bounce outcomes.
const (
	BounceBlocked  BounceOutcome = iota + 1 // hard: invitation bounced, address blocked, link revoked
	BounceSoft                              // soft: recorded on the job, nothing blocked
	BounceStale                             // the job is not this recipient's current mail any more: recorded only
	BounceRepeated                          // the job had bounced already
)

// RecordBounce applies a bounce that came back by mail to the job it
// names. The job's random key must come with its number, and the
// recipient must be the job's: a bounce naming no job, a job without its
// key, or another address, is refused (ENOTFOUND), so a forged report
// cannot block an address by knowing it or guessing a job number. A hard bounce marks the job
// and the user's invitation bounced, blocks the address with the
// diagnostic and revokes the link if it is still the user's; a soft one
// is recorded on the job. Both are audited.
//
// Only Roster itself (a system actor: the mail package reading a bounce)
// records one, as only its worker records delivery results; the power
// table has no line for it.
func (db *DB) RecordBounce(actor roster.Actor, b Bounce) (*Job, BounceOutcome, error) {
	if !actor.System {
		return nil, 0, roster.Errorf(roster.EFORBIDDEN, "%s may not record a bounce: only Roster's mail reader does", actor.Name)
	}
	var out *Job
	var outcome BounceOutcome
	err := db.update(func(tx *bolt.Tx) error {
		now := db.now()
		j, err := bounceJobTx(tx, b)
		if err != nil {
			return err
		}
		out, outcome = j, 0
		detail := b.Detail
		if detail == "" {
			detail = "bounced (no diagnostic given)"
		}
		if !b.Hard {
			j.Detail = "soft bounce: " + detail
			outcome = BounceSoft
			if err := putJobTx(tx, j); err != nil {
				return err
			}
			return writeAudit(tx, now, actor, "mail.softbounce", []string{j.To}, userIDs(j), j.Kind.String()+" mail: "+detail)
		}
		if j.State == JobBounced {
			outcome = BounceRepeated
			return nil
		}
		current := j.UserID != 0 && currentJobTx(tx, j.UserID) == j.ID
		if j.State == JobSending || j.State == JobQueued {
			// A report about an attempt still in progress elsewhere: take
			// the job out of the due index first.
			if err := tx.Bucket(bucketOutboxDue).Delete(dueKey(j.Due, j.ID)); err != nil {
				return err
			}
		}
		j.State, j.Owner, j.Due, j.DoneAt, j.Detail = JobBounced, "", time.Time{}, now, detail
		if err := tx.Bucket(bucketOutboxBody).Delete(u64(j.ID)); err != nil {
			return err
		}
		if err := putJobTx(tx, j); err != nil {
			return err
		}
		if err := setUserDeliveryTx(tx, j, roster.DeliveryBounced, detail, now); err != nil {
			return err
		}
		outcome = BounceBlocked
		if current && (j.Kind == MailInvite || j.Kind == MailReset) {
			if err := revokeTokenTx(tx, j.UserID); err != nil {
				return err
			}
		} else if j.UserID != 0 {
			outcome = BounceStale
		}
		return writeAudit(tx, now, actor, "mail.bounce", []string{j.To}, userIDs(j), j.Kind.String()+" mail bounced later: "+detail)
	})
	return out, outcome, err
}

func userIDs(j *Job) []uint64 {
	if j.UserID == 0 {
		return nil
	}
	return []uint64{j.UserID}
}

// bounceJobTx finds the job a bounce is about.
func bounceJobTx(tx *bolt.Tx, b Bounce) (*Job, error) {
	if b.JobID == 0 {
		// A report naming only an address could come from anyone who
		// knows the address: it blocks nobody; a person reads it.
		return nil, roster.Errorf(roster.ENOTFOUND, "the bounce names no job of Roster's (no roster-JOB-KEY tag in its return path, ENVID or returned headers)")
	}
	j, err := getJobTx(tx, b.JobID)
	if err != nil {
		return nil, roster.Errorf(roster.ENOTFOUND, "no outbox job %d", b.JobID)
	}
	if j.Key != "" && subtle.ConstantTimeCompare([]byte(j.Key), []byte(b.JobKey)) != 1 {
		// A job number alone is guessable (they are sequential).
		return nil, roster.Errorf(roster.ENOTFOUND, "outbox job %d: the bounce does not carry its key", b.JobID)
	}
	if rcpt := roster.NormalizeEmail(b.Recipient); rcpt != "" && roster.NormalizeEmail(j.To) != rcpt {
		return nil, roster.Errorf(roster.ENOTFOUND, "outbox job %d was not sent to %s", b.JobID, b.Recipient)
	}
	return j, nil
}
