package store

import (
	"fmt"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
	bolt "go.etcd.io/bbolt"
)

// webActor is the actor of refusals on the invitation site, whose
// requester is unknown.
var webActor = roster.SystemActor("web")

// Activate sets a password through a one-time link: raw is the token from
// the link, pw the new password approved by the policy for the link's user
// and hashed by the caller (hashing is slow: never inside a write
// transaction), from the client's address for the audit log.
//
// In one transaction it checks the token, stores the hash, consumes the
// token, and for an invitation makes a Pending user Active with the
// activation time; it audits the change. It returns the updated user.
//
// A token that is unknown, used, revoked, expired, or belongs to a deleted
// or disabled user fails with ENOTFOUND; the refusal of a token the store
// issued is audited with its real reason (action token.refused). The
// error's message is meant for the audit log and server logs, never for
// the link's holder. A password approved for another username or address
// (the user was renamed meanwhile) is EINVALID.
func (db *DB) Activate(raw string, pw password.Approved, from string) (*roster.User, error) {
	return db.ActivateNamed(raw, pw, nil, from)
}

// ActivateNamed is Activate that also stores the name the link's holder
// gave for themself (nil: none given), in the same transaction. A user
// invited without a name (roster.User.NameLater) must give one to accept
// the invitation: EINVALID naming the field otherwise, as for a name that
// breaks a rule.
func (db *DB) ActivateNamed(raw string, pw password.Approved, name *roster.PersonName, from string) (*roster.User, error) {
	var out *roster.User
	var refused error
	// write, not update: a refusal changes nothing the TUI shows, so only a
	// success bumps the change counter.
	err := db.write(func(tx *bolt.Tx) error {
		now := db.now()
		t, u, err := tokenTx(tx, raw, now)
		if err != nil {
			if roster.ErrorCode(err) != roster.ENOTFOUND {
				return err
			}
			refused = err
			return auditTokenRefusedTx(tx, now, t, u, from, err)
		}
		if !pw.For(u.Username, u.Email) {
			return errNotApproved
		}
		named, err := ownNameTx(u, t, name)
		if err != nil {
			return err
		}
		u.PasswordHash = pw.Hash()
		u.PasswordSetAt = now
		u.UpdatedAt = now
		action := roster.ActionPasswordReset
		details := fmt.Sprintf("password set with %s link %s… from %s", t.Purpose, t.HashPrefix(), from)
		if t.Purpose == roster.TokenInvite {
			action = roster.ActionUserActivate
			u.InviteExpires = time.Time{}
			if u.Status == roster.StatusPending {
				u.Status = roster.StatusActive
				details = fmt.Sprintf("activated with invite link %s… from %s", t.HashPrefix(), from)
			}
			if u.ActivatedAt.IsZero() {
				u.ActivatedAt = now
			}
		}
		details += named
		if err := consumeTokenTx(tx, t); err != nil {
			return err
		}
		if err := putUserTx(tx, u); err != nil {
			return err
		}
		// The holder of the link acts as the user it was made for.
		self := roster.Actor{Name: u.Username, UserID: u.ID, Role: u.Role}
		if err := writeAudit(tx, now, self, action, []string{u.Username}, []uint64{u.ID}, details); err != nil {
			return err
		}
		out = u
		return bumpChanges(tx)
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return out, nil
}

// ownNameTx applies the name a link's holder gave for themself to u, and
// returns the words for the audit log. An invitation of a user without a
// name needs one.
func ownNameTx(u *roster.User, t *Token, name *roster.PersonName) (string, error) {
	if name == nil {
		if u.Name == "" && t.Purpose == roster.TokenInvite {
			return "", roster.FieldErrorf(roster.EINVALID, "name", "name is required")
		}
		return "", nil
	}
	n := *name
	n.Normalize()
	if err := n.Validate(); err != nil {
		return "", err
	}
	u.Name, u.GivenName, u.Surname = n.Name, n.GivenName, n.Surname
	return fmt.Sprintf("; name %q given by the user", n.Name), nil
}

// RecordTokenRefused audits that the link raw was refused when someone at
// from opened it, with the real reason (used, revoked, expired, deleted or
// disabled user), found again in this transaction. It does nothing for a
// token that is in fact valid, nor for one the store never issued (see
// auditTokenRefusedTx). The invitation site calls it when LookupToken
// fails, and shows the holder one generic page.
func (db *DB) RecordTokenRefused(raw, from string) error {
	return db.write(func(tx *bolt.Tx) error {
		now := db.now()
		t, u, err := tokenTx(tx, raw, now)
		if err == nil {
			return nil
		} else if roster.ErrorCode(err) != roster.ENOTFOUND {
			return err
		}
		return auditTokenRefusedTx(tx, now, t, u, from, err)
	})
}

// auditTokenRefusedTx writes a token.refused event for a token the store
// knows (t, from tokenTx), filed under its user when the user still exists
// (u may be nil). A token the store never issued (t nil) is not audited:
// it names no user, and a stream of guesses would flood the append-only
// log; the invitation site logs those with their hash prefix instead.
func auditTokenRefusedTx(tx *bolt.Tx, now time.Time, t *Token, u *roster.User, from string, reason error) error {
	if t == nil {
		return nil
	}
	if u == nil {
		u, _ = getUserTx(tx, t.UserID) // nil for a deleted user
	}
	var targets []string
	var ids []uint64
	if u != nil {
		targets, ids = []string{u.Username}, []uint64{u.ID}
	}
	return writeAudit(tx, now, webActor, roster.ActionTokenRefused, targets, ids,
		fmt.Sprintf("link %s… from %s: %s", t.HashPrefix(), from, roster.ErrorMessage(reason)))
}

// errNotApproved refuses a password the policy approved for another
// username or address than the user has now.
var errNotApproved = roster.FieldErrorf(roster.EINVALID, "password", "the password was checked for another username or e-mail address; enter it again")

// SetPassword stores a new password for the user uid, approved by the
// policy for that user and hashed by the caller outside any transaction
// (password.Approve), and audits it. Who may set whose password is the
// table's OpSetPassword (everyone their own; admins members'; owners
// everyone's): EFORBIDDEN otherwise. ENOTFOUND for an unknown user,
// EINVALID for a password approved for another username or address.
func (db *DB) SetPassword(actor roster.Actor, uid uint64, pw password.Approved) error {
	return db.update(func(tx *bolt.Tx) error {
		actor, u, err := userForTx(tx, actor, roster.OpSetPassword, uid)
		if err != nil {
			return err
		}
		if !pw.For(u.Username, u.Email) {
			return errNotApproved
		}
		now := db.now()
		u.PasswordHash = pw.Hash()
		u.PasswordSetAt = now
		u.UpdatedAt = now
		if err := putUserTx(tx, u); err != nil {
			return err
		}
		details := "password changed by " + actor.String()
		if actor.IsSelf(u) {
			details = "password changed by the user"
		}
		return writeAudit(tx, now, actor, roster.ActionPasswordSet, []string{u.Username}, []uint64{u.ID}, details)
	})
}
