package store

import (
	"fmt"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// The site's "forgot password" form is limited per client address by the
// site, and here per recipient: whatever addresses the requests come from,
// one account gets at most ResetsPerRecipient reset mails an hour (each
// new one revoking the last link, a stream of them is a nuisance and a
// way to hide a real one).
//
//	reset_requests  user id → the times of the recent requests (unix seconds, uvarints)
var bucketResetRequests = []byte("reset_requests")

func init() { allBuckets = append(allBuckets, bucketResetRequests) }

// ResetsPerRecipient is how many reset mails the form sends one account
// within ResetWindow.
const (
	ResetsPerRecipient = 3
	ResetWindow        = time.Hour
)

// allowResetTx records a request for uid at now and reports whether it is
// within the limit. The first request over the limit is audited (once per
// window), the next ones not, so a flood does not fill the log.
func allowResetTx(tx *bolt.Tx, u *roster.User, actor roster.Actor, now time.Time) (bool, error) {
	b := tx.Bucket(bucketResetRequests)
	var recent []time.Time
	d := decoder{b: b.Get(u64(u.ID))}
	for len(d.b) > 0 && d.err == nil {
		if t := time.Unix(int64(d.uvarint()), 0); now.Sub(t) < ResetWindow {
			recent = append(recent, t)
		}
	}
	if len(recent) > ResetsPerRecipient {
		return false, nil // refused and audited already in this window
	}
	over := len(recent) == ResetsPerRecipient
	recent = append(recent, now)
	var e encoder
	for _, t := range recent {
		e.uvarint(uint64(t.Unix()))
	}
	if err := b.Put(u64(u.ID), e.b); err != nil {
		return false, err
	}
	if over {
		return false, writeAudit(tx, now, actor, roster.ActionResetRequest, []string{u.Username}, []uint64{u.ID},
			fmt.Sprintf("password reset refused: more than %d requests within %s; more are ignored without a mail", ResetsPerRecipient, ResetWindow))
	}
	return true, nil
}

// deleteUserResetsTx forgets a deleted user's requests.
func deleteUserResetsTx(tx *bolt.Tx, uid uint64) error {
	return tx.Bucket(bucketResetRequests).Delete(u64(uid))
}
