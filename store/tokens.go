package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// One-time links carry 32 random bytes, base64url. Only their SHA-256 is
// stored, with the user, the purpose and the expiry; a used or revoked
// token's record stays (with its state) so the audit log can say why a
// link was refused, while the person holding it is told nothing more.
//
//	tokens          sha256 → token record
//	tokens_by_user  user id → sha256 of the user's one live token
var (
	bucketTokens       = []byte("tokens")
	bucketTokensByUser = []byte("tokens_by_user")
)

func init() { allBuckets = append(allBuckets, bucketTokens, bucketTokensByUser) }

// DefaultTokenTTL is how long a link stays valid unless configured otherwise.
const DefaultTokenTTL = 24 * time.Hour

// Token states.
const (
	tokenLive    = 1
	tokenUsed    = 2
	tokenRevoked = 3
)

// Token is a stored one-time link, without the secret.
type Token struct {
	Hash      [32]byte
	UserID    uint64
	Purpose   roster.TokenPurpose
	CreatedAt time.Time
	ExpiresAt time.Time
	State     uint8
	// Email is the address the link was for: where its mail went, or the
	// user's address when it was handed over. "" in records written
	// before addresses were kept (tokenRecordV1).
	Email string
}

// HashPrefix returns the first 12 hex digits of the token's hash: enough to
// find it in a log, useless to an attacker.
func (t *Token) HashPrefix() string { return hex.EncodeToString(t.Hash[:6]) }

// TokenHash returns the SHA-256 of a raw token as sent in a link.
func TokenHash(raw string) [32]byte { return sha256.Sum256([]byte(raw)) }

// newRawToken returns 32 random bytes, base64url without padding (43 characters).
func newRawToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// issueTokenTx makes a new live token for the user and revokes the one it
// replaces. It returns the raw token, which exists nowhere else afterwards.
func issueTokenTx(tx *bolt.Tx, uid uint64, email string, purpose roster.TokenPurpose, now time.Time, ttl time.Duration) (string, *Token, error) {
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	if err := revokeTokenTx(tx, uid); err != nil {
		return "", nil, err
	}
	raw, err := newRawToken()
	if err != nil {
		return "", nil, err
	}
	t := &Token{Hash: TokenHash(raw), UserID: uid, Purpose: purpose, CreatedAt: now, ExpiresAt: now.Add(ttl), State: tokenLive, Email: email}
	if err := tx.Bucket(bucketTokens).Put(t.Hash[:], encodeToken(t)); err != nil {
		return "", nil, err
	}
	return raw, t, tx.Bucket(bucketTokensByUser).Put(u64(uid), t.Hash[:])
}

// revokeTokenTx marks the user's live token, if any, revoked.
func revokeTokenTx(tx *bolt.Tx, uid uint64) error {
	byUser := tx.Bucket(bucketTokensByUser)
	h := byUser.Get(u64(uid))
	if h == nil {
		return nil
	}
	tokens := tx.Bucket(bucketTokens)
	if v := tokens.Get(h); v != nil {
		t, err := decodeToken(v)
		if err != nil {
			return err
		}
		t.State = tokenRevoked
		if err := tokens.Put(t.Hash[:], encodeToken(t)); err != nil {
			return err
		}
	}
	return byUser.Delete(u64(uid))
}

// revokeLinksTx kills the user's live link when the state it was issued
// for ends: the user is disabled, deleted, demoted, or gets another
// address. A link issued before a disable must not work again after a
// re-activation. It clears u.InviteExpires (the caller saves u) and
// reports whether a link died.
func revokeLinksTx(tx *bolt.Tx, u *roster.User) (bool, error) {
	if tx.Bucket(bucketTokensByUser).Get(u64(u.ID)) == nil {
		return false, nil
	}
	u.InviteExpires = time.Time{}
	return true, revokeTokenTx(tx, u.ID)
}

// linksDie reports whether the change from before to after ends the state
// a live link was issued for.
func linksDie(before, after *roster.User) bool {
	return after.Status == roster.StatusDisabled && before.Status != roster.StatusDisabled ||
		after.Role < before.Role ||
		roster.NormalizeEmail(after.Email) != roster.NormalizeEmail(before.Email)
}

// tokenTx finds the live token for raw. The error is ENOTFOUND in every
// case, with a message that tells the administrator's audit log why
// (unknown, used, revoked, expired, user gone); show the link's holder
// only a generic page.
func tokenTx(tx *bolt.Tx, raw string, now time.Time) (*Token, *roster.User, error) {
	h := TokenHash(raw)
	v := tx.Bucket(bucketTokens).Get(h[:])
	if v == nil {
		return nil, nil, roster.Errorf(roster.ENOTFOUND, "unknown token")
	}
	t, err := decodeToken(v)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case t.State == tokenUsed:
		return t, nil, roster.Errorf(roster.ENOTFOUND, "token already used")
	case t.State == tokenRevoked:
		return t, nil, roster.Errorf(roster.ENOTFOUND, "token revoked (by a newer link, or a change to the account)")
	case !now.Before(t.ExpiresAt):
		return t, nil, roster.Errorf(roster.ENOTFOUND, "token expired at %s", t.ExpiresAt.Format(time.RFC3339))
	}
	u, err := getUserTx(tx, t.UserID)
	if err != nil {
		return t, nil, roster.Errorf(roster.ENOTFOUND, "token of a deleted user")
	}
	if u.Status == roster.StatusDisabled {
		return t, u, roster.Errorf(roster.ENOTFOUND, "token of a disabled user")
	}
	return t, u, nil
}

// consumeTokenTx marks a live token used; it can never be used again.
func consumeTokenTx(tx *bolt.Tx, t *Token) error {
	t.State = tokenUsed
	if err := tx.Bucket(bucketTokens).Put(t.Hash[:], encodeToken(t)); err != nil {
		return err
	}
	return tx.Bucket(bucketTokensByUser).Delete(u64(t.UserID))
}

// deleteUserTokensTx removes a deleted user's live token.
func deleteUserTokensTx(tx *bolt.Tx, uid uint64) error {
	return revokeTokenTx(tx, uid)
}

// LookupToken returns the live token for raw and its user, or ENOTFOUND
// (see tokenTx). The invitation page calls it before showing its form.
func (db *DB) LookupToken(raw string) (*Token, *roster.User, error) {
	var t *Token
	var u *roster.User
	err := db.view(func(tx *bolt.Tx) (err error) {
		t, u, err = tokenTx(tx, raw, db.now())
		return err
	})
	return t, u, err
}

// IssueLink makes a new one-time link token for a user without sending
// mail (the "set-password link" for offices without mail), revoking the
// previous one, and audits it. It returns the raw token.
func (db *DB) IssueLink(actor roster.Actor, uid uint64, purpose roster.TokenPurpose, ttl time.Duration) (string, *Token, error) {
	var raw string
	var t *Token
	err := db.update(func(tx *bolt.Tx) error {
		actor, u, err := userForTx(tx, actor, roster.OpIssueLink, uid)
		if err != nil {
			return err
		}
		if u.Status == roster.StatusDisabled {
			return roster.Errorf(roster.ECONFLICT, "%s is disabled; activate them first", u.Username)
		}
		now := db.now()
		if raw, t, err = issueTokenTx(tx, uid, u.Email, purpose, now, ttl); err != nil {
			return err
		}
		if purpose == roster.TokenInvite {
			u.InviteExpires = t.ExpiresAt
			if err := putUserTx(tx, u); err != nil {
				return err
			}
		}
		return writeAudit(tx, now, actor, roster.ActionTokenLink, []string{u.Username}, []uint64{u.ID},
			fmt.Sprintf("%s link %s…, valid until %s", purpose, t.HashPrefix(), t.ExpiresAt.Format(time.RFC3339)))
	})
	return raw, t, err
}

// Token records: v1 (hash, user, purpose, times, state); v2 adds the
// address. Both decode; v2 is written.
const (
	tokenRecordV1 = 1
	tokenRecordV2 = 2
)

func encodeToken(t *Token) []byte {
	e := encoder{}
	e.byte(tokenRecordV2)
	e.b = append(e.b, t.Hash[:]...)
	e.uvarint(t.UserID)
	e.byte(byte(t.Purpose))
	e.time(t.CreatedAt)
	e.time(t.ExpiresAt)
	e.byte(t.State)
	e.str(t.Email)
	return e.b
}

func decodeToken(b []byte) (*Token, error) {
	if len(b) < 33 || (b[0] != tokenRecordV1 && b[0] != tokenRecordV2) {
		return nil, errCorrupt
	}
	t := &Token{}
	copy(t.Hash[:], b[1:33])
	d := decoder{b: b[33:]}
	t.UserID = d.uvarint()
	t.Purpose = roster.TokenPurpose(d.byte())
	t.CreatedAt = d.time()
	t.ExpiresAt = d.time()
	t.State = d.byte()
	if b[0] >= tokenRecordV2 {
		t.Email = d.str()
	}
	return t, d.err
}
