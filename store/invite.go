package store

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Reasons a user is skipped by InviteUsers, QueueResets and UnblockMail,
// as they appear in roster.BulkResult.Skipped.
const (
	SkipActive     = "already active"
	SkipDisabled   = "disabled"
	SkipNotActive  = "not active yet (send an invitation)"
	SkipSuppressed = "address blocked after a bounce"
	SkipNotBlocked = "not blocked"
	SkipNoOwner    = "needs the owner role"
	SkipService    = roster.ServiceNoLink
)

// MailContent is what a RenderFunc needs to build one message.
type MailContent struct {
	Kind        MailKind
	User        *roster.User
	Token       string    // the raw token for the link; it exists nowhere else
	Expires     time.Time // when the link stops working
	InviterName string    // who asked: a Roster user's name, or the local account
}

// RenderFunc builds the complete RFC 5322 message for one mail. The store
// calls it from several goroutines at once, before the transaction that
// stores the tokens' hashes, and again inside it for a user who changed
// meanwhile; it must not block nor use the database (about 40 µs with
// mail.Composer).
type RenderFunc func(MailContent) ([]byte, error)

// MailOptions says how to queue invitation or reset mail.
type MailOptions struct {
	TTL    time.Duration // link validity; 0 means DefaultTokenTTL
	Render RenderFunc    // required
}

// Queued is the result of queuing mail for many users: which were queued
// (Changed) or skipped with the reason, and the outbox jobs, one per
// changed user in the same order. Follow them with JobCounts.
type Queued struct {
	roster.BulkResult
	Jobs []uint64
}

// InviteUsers issues an invitation token for each user and queues the
// invitation, all in one transaction, and returns at once; the mail worker
// sends them. Each user's previous token is revoked and a pending mail to
// them cancelled. Skipped, with the reason: users already active
// (SkipActive), disabled (SkipDisabled), whose address bounced
// (SkipSuppressed), and those the actor may not change (SkipNoOwner). It
// sets InvitedAt, Delivery (queued) and InviteExpires. Errors: EFORBIDDEN
// when the actor may not administer, ENOTFOUND for an unknown id, EINVALID
// without a Render function.
func (db *DB) InviteUsers(actor roster.Actor, ids []uint64, opts MailOptions) (Queued, error) {
	return db.queueMail(actor, roster.OpInvite, ids, MailInvite, opts, inviteSkip)
}

// QueueResets queues a password-reset mail for each Active user, like
// InviteUsers; users not active yet (SkipNotActive), disabled or blocked
// are skipped.
func (db *DB) QueueResets(actor roster.Actor, ids []uint64, opts MailOptions) (Queued, error) {
	return db.queueMail(actor, roster.OpReset, ids, MailReset, opts, resetSkip)
}

// InviteSkip says why InviteUsers would skip u for actor, or "" when it
// would invite them: a confirmation dialog lists these before sending.
func InviteSkip(actor roster.Actor, u *roster.User) string {
	if actor.May(roster.OpInvite, u) != nil {
		return refusedSkip(actor, roster.OpInvite, u)
	}
	return inviteSkip(u)
}

// ResetSkip says why QueueResets would skip u for actor, or "".
func ResetSkip(actor roster.Actor, u *roster.User) string {
	if actor.May(roster.OpReset, u) != nil {
		return refusedSkip(actor, roster.OpReset, u)
	}
	return resetSkip(u)
}

// refusedSkip is the reason for a user the rule table refuses mail to:
// SkipService for a service account, else SkipNoOwner (what an admin's
// refusal needs).
func refusedSkip(actor roster.Actor, op roster.Op, u *roster.User) string {
	if actor.Needs(op, u) == roster.ServiceNoLink {
		return SkipService
	}
	return SkipNoOwner
}

func inviteSkip(u *roster.User) string {
	switch {
	case u.IsService():
		return SkipService
	case u.Status == roster.StatusActive:
		return SkipActive
	case u.Status == roster.StatusDisabled:
		return SkipDisabled
	case u.Suppressed:
		return SkipSuppressed
	}
	return ""
}

func resetSkip(u *roster.User) string {
	switch {
	case u.IsService():
		return SkipService
	case u.Status == roster.StatusPending:
		return SkipNotActive
	case u.Status == roster.StatusDisabled:
		return SkipDisabled
	case u.Suppressed:
		return SkipSuppressed
	}
	return ""
}

func (db *DB) queueMail(actor roster.Actor, op roster.Op, ids []uint64, kind MailKind, opts MailOptions, skip func(*roster.User) string) (Queued, error) {
	var q Queued
	if opts.Render == nil {
		return q, roster.Errorf(roster.EINVALID, "no message renderer given")
	}
	purpose, action := roster.TokenInvite, roster.ActionInviteQueue
	if kind == MailReset {
		purpose, action = roster.TokenReset, roster.ActionResetQueue
	}
	ttl := opts.TTL
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	now := db.now()
	// Render outside the write transaction (on every core), so that
	// inviting thousands holds the file only for the writes; the
	// transaction checks again and renders anew for anyone who changed.
	prepared, err := db.prepareMail(actor, op, ids, kind, now.Add(ttl), opts.Render, skip)
	if err != nil {
		return q, err
	}
	err = db.update(func(tx *bolt.Tx) error {
		q = Queued{}
		actor, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		if err := actor.MayAny(op); err != nil {
			return err
		}
		inviter := inviterNameTx(tx, actor)
		var changedIDs []uint64
		seen := make(map[uint64]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			u, err := getUserTx(tx, id)
			if err != nil {
				return err
			}
			if err := actor.May(op, u); err != nil {
				q.Skip(u.Username, refusedSkip(actor, op, u))
				continue
			}
			if reason := skip(u); reason != "" {
				q.Skip(u.Username, reason)
				continue
			}
			j, err := queueUserMailTx(tx, now, u, kind, purpose, inviter, ttl, opts.Render, prepared[id])
			if err != nil {
				return fmt.Errorf("%s: %w", u.Username, err)
			}
			q.Changed = append(q.Changed, u.Username)
			q.Jobs = append(q.Jobs, j.ID)
			changedIDs = append(changedIDs, u.ID)
		}
		if len(q.Changed) == 0 {
			return nil
		}
		details := fmt.Sprintf("%d %s mails queued", len(q.Changed), kind)
		if len(q.Changed) == 1 {
			details = fmt.Sprintf("%s mail to %s queued", kind, q.Changed[0])
		}
		return writeAudit(tx, now, actor, action, q.Changed, changedIDs, details)
	})
	if err != nil {
		return Queued{}, err
	}
	return q, nil
}

// preparedMail is a message rendered ahead of the transaction, with the
// raw token in it and what it was rendered from.
type preparedMail struct {
	token   string
	body    []byte // packed (packBody)
	inviter string
	user    roster.User // the fields the message shows
}

// prepareMail renders, after a read transaction and on every core, the
// messages of the users that look eligible now. The raw tokens exist only
// in memory until the write transaction stores their hashes.
func (db *DB) prepareMail(actor roster.Actor, op roster.Op, ids []uint64, kind MailKind, expires time.Time, render RenderFunc, skip func(*roster.User) string) (map[uint64]*preparedMail, error) {
	var todo []*preparedMail
	byID := map[uint64]*preparedMail{}
	err := db.view(func(tx *bolt.Tx) error {
		actor, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		inviter := inviterNameTx(tx, actor)
		for _, id := range ids {
			u, err := getUserTx(tx, id)
			if err != nil || byID[id] != nil || actor.May(op, u) != nil || skip(u) != "" {
				continue // the transaction reports it
			}
			p := &preparedMail{inviter: inviter, user: *u}
			byID[id] = p
			todo = append(todo, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	workers := min(runtime.GOMAXPROCS(0), max(len(todo)/64, 1))
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(todo); i += workers {
				p := todo[i]
				raw, err := newRawToken()
				if err == nil {
					p.token = raw
					var body []byte
					body, err = render(MailContent{Kind: kind, User: &p.user, Token: raw, Expires: expires, InviterName: p.inviter})
					p.body = packBody(body)
				}
				if err != nil {
					errs[w] = fmt.Errorf("render %s mail: %w", kind, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return byID, nil
}

// queueUserMailTx issues the token, takes the message prepared for the
// user (or renders it now, if the user changed since), queues the job and
// saves the user's new delivery state.
func queueUserMailTx(tx *bolt.Tx, now time.Time, u *roster.User, kind MailKind, purpose roster.TokenPurpose, inviter string, ttl time.Duration, render RenderFunc, p *preparedMail) (*Job, error) {
	var body []byte
	var t *Token
	var err error
	if p != nil && p.inviter == inviter && p.user.Name == u.Name && p.user.Email == u.Email && p.user.Username == u.Username {
		t, err = issueGivenTokenTx(tx, u.ID, u.Email, purpose, now, ttl, p.token)
		body = p.body
	} else {
		var raw string
		raw, t, err = issueTokenTx(tx, u.ID, u.Email, purpose, now, ttl)
		if err == nil {
			body, err = render(MailContent{Kind: kind, User: u, Token: raw, Expires: t.ExpiresAt, InviterName: inviter})
			if err != nil {
				err = fmt.Errorf("render %s mail: %w", kind, err)
			}
			body = packBody(body)
		}
	}
	if err != nil {
		return nil, err
	}
	j, err := addJobTx(tx, now, u.ID, kind, u.Email, body)
	if err != nil {
		return nil, err
	}
	if kind == MailInvite {
		u.InvitedAt = now
		u.InviteExpires = t.ExpiresAt
	}
	u.Delivery, u.DeliveryDetail, u.DeliveryAt = roster.DeliveryQueued, "", now
	u.UpdatedAt = now
	return j, putUserTx(tx, u)
}

// issueGivenTokenTx is issueTokenTx for a raw token made beforehand.
func issueGivenTokenTx(tx *bolt.Tx, uid uint64, email string, purpose roster.TokenPurpose, now time.Time, ttl time.Duration, raw string) (*Token, error) {
	if err := revokeTokenTx(tx, uid); err != nil {
		return nil, err
	}
	t := &Token{Hash: TokenHash(raw), UserID: uid, Purpose: purpose, CreatedAt: now, ExpiresAt: now.Add(ttl), State: tokenLive, Email: email}
	if err := tx.Bucket(bucketTokens).Put(t.Hash[:], encodeToken(t)); err != nil {
		return nil, err
	}
	return t, tx.Bucket(bucketTokensByUser).Put(u64(uid), t.Hash[:])
}

// inviterNameTx names the actor for the message: a Roster user's full
// name (or username), or "" for local use and Roster itself: the
// operating-system account ("root") means nothing to the invitee, so the
// message names the organisation instead.
func inviterNameTx(tx *bolt.Tx, a roster.Actor) string {
	if a.IsLocal() {
		return ""
	}
	if u, err := getUserTx(tx, a.UserID); err == nil {
		if u.Name != "" {
			return u.Name
		}
		return u.Username
	}
	return ""
}

// RequestReset is the invitation site's "forgot password": for an Active
// user with that e-mail address whose mail is not blocked, it queues a
// reset mail (roster.TokenReset) and audits the request; for anyone else it
// does nothing. Either way it returns nil, so the answer tells the asker
// nothing; only a failure of the database is an error. A reset mail still
// waiting for the worker is not queued twice, and one account gets at most
// ResetsPerRecipient within ResetWindow, from whatever addresses the
// requests come.
//
// actor is the site's (roster.SystemActor("web")): the table lets the
// system queue resets for anyone, because the mail goes to the account's
// own address.
func (db *DB) RequestReset(actor roster.Actor, email string, opts MailOptions) error {
	if opts.Render == nil {
		return roster.Errorf(roster.EINVALID, "no message renderer given")
	}
	email = strings.TrimSpace(email)
	if email == "" || !strings.Contains(email, "@") {
		return nil
	}
	return db.update(func(tx *bolt.Tx) error {
		actor, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		u, err := findUserTx(tx, email)
		if err != nil || u.Status != roster.StatusActive || u.Suppressed || u.IsService() {
			return nil
		}
		if err := actor.May(roster.OpReset, u); err != nil {
			return err
		}
		if cur := currentJobTx(tx, u.ID); cur != 0 {
			if j, err := getJobTx(tx, cur); err == nil && j.Kind == MailReset && !j.State.Final() {
				return nil
			}
		}
		now := db.now()
		if ok, err := allowResetTx(tx, u, actor, now); !ok || err != nil {
			return err
		}
		ttl := opts.TTL
		if ttl <= 0 {
			ttl = DefaultTokenTTL
		}
		if _, err := queueUserMailTx(tx, now, u, MailReset, roster.TokenReset, "", ttl, opts.Render, nil); err != nil {
			return err
		}
		return writeAudit(tx, now, actor, roster.ActionResetRequest, []string{u.Username}, []uint64{u.ID}, "password reset requested")
	})
}

// UnblockMail clears the block that a bounce put on users' addresses, so
// mail can go to them again. Users not blocked are skipped (SkipNotBlocked).
func (db *DB) UnblockMail(actor roster.Actor, ids []uint64) (roster.BulkResult, error) {
	return db.bulk(actor, roster.OpUnblockMail, ids, roster.ActionMailUnblock, "mail block cleared", func(tx *bolt.Tx, _ roster.Actor, u *roster.User) (string, error) {
		if !u.Suppressed {
			return SkipNotBlocked, nil
		}
		u.Suppressed, u.SuppressReason = false, ""
		return "", nil
	})
}

// InvitationState is what a user list shows of a user's last mail, and what
// its filter matches: "queued", "sent", "failed", "bounced", "expired" (an
// invitation sent but not accepted in time) or "" (none). A blocked address
// shows "bounced" until unblocked.
func InvitationState(u *roster.User, now time.Time) string {
	switch {
	case u.Suppressed:
		return roster.DeliveryBounced.String()
	case u.Status == roster.StatusPending && u.Delivery == roster.DeliverySent &&
		!u.InviteExpires.IsZero() && !now.Before(u.InviteExpires):
		return "expired"
	}
	return u.Delivery.String()
}
