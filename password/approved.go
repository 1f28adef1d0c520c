package password

import (
	"strings"

	"github.com/roster-dev/roster"
)

// Approved is the hash of a password that passed the policy (Check) for
// one account. Only this package makes one, so the store, which takes
// nothing else, stores no password that skipped the policy. The hash is
// computed by the caller's function, outside any database transaction and
// in the caller's own slots.
type Approved struct {
	hash, username, email string
}

// Approve checks pw against the policy for the account with the username
// and e-mail address, then hashes it with hash (nil: Hash). The policy's
// refusal is EINVALID on the field "password".
func Approve(pw, username, email string, hash func(string) (string, error)) (Approved, error) {
	if err := Check(pw, username, email); err != nil {
		return Approved{}, err
	}
	if hash == nil {
		hash = Hash
	}
	h, err := hash(pw)
	if err != nil {
		return Approved{}, err
	}
	if !strings.HasPrefix(h, "$argon2id$") {
		return Approved{}, roster.FieldErrorf(roster.EINVALID, "password", "not an argon2id hash")
	}
	return Approved{hash: h, username: roster.NormalizeUsername(username), email: roster.NormalizeEmail(email)}, nil
}

// Hash returns the argon2id PHC string to store.
func (a Approved) Hash() string { return a.hash }

// For reports whether the password was approved for this username and
// address: a password checked before a rename may be the new username.
func (a Approved) For(username, email string) bool {
	return a.hash != "" && a.username == roster.NormalizeUsername(username) && a.email == roster.NormalizeEmail(email)
}
