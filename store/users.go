package store

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// User returns the user with the given id, or ENOTFOUND.
func (db *DB) User(id uint64) (*roster.User, error) {
	var u *roster.User
	err := db.view(func(tx *bolt.Tx) (err error) {
		u, err = getUserTx(tx, id)
		return err
	})
	return u, err
}

// FindUser returns the user named by ref: a username, or an e-mail address
// when ref holds an '@'. Letter case does not matter. ENOTFOUND otherwise.
func (db *DB) FindUser(ref string) (*roster.User, error) {
	var u *roster.User
	err := db.view(func(tx *bolt.Tx) (err error) {
		u, err = findUserTx(tx, ref)
		return err
	})
	return u, err
}

// FindUsers resolves many references at once; the first unknown one fails
// the call with ENOTFOUND naming it. Duplicates are dropped.
func (db *DB) FindUsers(refs []string) ([]*roster.User, error) {
	var users []*roster.User
	err := db.view(func(tx *bolt.Tx) error {
		seen := map[uint64]bool{}
		for _, ref := range refs {
			u, err := findUserTx(tx, ref)
			if err != nil {
				return err
			}
			if !seen[u.ID] {
				seen[u.ID] = true
				users = append(users, u)
			}
		}
		return nil
	})
	return users, err
}

// CreateUser adds a Pending user. It fails with EINVALID naming the field
// for a broken rule, ECONFLICT for a username or e-mail already taken (in
// any letter case), ENOTFOUND for an unknown group, EFORBIDDEN when the
// actor may not administer or grant the role.
func (db *DB) CreateUser(actor roster.Actor, n roster.NewUser) (*roster.User, error) {
	users, err := db.CreateUsers(actor, []roster.NewUser{n})
	if err != nil {
		return nil, err
	}
	return users[0], nil
}

// CreateUsers adds many Pending users in one transaction: all of them or,
// on the first error, none. The error names the 1-based position of the
// input at fault when there is more than one.
func (db *DB) CreateUsers(actor roster.Actor, inputs []roster.NewUser) ([]*roster.User, error) {
	var created []*roster.User
	err := db.update(func(tx *bolt.Tx) error {
		created = created[:0]
		actor, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		now := db.now()
		names := make([]string, 0, len(inputs))
		ids := make([]uint64, 0, len(inputs))
		for i, n := range inputs {
			u, err := createUserTx(tx, actor, now, n)
			if err != nil {
				if len(inputs) > 1 {
					return fmt.Errorf("user %d of %d: %w", i+1, len(inputs), err)
				}
				return err
			}
			created = append(created, u)
			names = append(names, u.Username)
			ids = append(ids, u.ID)
		}
		details := ""
		if len(inputs) == 1 {
			details = fmt.Sprintf("name %q, e-mail %s, role %s", created[0].Name, created[0].Email, created[0].Role)
		} else {
			details = fmt.Sprintf("%d users", len(inputs))
		}
		return writeAudit(tx, now, actor, roster.ActionUserCreate, names, ids, details)
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

func createUserTx(tx *bolt.Tx, actor roster.Actor, now time.Time, n roster.NewUser) (*roster.User, error) {
	n.Normalize()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if err := actor.CanGrant(n.Role); err != nil {
		return nil, err
	}
	groupIDs, err := groupIDsTx(tx, n.Groups)
	if err != nil {
		return nil, err
	}
	users := tx.Bucket(bucketUsers)
	// New ids only ever append: fill pages (bbolt's default leaves half of
	// each page empty for inserts in the middle, which never come here).
	users.FillPercent = 0.9
	id, err := users.NextSequence()
	if err != nil {
		return nil, err
	}
	u := &roster.User{
		ID: id, Username: n.Username, Name: n.Name, Email: n.Email, Role: n.Role,
		Status: roster.StatusPending, GroupIDs: groupIDs, CreatedAt: now, UpdatedAt: now,
	}
	if err := claimUsername(tx, u.Username, id); err != nil {
		return nil, err
	}
	if err := claimEmail(tx, u.Email, id); err != nil {
		return nil, err
	}
	for _, gid := range groupIDs {
		if err := tx.Bucket(bucketGroupMembers).Put(key2(gid, id), nil); err != nil {
			return nil, err
		}
	}
	return u, putUserTx(tx, u)
}

func claimUsername(tx *bolt.Tx, username string, id uint64) error {
	idx := tx.Bucket(bucketUsersByUsername)
	if v := idx.Get([]byte(username)); v != nil && idFromKey(v) != id {
		return roster.FieldErrorf(roster.ECONFLICT, "username", "username %s is taken", username)
	}
	return idx.Put([]byte(username), u64(id))
}

func claimEmail(tx *bolt.Tx, email string, id uint64) error {
	idx := tx.Bucket(bucketUsersByEmail)
	k := []byte(roster.NormalizeEmail(email))
	if v := idx.Get(k); v != nil && idFromKey(v) != id {
		return roster.FieldErrorf(roster.ECONFLICT, "email", "e-mail %s belongs to another user", email)
	}
	return idx.Put(k, u64(id))
}

// UsernameTaken and EmailTaken let a form check uniqueness as the user
// types. except is the id of the user being edited (0 for a new one).
func (db *DB) UsernameTaken(username string, except uint64) (bool, error) {
	return db.indexTaken(bucketUsersByUsername, roster.NormalizeUsername(username), except)
}

// EmailTaken reports whether another user has the e-mail address.
func (db *DB) EmailTaken(email string, except uint64) (bool, error) {
	return db.indexTaken(bucketUsersByEmail, roster.NormalizeEmail(email), except)
}

func (db *DB) indexTaken(bucket []byte, key string, except uint64) (bool, error) {
	taken := false
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get([]byte(key))
		taken = v != nil && idFromKey(v) != except
		return nil
	})
	return taken, err
}

// UpdateUser changes the fields set in upd. Errors as for CreateUser.
func (db *DB) UpdateUser(actor roster.Actor, id uint64, upd roster.UserUpdate) (*roster.User, error) {
	var out *roster.User
	err := db.update(func(tx *bolt.Tx) error {
		actor, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		u, err := getUserTx(tx, id)
		if err != nil {
			return err
		}
		if err := actor.CanChange(u); err != nil {
			return err
		}
		var changes []string
		if upd.Username != nil && roster.NormalizeUsername(*upd.Username) != u.Username {
			name := roster.NormalizeUsername(*upd.Username)
			if err := roster.ValidateUsername(name); err != nil {
				return err
			}
			if err := claimUsername(tx, name, id); err != nil {
				return err
			}
			if err := tx.Bucket(bucketUsersByUsername).Delete([]byte(u.Username)); err != nil {
				return err
			}
			changes = append(changes, fmt.Sprintf("username %s → %s", u.Username, name))
			u.Username = name
		}
		if upd.Name != nil && strings.TrimSpace(*upd.Name) != u.Name {
			name := strings.TrimSpace(*upd.Name)
			if err := roster.ValidateName(name); err != nil {
				return err
			}
			changes = append(changes, fmt.Sprintf("name %q → %q", u.Name, name))
			u.Name = name
		}
		if upd.Email != nil && strings.TrimSpace(*upd.Email) != u.Email {
			email := strings.TrimSpace(*upd.Email)
			if err := roster.ValidateEmail(email); err != nil {
				return err
			}
			if err := claimEmail(tx, email, id); err != nil {
				return err
			}
			if roster.NormalizeEmail(email) != roster.NormalizeEmail(u.Email) {
				if err := tx.Bucket(bucketUsersByEmail).Delete([]byte(roster.NormalizeEmail(u.Email))); err != nil {
					return err
				}
				// A new address has not bounced (yet).
				u.Suppressed, u.SuppressReason = false, ""
			}
			changes = append(changes, fmt.Sprintf("e-mail %s → %s", u.Email, email))
			u.Email = email
		}
		if upd.Role != nil && *upd.Role != u.Role {
			if *upd.Role < roster.RoleMember || *upd.Role > roster.RoleOwner {
				return roster.FieldErrorf(roster.EINVALID, "role", "unknown role")
			}
			if err := actor.CanGrant(*upd.Role); err != nil {
				return err
			}
			if u.Role == roster.RoleOwner && u.Status == roster.StatusActive && countActiveOwnersTx(tx) <= 1 {
				return roster.Errorf(roster.ECONFLICT, "%s is the last active owner; make someone else owner first", u.Username)
			}
			changes = append(changes, fmt.Sprintf("role %s → %s", u.Role, *upd.Role))
			u.Role = *upd.Role
		}
		if upd.Groups != nil {
			ids, err := groupIDsTx(tx, *upd.Groups)
			if err != nil {
				return err
			}
			if !slices.Equal(ids, u.GroupIDs) {
				if err := setMembershipsTx(tx, u, ids); err != nil {
					return err
				}
				changes = append(changes, "groups "+strings.Join(*upd.Groups, ", "))
			}
		}
		out = u
		if len(changes) == 0 {
			return nil
		}
		u.UpdatedAt = db.now()
		if err := putUserTx(tx, u); err != nil {
			return err
		}
		return writeAudit(tx, u.UpdatedAt, actor, roster.ActionUserUpdate, []string{u.Username}, []uint64{u.ID}, strings.Join(changes, "; "))
	})
	return out, err
}

func setMembershipsTx(tx *bolt.Tx, u *roster.User, ids []uint64) error {
	members := tx.Bucket(bucketGroupMembers)
	for _, gid := range u.GroupIDs {
		if err := members.Delete(key2(gid, u.ID)); err != nil {
			return err
		}
	}
	for _, gid := range ids {
		if err := members.Put(key2(gid, u.ID), nil); err != nil {
			return err
		}
	}
	u.GroupIDs = ids
	return nil
}

func getUserTx(tx *bolt.Tx, id uint64) (*roster.User, error) {
	v := tx.Bucket(bucketUsers).Get(u64(id))
	if v == nil {
		return nil, roster.Errorf(roster.ENOTFOUND, "no user with id %d", id)
	}
	u, err := decodeUser(v)
	if err != nil {
		return nil, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

func findUserTx(tx *bolt.Tx, ref string) (*roster.User, error) {
	ref = strings.TrimSpace(ref)
	bucket, key := bucketUsersByUsername, roster.NormalizeUsername(ref)
	if strings.Contains(ref, "@") {
		bucket, key = bucketUsersByEmail, roster.NormalizeEmail(ref)
	}
	v := tx.Bucket(bucket).Get([]byte(key))
	if v == nil {
		return nil, roster.Errorf(roster.ENOTFOUND, "no user %q", ref)
	}
	return getUserTx(tx, idFromKey(v))
}

func putUserTx(tx *bolt.Tx, u *roster.User) error {
	return tx.Bucket(bucketUsers).Put(u64(u.ID), encodeUser(u))
}

// resolveActorTx refreshes a Roster user's role from the database, so a
// session keeps no power its user has lost since it signed in.
func resolveActorTx(tx *bolt.Tx, a roster.Actor) (roster.Actor, error) {
	if a.IsLocal() {
		if a.Name == "" {
			return a, roster.Errorf(roster.EINTERNAL, "operation without an actor")
		}
		return a, nil
	}
	u, err := getUserTx(tx, a.UserID)
	if err != nil || u.Status != roster.StatusActive {
		return a, roster.Errorf(roster.EFORBIDDEN, "your account is no longer active")
	}
	a.Role, a.Name = u.Role, u.Username
	return a, nil
}

func countActiveOwnersTx(tx *bolt.Tx) int {
	n := 0
	_ = tx.Bucket(bucketUsers).ForEach(func(_, v []byte) error {
		// Role and status sit right after the three strings; decoding
		// whole records is still fast enough for this rare check.
		if u, err := decodeUser(v); err == nil && u.Role == roster.RoleOwner && u.Status == roster.StatusActive {
			n++
		}
		return nil
	})
	return n
}
