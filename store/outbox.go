package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// The outbox holds mail to send. Inviting writes a job (and its rendered
// message) in the same transaction as the token; the mail worker claims
// due jobs with a lease, sends them outside any transaction, and records
// the results. A job whose lease runs out (its process died) becomes due
// again, so no job is lost and at most the jobs in flight are sent twice.
//
//	outbox          job id → job record (small; no body)
//	outbox_body     job id → the rendered RFC 5322 message (removed once delivered)
//	outbox_due      due time (8 bytes, big-endian Unix ns) + job id → empty,
//	                for every queued or leased job: a queued job is due at its
//	                next attempt, a leased one when its lease runs out
//	outbox_by_user  user id + job id → empty; the last key of a user is their current job
var (
	bucketOutbox       = []byte("outbox")
	bucketOutboxBody   = []byte("outbox_body")
	bucketOutboxDue    = []byte("outbox_due")
	bucketOutboxByUser = []byte("outbox_by_user")
)

func init() {
	allBuckets = append(allBuckets, bucketOutbox, bucketOutboxBody, bucketOutboxDue, bucketOutboxByUser)
}

// JobState is where an outbox job is in its life.
type JobState uint8

// Job states. Queued and Sending jobs are pending; the others are final.
const (
	JobQueued    JobState = iota + 1 // waiting for its first or next attempt
	JobSending                       // claimed by a worker under a lease
	JobSent                          // the server accepted it
	JobFailed                        // gave up after retries, or a configuration error
	JobBounced                       // the server refused it for good (5xx at RCPT or DATA)
	JobCancelled                     // replaced by a newer mail to the same user, or the user was deleted
)

// String returns the state's lower-case name.
func (s JobState) String() string {
	switch s {
	case JobQueued:
		return "queued"
	case JobSending:
		return "sending"
	case JobSent:
		return "sent"
	case JobFailed:
		return "failed"
	case JobBounced:
		return "bounced"
	case JobCancelled:
		return "cancelled"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Final reports whether the job is done, one way or another.
func (s JobState) Final() bool { return s >= JobSent }

// MailKind says what an outbox job carries.
type MailKind uint8

// Mail kinds.
const (
	MailInvite  MailKind = iota + 1 // an invitation link (roster.TokenInvite)
	MailReset                       // a password-reset link (roster.TokenReset)
	MailTest                        // `roster mail test`: no user, no token
	MailDormant                     // a warning that the inactivity policy disables the account soon; no token
)

// String returns the kind's name.
func (k MailKind) String() string {
	switch k {
	case MailInvite:
		return "invite"
	case MailReset:
		return "reset"
	case MailTest:
		return "test"
	case MailDormant:
		return "dormant"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Job is one message in the outbox. Its message is only carried by jobs
// that RecordAndClaim returns (see Message).
type Job struct {
	ID        uint64
	UserID    uint64 // 0 for a test message
	Kind      MailKind
	State     JobState
	To        string // envelope recipient
	Attempts  int    // attempts started so far
	CreatedAt time.Time
	Due       time.Time // next attempt (queued) or end of lease (sending)
	Owner     string    // the worker holding the lease (sending)
	Detail    string    // the server's words on the last failure
	DoneAt    time.Time // when the job reached a final state
	Key       string    // random, in the job's return path: a bounce must name it (empty on jobs older than it)

	packed []byte // the stored message, on claimed jobs
}

// Message returns a claimed job's message, as rendered. The worker calls
// it, so decompression happens in parallel and outside any transaction.
func (j *Job) Message() ([]byte, error) {
	if j.packed == nil {
		return nil, roster.Errorf(roster.EINTERNAL, "outbox job %d carries no message (not claimed)", j.ID)
	}
	return unpackBody(j.packed)
}

// Outcome is what became of one delivery attempt.
type Outcome uint8

// Outcomes a worker reports.
const (
	OutcomeSent    Outcome = iota + 1 // delivered: drop the body
	OutcomeRetry                      // temporary failure: queue again at RetryAt
	OutcomeFailed                     // give up (retries exhausted, configuration error)
	OutcomeBounced                    // permanent refusal: suppress the address
	OutcomeRelease                    // not attempted (worker stopping, lease too short): queue again now, attempt not counted
)

// JobResult is a worker's report on one claimed job.
type JobResult struct {
	ID      uint64
	Outcome Outcome
	Detail  string    // the server's words or the error, for failures
	RetryAt time.Time // for OutcomeRetry
}

// ClaimRequest asks RecordAndClaim for up to Max due jobs, leased to Owner
// for Lease.
type ClaimRequest struct {
	Owner string
	Max   int
	Lease time.Duration
}

// RecordAndClaim records results and claims due jobs in one transaction,
// so a worker pays one commit for both (see DESIGN: a commit per message
// caps the outbox near 650 messages/s). Claimed jobs come back with their
// bodies, oldest due first. It also returns when the next job falls due
// (zero when none is pending), so an idle worker knows how long to sleep.
func (db *DB) RecordAndClaim(results []JobResult, claim ClaimRequest) ([]*Job, time.Time, error) {
	var claimed []*Job
	var next time.Time
	fn := func(tx *bolt.Tx) error {
		claimed, next = claimed[:0], time.Time{}
		now := db.now()
		if err := recordResultsTx(tx, now, claim.Owner, results); err != nil {
			return err
		}
		var err error
		if claim.Max > 0 {
			if claimed, err = claimJobsTx(tx, now, claim); err != nil {
				return err
			}
		}
		next = nextDueTx(tx)
		return nil
	}
	var err error
	if len(results) > 0 {
		err = db.update(fn) // users' delivery states change: TUIs refresh
	} else {
		err = db.write(fn)
	}
	return claimed, next, err
}

// NextDue returns when the next pending job falls due (zero when none is),
// in a read transaction: an idle worker polls it cheaply.
func (db *DB) NextDue() (time.Time, error) {
	var next time.Time
	err := db.view(func(tx *bolt.Tx) error {
		next = nextDueTx(tx)
		return nil
	})
	return next, err
}

func nextDueTx(tx *bolt.Tx) time.Time {
	k, _ := tx.Bucket(bucketOutboxDue).Cursor().First()
	if k == nil {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC()
}

func claimJobsTx(tx *bolt.Tx, now time.Time, req ClaimRequest) ([]*Job, error) {
	due := tx.Bucket(bucketOutboxDue)
	bodies := tx.Bucket(bucketOutboxBody)
	limit := dueKey(now, ^uint64(0))
	var keys [][]byte
	c := due.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, limit) <= 0 && len(keys) < req.Max; k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	jobs := make([]*Job, 0, len(keys))
	for _, k := range keys {
		if err := due.Delete(k); err != nil {
			return nil, err
		}
		j, err := getJobTx(tx, idFromKey(k[8:]))
		if err != nil {
			continue // a dangling index entry: dropped above
		}
		j.State = JobSending
		j.Owner = req.Owner
		j.Attempts++
		j.Due = now.Add(req.Lease)
		if err := putJobTx(tx, j); err != nil {
			return nil, err
		}
		if err := due.Put(dueKey(j.Due, j.ID), nil); err != nil {
			return nil, err
		}
		body := bodies.Get(u64(j.ID))
		if body == nil {
			// Nothing to send (should not happen): fail it rather than loop.
			if err := finishJobTx(tx, now, j, JobFailed, "message body missing"); err != nil {
				return nil, err
			}
			continue
		}
		j.packed = append([]byte(nil), body...) // unpacked by Message, outside the transaction
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// recordResultsTx applies a worker's results. A retry or release from a
// worker whose lease was taken over (it ran out) is ignored: the job is the
// new holder's now.
func recordResultsTx(tx *bolt.Tx, now time.Time, owner string, results []JobResult) error {
	var bounced, failed []*Job
	for _, r := range results {
		j, err := getJobTx(tx, r.ID)
		if err != nil || j.State.Final() {
			continue // deleted with its user, or already settled by another worker
		}
		switch r.Outcome {
		case OutcomeSent:
			err = finishJobTx(tx, now, j, JobSent, "")
		case OutcomeFailed:
			err = finishJobTx(tx, now, j, JobFailed, r.Detail)
			failed = append(failed, j)
		case OutcomeBounced:
			err = finishJobTx(tx, now, j, JobBounced, r.Detail)
			bounced = append(bounced, j)
		case OutcomeRetry, OutcomeRelease:
			if j.State != JobSending || j.Owner != owner {
				continue
			}
			at := r.RetryAt
			if r.Outcome == OutcomeRelease {
				at = now
				if j.Attempts > 0 {
					j.Attempts--
				}
			}
			if at.IsZero() {
				at = now
			}
			err = requeueJobTx(tx, j, at, r.Detail)
		default:
			err = fmt.Errorf("job %d: unknown outcome %d", r.ID, r.Outcome)
		}
		if err != nil {
			return err
		}
	}
	if err := auditJobs(tx, now, roster.ActionMailBounce, bounced); err != nil {
		return err
	}
	return auditJobs(tx, now, roster.ActionMailFail, failed)
}

// auditJobs writes one event for jobs that ended badly, with the words of
// the first one.
func auditJobs(tx *bolt.Tx, now time.Time, action string, jobs []*Job) error {
	if len(jobs) == 0 {
		return nil
	}
	var names []string
	var ids []uint64
	for _, j := range jobs {
		names = append(names, j.To)
		if j.UserID != 0 {
			ids = append(ids, j.UserID)
		}
	}
	details := fmt.Sprintf("%s mail: %s", jobs[0].Kind, jobs[0].Detail)
	if len(jobs) > 1 {
		details = fmt.Sprintf("%d mails; first: %s", len(jobs), details)
	}
	return writeAudit(tx, now, roster.SystemActor("mail"), action, names, ids, details)
}

// requeueJobTx puts a job back in the queue, due at at.
func requeueJobTx(tx *bolt.Tx, j *Job, at time.Time, detail string) error {
	due := tx.Bucket(bucketOutboxDue)
	if err := due.Delete(dueKey(j.Due, j.ID)); err != nil {
		return err
	}
	j.State, j.Owner, j.Due = JobQueued, "", at
	if detail != "" {
		j.Detail = detail
	}
	if err := putJobTx(tx, j); err != nil {
		return err
	}
	if err := due.Put(dueKey(at, j.ID), nil); err != nil {
		return err
	}
	if detail != "" {
		return setUserDeliveryTx(tx, j, roster.DeliveryQueued, "deferred: "+detail, at)
	}
	return nil
}

// finishJobTx puts a job in a final state, drops it from the due index and
// drops its body once delivered (the raw token must not linger), and sets
// the user's delivery state if this is still the user's current job.
func finishJobTx(tx *bolt.Tx, now time.Time, j *Job, state JobState, detail string) error {
	if err := tx.Bucket(bucketOutboxDue).Delete(dueKey(j.Due, j.ID)); err != nil {
		return err
	}
	j.State, j.Owner, j.Due, j.DoneAt = state, "", time.Time{}, now
	if detail != "" {
		j.Detail = detail
	}
	if state != JobFailed { // a failed job keeps its body for `roster mail retry`
		if err := tx.Bucket(bucketOutboxBody).Delete(u64(j.ID)); err != nil {
			return err
		}
	}
	if err := putJobTx(tx, j); err != nil {
		return err
	}
	switch state {
	case JobSent:
		return setUserDeliveryTx(tx, j, roster.DeliverySent, "", now)
	case JobFailed:
		return setUserDeliveryTx(tx, j, roster.DeliveryFailed, detail, now)
	case JobBounced:
		return setUserDeliveryTx(tx, j, roster.DeliveryBounced, detail, now)
	}
	return nil
}

// setUserDeliveryTx records a delivery state on the job's user when the job
// is still the user's current one; a bounce suppresses the address whatever
// the job, as long as the user still has that address.
func setUserDeliveryTx(tx *bolt.Tx, j *Job, state roster.DeliveryState, detail string, at time.Time) error {
	if j.UserID == 0 {
		return nil
	}
	u, err := getUserTx(tx, j.UserID)
	if err != nil {
		return nil // deleted meanwhile
	}
	changed := false
	if currentJobTx(tx, j.UserID) == j.ID && (j.Kind == MailInvite || j.Kind == MailReset) {
		u.Delivery, u.DeliveryDetail, u.DeliveryAt = state, detail, at
		changed = true
	}
	if state == roster.DeliveryBounced && roster.NormalizeEmail(u.Email) == roster.NormalizeEmail(j.To) && !u.Suppressed {
		u.Suppressed, u.SuppressReason = true, detail
		changed = true
	}
	if !changed {
		return nil
	}
	return putUserTx(tx, u)
}

// currentJobTx returns the id of the user's newest job, or 0.
func currentJobTx(tx *bolt.Tx, uid uint64) uint64 {
	c := tx.Bucket(bucketOutboxByUser).Cursor()
	k, _ := c.Seek(key2(uid, ^uint64(0)))
	if k == nil || idFromKey(k) != uid {
		k, _ = c.Prev()
	}
	if k == nil || len(k) != 16 || idFromKey(k) != uid {
		return 0
	}
	return idFromKey(k[8:])
}

// addJobTx writes a new queued job, due now, with its body (packed by
// packBody). A pending job of the same user is cancelled: its link is dead
// (the token was revoked).
func addJobTx(tx *bolt.Tx, now time.Time, uid uint64, kind MailKind, to string, packed []byte) (*Job, error) {
	if uid != 0 {
		if old := currentJobTx(tx, uid); old != 0 {
			if j, err := getJobTx(tx, old); err == nil && j.State == JobQueued {
				if err := finishJobTx(tx, now, j, JobCancelled, "replaced by a newer mail"); err != nil {
					return nil, err
				}
			}
		}
	}
	id, err := tx.Bucket(bucketOutbox).NextSequence()
	if err != nil {
		return nil, err
	}
	key, err := newJobKey()
	if err != nil {
		return nil, err
	}
	j := &Job{ID: id, UserID: uid, Kind: kind, State: JobQueued, To: to, CreatedAt: now, Due: now, Key: key}
	if err := putJobTx(tx, j); err != nil {
		return nil, err
	}
	bodies := tx.Bucket(bucketOutboxBody)
	bodies.FillPercent = 0.9 // keys only grow: pack the pages
	if err := bodies.Put(u64(id), packed); err != nil {
		return nil, err
	}
	if err := tx.Bucket(bucketOutboxDue).Put(dueKey(now, id), nil); err != nil {
		return nil, err
	}
	if uid != 0 {
		if err := tx.Bucket(bucketOutboxByUser).Put(key2(uid, id), nil); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// deleteUserOutboxTx removes every job of a deleted user, bodies and all.
func deleteUserOutboxTx(tx *bolt.Tx, uid uint64) error {
	byUser := tx.Bucket(bucketOutboxByUser)
	var keys [][]byte
	prefix := u64(uid)
	c := byUser.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		id := idFromKey(k[8:])
		if j, err := getJobTx(tx, id); err == nil && !j.State.Final() {
			if err := tx.Bucket(bucketOutboxDue).Delete(dueKey(j.Due, id)); err != nil {
				return err
			}
		}
		for _, b := range [][]byte{bucketOutbox, bucketOutboxBody} {
			if err := tx.Bucket(b).Delete(u64(id)); err != nil {
				return err
			}
		}
		if err := byUser.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
