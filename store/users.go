package store

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// User returns the user with the given id, or ENOTFOUND; EFORBIDDEN when
// the actor may not read their details.
func (db *DB) User(actor roster.Actor, id uint64) (*roster.User, error) {
	var u *roster.User
	err := db.view(func(tx *bolt.Tx) (err error) {
		_, u, err = userForTx(tx, actor, roster.OpReadUser, id)
		return err
	})
	return u, err
}

// FindUser returns the user named by ref: a username, or an e-mail address
// when ref holds an '@'. Letter case does not matter. ENOTFOUND otherwise.
// Looking others up needs the power to list users (no existence oracle).
func (db *DB) FindUser(actor roster.Actor, ref string) (*roster.User, error) {
	users, err := db.FindUsers(actor, []string{ref})
	if err != nil {
		return nil, err
	}
	return users[0], nil
}

// FindUsers resolves many references at once; the first unknown one fails
// the call with ENOTFOUND naming it. Duplicates are dropped.
func (db *DB) FindUsers(actor roster.Actor, refs []string) ([]*roster.User, error) {
	var users []*roster.User
	err := db.view(func(tx *bolt.Tx) error {
		users = users[:0]
		a, err := resolveActorTx(tx, actor)
		if err != nil {
			return err
		}
		mayList := a.May(roster.OpListUsers, nil)
		seen := map[uint64]bool{}
		for _, ref := range refs {
			u, err := findUserTx(tx, ref)
			if mayList != nil && (err != nil || !a.IsSelf(u)) {
				return mayList // the same refusal whether ref exists or not
			}
			if err != nil {
				return err
			}
			if err := a.May(roster.OpReadUser, u); err != nil {
				if a.IsManager() {
					// Users outside a manager's groups do not exist for them.
					return roster.Errorf(roster.ENOTFOUND, "no user %q", ref)
				}
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

// checkNewUserTx is what every way of creating a user checks first (the
// form, the CLI, the importer): the form's rules, the power to create a
// user of that role, known groups. It normalizes n in place.
func checkNewUserTx(tx *bolt.Tx, actor roster.Actor, n *roster.NewUser, groups func([]string) ([]uint64, error)) ([]uint64, error) {
	n.Normalize()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	ids, err := groups(n.Groups)
	if err != nil {
		return nil, err
	}
	// The groups are part of the check: a manager creates into theirs only.
	if err := actor.May(roster.OpCreateUser, &roster.User{Role: n.Role, Kind: n.Kind, GroupIDs: ids}); err != nil {
		return nil, err
	}
	return ids, nil
}

func createUserTx(tx *bolt.Tx, actor roster.Actor, now time.Time, n roster.NewUser) (*roster.User, error) {
	groupIDs, err := checkNewUserTx(tx, actor, &n, func(names []string) ([]uint64, error) { return groupIDsTx(tx, names) })
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
		GivenName: n.GivenName, Surname: n.Surname,
		Status: roster.StatusPending, GroupIDs: groupIDs, CreatedAt: now, UpdatedAt: now,
		Kind: n.Kind, ExpiresAt: n.ExpiresAt,
	}
	if u.IsService() { // never invited: in use from the start
		u.Status, u.ActivatedAt = roster.StatusActive, now
	}
	if err := claimUsername(tx, u.Username, id); err != nil {
		return nil, err
	}
	if u.Email != "" {
		if err := claimEmail(tx, u.Email, id); err != nil {
			return nil, err
		}
	}
	if u.UIDNumber, err = allocIDTx(tx, uidKind, id); err != nil {
		return nil, err
	}
	for _, gid := range groupIDs {
		if err := tx.Bucket(bucketGroupMembers).Put(key2(gid, id), nil); err != nil {
			return nil, err
		}
	}
	return u, putUserTx(tx, u)
}

// updateNamesTx applies upd's name, given name and surname to u, each by
// its rule, and returns the changes for the audit log. A name may be
// emptied only while the user may be without one (roster.User.NameLater).
func updateNamesTx(u *roster.User, upd roster.UserUpdate) ([]string, error) {
	var changes []string
	if upd.Name != nil && strings.TrimSpace(*upd.Name) != u.Name {
		name := strings.TrimSpace(*upd.Name)
		if name != "" || !u.NameLater() {
			if err := roster.ValidateName(name); err != nil {
				return nil, err
			}
		}
		changes = append(changes, fmt.Sprintf("name %q → %q", u.Name, name))
		u.Name = name
	}
	if upd.GivenName != nil && strings.TrimSpace(*upd.GivenName) != u.GivenName {
		given := strings.TrimSpace(*upd.GivenName)
		if err := roster.ValidateGivenName(given); err != nil {
			return nil, err
		}
		changes = append(changes, fmt.Sprintf("given name %q → %q", u.GivenName, given))
		u.GivenName = given
	}
	if upd.Surname != nil && strings.TrimSpace(*upd.Surname) != u.Surname {
		surname := strings.TrimSpace(*upd.Surname)
		if err := roster.ValidateSurname(surname); err != nil {
			return nil, err
		}
		changes = append(changes, fmt.Sprintf("surname %q → %q", u.Surname, surname))
		u.Surname = surname
	}
	return changes, nil
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
func (db *DB) UsernameTaken(actor roster.Actor, username string, except uint64) (bool, error) {
	return db.indexTaken(actor, bucketUsersByUsername, roster.NormalizeUsername(username), except)
}

// EmailTaken reports whether another user has the e-mail address.
func (db *DB) EmailTaken(actor roster.Actor, email string, except uint64) (bool, error) {
	return db.indexTaken(actor, bucketUsersByEmail, roster.NormalizeEmail(email), except)
}

func (db *DB) indexTaken(actor roster.Actor, bucket []byte, key string, except uint64) (bool, error) {
	taken := false
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpListUsers, nil); err != nil {
			return err
		}
		v := tx.Bucket(bucket).Get([]byte(key))
		taken = v != nil && idFromKey(v) != except
		return nil
	})
	return taken, err
}

// UpdateUser changes the fields set in upd. Errors as for CreateUser, and
// ECONFLICT for taking the last active owner's role.
func (db *DB) UpdateUser(actor roster.Actor, id uint64, upd roster.UserUpdate) (*roster.User, error) {
	var out *roster.User
	err := db.update(func(tx *bolt.Tx) error {
		actor, u, err := userForTx(tx, actor, roster.OpUpdateUser, id)
		if err != nil {
			return err
		}
		before := *u
		now := db.now()
		changes, err := updateUserTx(tx, actor, u, upd, 0, now)
		if err != nil {
			return err
		}
		if roster.LosesOwner(&before, u) {
			if err := roster.KeepOwner(u.Username, countActiveOwnersTx(tx)-1); err != nil {
				return err
			}
		}
		out = u
		if len(changes) == 0 {
			return nil
		}
		if err := putUserTx(tx, u); err != nil {
			return err
		}
		return writeAudit(tx, now, actor, roster.ActionUserUpdate, []string{u.Username}, []uint64{u.ID}, strings.Join(changes, "; "))
	})
	return out, err
}

// updateUserTx is the one path that changes a user's fields, for the form,
// the CLI and the importer: the powers (to change the user, to grant the
// role, to set the status), each field's rule, unique usernames and
// addresses. status 0 leaves it. It changes u in memory and returns the
// changes for the audit log; the caller saves u and applies the last-owner
// rule (at once, or after a whole import).
func updateUserTx(tx *bolt.Tx, actor roster.Actor, u *roster.User, upd roster.UserUpdate, status roster.Status, now time.Time) ([]string, error) {
	if err := actor.May(roster.OpUpdateUser, u); err != nil {
		return nil, err
	}
	if err := actor.MayChangeFields(restrictedChanges(u, upd)...); err != nil {
		return nil, err
	}
	before := new(roster.User)
	*before = *u
	var changes []string
	if upd.Username != nil && roster.NormalizeUsername(*upd.Username) != u.Username {
		name := roster.NormalizeUsername(*upd.Username)
		if err := roster.ValidateUsername(name); err != nil {
			return nil, err
		}
		if err := claimUsername(tx, name, u.ID); err != nil {
			return nil, err
		}
		if err := tx.Bucket(bucketUsersByUsername).Delete([]byte(u.Username)); err != nil {
			return nil, err
		}
		changes = append(changes, fmt.Sprintf("username %s → %s", u.Username, name))
		u.Username = name
	}
	nameChanges, err := updateNamesTx(u, upd)
	if err != nil {
		return nil, err
	}
	changes = append(changes, nameChanges...)
	if upd.Email != nil && strings.TrimSpace(*upd.Email) != u.Email {
		email := strings.TrimSpace(*upd.Email)
		if err := roster.ValidateEmail(email); err != nil {
			return nil, err
		}
		if err := claimEmail(tx, email, u.ID); err != nil {
			return nil, err
		}
		if roster.NormalizeEmail(email) != roster.NormalizeEmail(u.Email) {
			if err := tx.Bucket(bucketUsersByEmail).Delete([]byte(roster.NormalizeEmail(u.Email))); err != nil {
				return nil, err
			}
			// A new address has not bounced (yet).
			u.Suppressed, u.SuppressReason = false, ""
		}
		changes = append(changes, fmt.Sprintf("e-mail %s → %s", u.Email, email))
		u.Email = email
	}
	if upd.Role != nil && *upd.Role != u.Role {
		if *upd.Role < roster.RoleMember || *upd.Role > roster.RoleOwner {
			return nil, roster.FieldErrorf(roster.EINVALID, "role", "unknown role")
		}
		if err := actor.May(roster.OpSetRole, u); err != nil {
			return nil, err
		}
		if err := actor.May(roster.OpSetRole, &roster.User{Role: *upd.Role}); err != nil {
			return nil, err
		}
		changes = append(changes, fmt.Sprintf("role %s → %s", u.Role, *upd.Role))
		u.Role = *upd.Role
	}
	if status != 0 && status != u.Status {
		if err := actor.May(roster.OpSetStatus, u); err != nil {
			return nil, err
		}
		switch status {
		case roster.StatusPending:
			return nil, roster.FieldErrorf(roster.EINVALID, "status", "%s is %s and cannot go back to pending", u.Username, u.Status)
		case roster.StatusActive, roster.StatusDisabled:
		default:
			return nil, roster.FieldErrorf(roster.EINVALID, "status", "unknown status")
		}
		if status == roster.StatusActive && u.ActivatedAt.IsZero() {
			u.ActivatedAt = now
		}
		if status == roster.StatusActive {
			expires := u.ExpiresAt
			if upd.ExpiresAt != nil {
				expires = *upd.ExpiresAt
			}
			if skip := expiredSkip(&roster.User{ExpiresAt: expires}, now); skip != "" {
				return nil, roster.FieldErrorf(roster.ECONFLICT, "status", "%s %s", u.Username, skip)
			}
		}
		changes = append(changes, fmt.Sprintf("status %s → %s", u.Status, status))
		u.Status = status
	}
	if upd.ExpiresAt != nil && !upd.ExpiresAt.Equal(u.ExpiresAt) {
		// An expiry disables: it takes the power to disable.
		if err := actor.May(roster.OpSetStatus, u); err != nil {
			return nil, err
		}
		changes = append(changes, fmt.Sprintf("expires %s → %s", expiryText(u.ExpiresAt), expiryText(*upd.ExpiresAt)))
		u.ExpiresAt = upd.ExpiresAt.UTC()
		if upd.ExpiresAt.IsZero() {
			u.ExpiresAt = time.Time{}
		}
	}
	posixChanges, err := updatePosixTx(tx, u, upd)
	if err != nil {
		return nil, err
	}
	changes = append(changes, posixChanges...)
	if upd.Groups != nil {
		ids, err := groupIDsTx(tx, *upd.Groups)
		if err != nil {
			return nil, err
		}
		ids = keepUnmanagedGroups(actor, ids, u.GroupIDs)
		if !slices.Equal(ids, u.GroupIDs) {
			for _, gid := range symmetricDifference(ids, u.GroupIDs) {
				if err := actor.MayMembership(u, gid, groupNameTx(tx, gid)); err != nil {
					return nil, err
				}
			}
			if err := setMembershipsTx(tx, u, ids); err != nil {
				return nil, err
			}
			changes = append(changes, "groups "+strings.Join(*upd.Groups, ", "))
		}
	}
	if len(changes) > 0 {
		u.UpdatedAt = now
		if linksDie(before, u) {
			if revoked, err := revokeLinksTx(tx, u); err != nil {
				return nil, err
			} else if revoked {
				changes = append(changes, "live link revoked")
			}
		}
	}
	return changes, nil
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
	if err := tx.Bucket(bucketUsers).Put(u64(u.ID), encodeUser(u)); err != nil {
		return err
	}
	return indexExpiryTx(tx, u)
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
