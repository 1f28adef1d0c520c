package store

import (
	"fmt"
	"slices"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// QueueTestMail queues a message to an arbitrary address, not tied to a
// user (`roster mail test`). It returns the job id.
func (db *DB) QueueTestMail(actor roster.Actor, to string, body []byte) (uint64, error) {
	if err := roster.ValidateEmail(to); err != nil {
		return 0, err
	}
	var id uint64
	err := db.update(func(tx *bolt.Tx) error {
		actor, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		if err := actor.May(roster.OpSendMail, nil); err != nil {
			return err
		}
		now := db.now()
		j, err := addJobTx(tx, now, 0, MailTest, to, packBody(body))
		if err != nil {
			return err
		}
		id = j.ID
		return writeAudit(tx, now, actor, roster.ActionMailTest, []string{to}, nil, "test message queued")
	})
	return id, err
}

// ReclaimLeases makes jobs leased by dead workers due at once, instead of
// when their lease runs out. dead reports whether a lease owner is gone
// (the mail worker knows how to tell for a process on this machine). It
// returns how many jobs it freed.
func (db *DB) ReclaimLeases(dead func(owner string) bool) (int, error) {
	n := 0
	err := db.write(func(tx *bolt.Tx) error {
		n = 0
		now := db.now()
		var stale []*Job
		c := tx.Bucket(bucketOutboxDue).Cursor()
		for k, _ := c.Seek(dueKey(now, 0)); k != nil; k, _ = c.Next() {
			j, err := getJobTx(tx, idFromKey(k[8:]))
			if err == nil && j.State == JobSending && dead(j.Owner) {
				stale = append(stale, j)
			}
		}
		for _, j := range stale {
			if err := requeueJobTx(tx, j, now, ""); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// RetryMail queues failed jobs again (those that still have their message
// and were not replaced by a newer mail) and makes deferred jobs due now.
// It returns the jobs it touched. Bounced jobs stay: clear the block with
// UnblockMail and invite again.
func (db *DB) RetryMail(actor roster.Actor) ([]uint64, error) {
	var touched []uint64
	err := db.update(func(tx *bolt.Tx) error {
		touched = touched[:0]
		actor, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		if err := actor.May(roster.OpSendMail, nil); err != nil {
			return err
		}
		now := db.now()
		var todo []*Job
		bodies := tx.Bucket(bucketOutboxBody)
		err = tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			j, err := decodeJob(v)
			if err != nil {
				return err
			}
			switch {
			case j.State == JobFailed && bodies.Get(k) != nil:
				if j.UserID != 0 && currentJobTx(tx, j.UserID) != j.ID {
					return nil // a newer mail replaced it
				}
				todo = append(todo, j)
			case j.State == JobQueued && j.Due.After(now):
				todo = append(todo, j)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, j := range todo {
			if j.State == JobFailed {
				j.Attempts, j.Due = 0, time.Time{}
				if err := setUserDeliveryTx(tx, j, roster.DeliveryQueued, "", now); err != nil {
					return err
				}
			}
			if err := requeueJobTx(tx, j, now, ""); err != nil {
				return err
			}
			touched = append(touched, j.ID)
		}
		if len(touched) == 0 {
			return nil
		}
		return writeAudit(tx, now, actor, roster.ActionMailRetry, nil, nil, fmt.Sprintf("%d mails queued again", len(touched)))
	})
	return touched, err
}

// PruneOutbox deletes final jobs that ended before t, with any body left.
func (db *DB) PruneOutbox(before time.Time) (int, error) {
	n := 0
	err := db.write(func(tx *bolt.Tx) error {
		n = 0
		var old []*Job
		err := tx.Bucket(bucketOutbox).ForEach(func(_, v []byte) error {
			j, err := decodeJob(v)
			if err == nil && j.State.Final() && j.DoneAt.Before(before) {
				old = append(old, j)
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, j := range old {
			for _, b := range [][]byte{bucketOutbox, bucketOutboxBody} {
				if err := tx.Bucket(b).Delete(u64(j.ID)); err != nil {
					return err
				}
			}
			if j.UserID != 0 {
				if err := tx.Bucket(bucketOutboxByUser).Delete(key2(j.UserID, j.ID)); err != nil {
					return err
				}
			}
			n++
		}
		return nil
	})
	return n, err
}

// JobCounts counts jobs per state. Deferred counts queued jobs that have
// been tried and wait for a retry (they are also counted in Queued).
type JobCounts struct {
	Total, Queued, Deferred, Sending, Sent, Failed, Bounced, Cancelled int
	Missing                                                            int // ids not found (pruned, or deleted with their user)
}

// Pending returns how many jobs are not final yet.
func (c JobCounts) Pending() int { return c.Queued + c.Sending }

// Done returns how many jobs are final (missing ones count as done).
func (c JobCounts) Done() int { return c.Total - c.Pending() }

// JobCounts counts the given jobs per state: a progress bar polls it. It
// walks the ids in order with one cursor and decodes only what it counts,
// so 10,000 jobs take a few milliseconds.
func (db *DB) JobCounts(actor roster.Actor, ids []uint64) (JobCounts, error) {
	var c JobCounts
	now := db.now()
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpReadOutbox, nil); err != nil {
			return err
		}
		c = JobCounts{Total: len(ids)}
		cur := tx.Bucket(bucketOutbox).Cursor()
		var k, v []byte
		for i, id := range sorted {
			if i == 0 || k == nil || idFromKey(k) > id {
				k, v = cur.Seek(u64(id))
			}
			for k != nil && idFromKey(k) < id {
				k, v = cur.Next()
			}
			if k == nil || idFromKey(k) != id {
				c.Missing++
				continue
			}
			state, attempts, due, err := decodeJobState(v)
			if err != nil {
				return err
			}
			switch state {
			case JobQueued:
				c.Queued++
				if attempts > 0 && due.After(now) {
					c.Deferred++
				}
			case JobSending:
				c.Sending++
			case JobSent:
				c.Sent++
			case JobFailed:
				c.Failed++
			case JobBounced:
				c.Bounced++
			case JobCancelled:
				c.Cancelled++
			}
		}
		return nil
	})
	return c, err
}

// Jobs returns the given jobs, without bodies, in the order asked; unknown
// ids are left out.
func (db *DB) Jobs(actor roster.Actor, ids []uint64) ([]*Job, error) {
	var jobs []*Job
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpReadOutbox, nil); err != nil {
			return err
		}
		jobs = make([]*Job, 0, len(ids))
		for _, id := range ids {
			if j, err := getJobTx(tx, id); err == nil {
				jobs = append(jobs, j)
			}
		}
		return nil
	})
	return jobs, err
}

// OutboxFilter selects outbox jobs. Zero values select everything.
type OutboxFilter struct {
	Pending bool // only queued and sending jobs
	Limit   int  // newest first; 0 means no limit
}

// OutboxJobs returns jobs, newest first, without bodies.
func (db *DB) OutboxJobs(actor roster.Actor, f OutboxFilter) ([]*Job, error) {
	var jobs []*Job
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpReadOutbox, nil); err != nil {
			return err
		}
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.Last(); k != nil && (f.Limit <= 0 || len(jobs) < f.Limit); k, v = c.Prev() {
			j, err := decodeJob(v)
			if err != nil {
				return err
			}
			if f.Pending && j.State.Final() {
				continue
			}
			jobs = append(jobs, j)
		}
		return nil
	})
	return jobs, err
}
