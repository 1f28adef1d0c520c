package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Invitation states, as the invitation list shows them.
const (
	InviteQueued   = "queued"
	InviteSent     = "sent"
	InviteFailed   = "failed"
	InviteBounced  = "bounced"
	InviteLink     = "link" // a set-password link handed over without mail
	InviteExpired  = "expired"
	InviteAccepted = "accepted"
	InviteRevoked  = "revoked"
	InviteReplaced = "replaced" // a newer invitation or link took its place
)

// Invitation is one invitation link as the list shows it, built from what
// the store keeps anyway: the token records (kept after use), the user's
// delivery state and the audit log (who sent it).
type Invitation struct {
	UserID    uint64    `json:"-"`
	Username  string    `json:"username"`
	Email     string    `json:"email"` // where it was sent (the user's address then)
	SentBy    string    `json:"sent_by"`
	SentAt    time.Time `json:"sent_at"`
	ExpiresAt time.Time `json:"expires_at"`
	State     string    `json:"state"`
	Detail    string    `json:"detail,omitempty"` // the mail server's words on a failure or bounce
}

// Open reports whether the invitation still needs someone's attention:
// live, or expired with nothing newer.
func (i *Invitation) Open() bool {
	switch i.State {
	case InviteAccepted, InviteRevoked, InviteReplaced:
		return false
	}
	return true
}

// Invitations lists invitations newest first: every open one (live, or
// expired and not replaced: those stay until the user is invited again,
// activated or deleted) and the others sent since `since` (zero: all).
// It needs OpReadOutbox.
func (db *DB) Invitations(actor roster.Actor, since time.Time) ([]Invitation, error) {
	var out []Invitation
	now := db.now()
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpReadOutbox, nil); err != nil {
			return err
		}
		var tokens []*Token
		newest := map[uint64]time.Time{} // user → their newest link of any purpose
		err := tx.Bucket(bucketTokens).ForEach(func(_, v []byte) error {
			t, err := decodeToken(v)
			if err != nil {
				return err
			}
			if t.CreatedAt.After(newest[t.UserID]) {
				newest[t.UserID] = t.CreatedAt
			}
			if t.Purpose == roster.TokenInvite {
				tokens = append(tokens, t)
			}
			return nil
		})
		if err != nil {
			return err
		}
		senders := inviteSendersTx(tx)
		for _, t := range tokens {
			u, err := getUserTx(tx, t.UserID)
			if err != nil {
				continue // deleted users' tokens go with them; skip any left
			}
			inv := Invitation{UserID: u.ID, Username: u.Username, Email: t.Email, SentAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
			if inv.Email == "" {
				inv.Email = u.Email // a token from before addresses were kept
			}
			s := senders[senderKey{u.Username, t.CreatedAt.UnixNano()}]
			inv.SentBy = s.actor
			inv.State, inv.Detail = inviteState(t, u, s.link, newest[u.ID], now)
			if inv.Open() || !t.CreatedAt.Before(since) {
				out = append(out, inv)
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Invitation) int {
		return cmp.Or(b.SentAt.Compare(a.SentAt), cmp.Compare(a.Username, b.Username))
	})
	return out, err
}

// inviteState says what became of invitation token t of user u.
func inviteState(t *Token, u *roster.User, link bool, newest, now time.Time) (state, detail string) {
	switch {
	case t.State == tokenUsed:
		return InviteAccepted, ""
	case t.State == tokenRevoked && newest.After(t.CreatedAt):
		return InviteReplaced, ""
	case t.State == tokenRevoked:
		return InviteRevoked, ""
	case !now.Before(t.ExpiresAt):
		return InviteExpired, ""
	case link:
		return InviteLink, ""
	}
	switch u.Delivery {
	case roster.DeliveryQueued:
		return InviteQueued, ""
	case roster.DeliveryFailed:
		return InviteFailed, u.DeliveryDetail
	case roster.DeliveryBounced:
		return InviteBounced, u.DeliveryDetail
	}
	return InviteSent, ""
}

type senderKey struct {
	username string
	at       int64
}

type sender struct {
	actor string
	link  bool // a link handed over, not a mail
}

// inviteSendersTx reads, in one pass over the audit log, who queued each
// invitation or made each link: the event has the token's exact time.
func inviteSendersTx(tx *bolt.Tx) map[senderKey]sender {
	out := map[senderKey]sender{}
	queue, link := []byte(`"`+roster.ActionInviteQueue+`"`), []byte(`"`+roster.ActionTokenLink+`"`)
	_ = tx.Bucket(bucketAudit).ForEach(func(_, v []byte) error {
		isLink := bytes.Contains(v, link)
		if !isLink && !bytes.Contains(v, queue) {
			return nil
		}
		var ev roster.AuditEvent
		if json.Unmarshal(v, &ev) != nil {
			return nil
		}
		for _, name := range ev.Targets {
			out[senderKey{name, ev.Time.UnixNano()}] = sender{ev.Actor, isLink}
		}
		return nil
	})
	return out
}

// cancelLinkMailTx cancels the user's invitation or reset mail while it
// is still queued: its link was just revoked, and the mail would carry a
// dead link. It reports whether it cancelled one.
func cancelLinkMailTx(tx *bolt.Tx, now time.Time, uid uint64, why string) (bool, error) {
	id := currentJobTx(tx, uid)
	if id == 0 {
		return false, nil
	}
	j, err := getJobTx(tx, id)
	if err != nil || j.State != JobQueued || (j.Kind != MailInvite && j.Kind != MailReset) {
		return false, nil
	}
	return true, finishJobTx(tx, now, j, JobCancelled, why)
}

// RevokeInvitation revokes the user's live invitation link, so that it no
// longer works, and audits it. ENOTFOUND when the user has no live
// invitation; EFORBIDDEN without the power to invite them.
func (db *DB) RevokeInvitation(actor roster.Actor, uid uint64) error {
	return db.update(func(tx *bolt.Tx) error {
		actor, u, err := userForTx(tx, actor, roster.OpInvite, uid)
		if err != nil {
			return err
		}
		h := tx.Bucket(bucketTokensByUser).Get(u64(uid))
		var t *Token
		if h != nil {
			if v := tx.Bucket(bucketTokens).Get(h); v != nil {
				if t, err = decodeToken(v); err != nil {
					return err
				}
			}
		}
		now := db.now()
		if t == nil || t.Purpose != roster.TokenInvite || t.State != tokenLive || !now.Before(t.ExpiresAt) {
			return roster.Errorf(roster.ENOTFOUND, "%s has no live invitation", u.Username)
		}
		if err := revokeTokenTx(tx, uid); err != nil {
			return err
		}
		details := "invitation sent " + t.CreatedAt.Format(time.RFC3339) + " revoked"
		if cancelled, err := cancelLinkMailTx(tx, now, uid, "the invitation was revoked"); err != nil {
			return err
		} else if cancelled {
			details += "; its queued mail cancelled"
			u.Delivery, u.DeliveryDetail, u.DeliveryAt = roster.DeliveryNone, "", now
		}
		u.InviteExpires, u.UpdatedAt = time.Time{}, now
		if err := putUserTx(tx, u); err != nil {
			return err
		}
		return writeAudit(tx, now, actor, roster.ActionInviteRevoke, []string{u.Username}, []uint64{u.ID}, details)
	})
}
