package store

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// ImportRow is one user an import writes: a new user, or changes to one
// that exists already. Package transfer builds these from a file.
type ImportRow struct {
	Line   int            // the row's line in the file, named in errors
	User   roster.NewUser // the values as the form takes them; groups by name
	Status roster.Status  // 0: a new user is Pending, an existing one keeps hers

	// UpdateID names the existing user the row changes; 0 creates a user.
	// The update sets the name and the e-mail, and the username, role and
	// groups only when the matching Set flag says the file gave them.
	UpdateID    uint64
	SetUsername bool
	SetRole     bool
	SetGroups   bool
	SetExpires  bool
	// SetNameParts sets the given name and surname ("" removes them).
	SetNameParts bool
}

// ImportOptions says how Import treats what the rows need.
type ImportOptions struct {
	// CreateGroups creates the groups the rows name that do not exist;
	// without it an unknown group fails the import with ENOTFOUND.
	CreateGroups bool
	// Source names what was imported (a file name) in the audit log.
	Source string
	// Progress, when set, hears how many rows are written so far. It is
	// called inside the transaction: it must be quick and must not touch
	// the database.
	Progress func(done, total int)
	// Groups is the file's groups section: created when missing, then
	// nested and given managers once the users are written.
	Groups []roster.GroupRecord
}

// ImportResult says what an import wrote.
type ImportResult struct {
	Created       []*roster.User
	Updated       []*roster.User
	Unchanged     []*roster.User // update rows that changed nothing
	GroupsCreated []string
}

// Import writes rows in one transaction: every row or, on the first error,
// none. Updates are applied first, then the new users are created; the
// last-owner rule is checked on the result, so a file may hand the owner
// role to a new user and take it from an old one. Errors name the row's
// line ("line 7: email: e-mail … belongs to another user") and keep the
// *roster.Error code and field: EINVALID for a broken rule,
// ECONFLICT for a username or e-mail taken since the rows were planned,
// ENOTFOUND for an unknown group or a user to update who is gone,
// EFORBIDDEN when the actor lacks the power. Every row is checked with the
// form's rules (roster.NewUser Normalize and Validate) here again.
func (db *DB) Import(actor roster.Actor, rows []ImportRow, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	err := db.update(func(tx *bolt.Tx) error {
		res = ImportResult{}
		actor, err := mayTx(tx, actor, roster.OpImport, nil)
		if err != nil {
			return err
		}
		now := db.now()
		if res.GroupsCreated, err = importGroupSectionTx(tx, db, actor, opts.Groups); err != nil {
			return err
		}
		fromRows, err := importGroupsTx(tx, db, actor, rows, opts)
		if err != nil {
			return err
		}
		res.GroupsCreated = append(res.GroupsCreated, fromRows...)
		im := importer{tx: tx, db: db, actor: actor, progress: opts.Progress, total: len(rows)}
		// Updates first, one by one; then the new users in bulk (see createMany).
		var creates []*ImportRow
		for i := range rows {
			row := &rows[i]
			if row.UpdateID == 0 {
				creates = append(creates, row)
				continue
			}
			u, changed, err := im.update(row)
			if err != nil {
				return lineError(row.Line, err)
			}
			if changed {
				res.Updated = append(res.Updated, u)
			} else {
				res.Unchanged = append(res.Unchanged, u)
			}
			im.step()
		}
		if res.Created, err = im.createMany(creates); err != nil {
			return err
		}
		if err := linkGroupSectionTx(tx, db, actor, opts.Groups); err != nil {
			return err
		}
		if len(im.ownerLost) > 0 {
			last := im.ownerLost[len(im.ownerLost)-1]
			if err := roster.KeepOwner(last.username, countActiveOwnersTx(tx)); err != nil {
				return lineError(last.line, err)
			}
		}
		source := ""
		if opts.Source != "" {
			source = " from " + opts.Source
		}
		if len(res.Created) > 0 {
			names, ids := userTargets(res.Created)
			if err := writeAudit(tx, now, actor, roster.ActionUserCreate, names, ids,
				fmt.Sprintf("imported %d users%s (%s)", len(res.Created), source, roleCounts(res.Created))); err != nil {
				return err
			}
		}
		if len(res.Updated) > 0 {
			names, ids := userTargets(res.Updated)
			return writeAudit(tx, now, actor, roster.ActionUserUpdate, names, ids,
				fmt.Sprintf("updated %d users by import%s", len(res.Updated), source))
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// importGroupsTx creates the missing groups the rows name, when asked to.
// Without CreateGroups it leaves them: the row naming one fails later with
// its line number.
func importGroupsTx(tx *bolt.Tx, db *DB, actor roster.Actor, rows []ImportRow, opts ImportOptions) ([]string, error) {
	if !opts.CreateGroups {
		return nil, nil
	}
	var created []string
	seen := map[string]bool{}
	now := db.now()
	for _, row := range rows {
		if row.UpdateID != 0 && !row.SetGroups {
			continue // the update leaves the groups alone
		}
		for _, name := range row.User.Groups {
			name = strings.TrimSpace(name)
			key := roster.NormalizeGroupName(name)
			if seen[key] {
				continue
			}
			seen[key] = true
			if tx.Bucket(bucketGroupsByName).Get([]byte(key)) != nil {
				continue
			}
			if _, err := createGroupTx(tx, now, name, ""); err != nil {
				return nil, lineError(row.Line, err)
			}
			created = append(created, name)
		}
	}
	if len(created) > 0 {
		if err := writeAudit(tx, now, actor, roster.ActionGroupCreate, created, nil,
			fmt.Sprintf("created %d groups for an import", len(created))); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// importer carries what the rows of one import share.
type importer struct {
	tx    *bolt.Tx
	db    *DB
	actor roster.Actor
	// ownerLost lists the rows that take an active owner's powers away.
	ownerLost []lostOwner
	progress  func(done, total int)
	done      int
	total     int
}

// createMany creates the users of rows with the checks of createUserTx
// (the form's rules, the actor's power to grant the role, known groups,
// usernames and e-mail addresses free in the database and among the rows),
// then writes the records in id order and each index in key order.
//
// The order matters: bbolt keeps the new keys of a bucket in one in-memory
// node until the commit, and an insert in the middle of that node moves
// everything after it. 100,000 users inserted one by one into a fresh
// database took over three minutes that way; sorted, the writes take a
// fraction of a second.
func (im *importer) createMany(rows []*ImportRow) ([]*roster.User, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	now := im.db.now()
	users := im.tx.Bucket(bucketUsers)
	byUsername, byEmail := im.tx.Bucket(bucketUsersByUsername), im.tx.Bucket(bucketUsersByEmail)
	type entry struct {
		key []byte
		id  uint64
	}
	usernames := make([]entry, 0, len(rows))
	emails := make([]entry, 0, len(rows))
	var members [][]byte
	lineOfUsername := make(map[string]int, len(rows))
	lineOfEmail := make(map[string]int, len(rows))
	groupIDs := map[string]uint64{} // normalized name → id
	created := make([]*roster.User, 0, len(rows))
	for _, row := range rows {
		n := row.User
		gids, err := checkNewUserTx(im.tx, im.actor, &n, func(names []string) ([]uint64, error) { return im.groupIDs(groupIDs, names) })
		if err != nil {
			return nil, lineError(row.Line, err)
		}
		emailKey := roster.NormalizeEmail(n.Email)
		noEmail := emailKey == "" && n.Kind == roster.KindService // claims no address
		if byUsername.Get([]byte(n.Username)) != nil {
			return nil, lineError(row.Line, roster.FieldErrorf(roster.ECONFLICT, "username", "username %s is taken", n.Username))
		}
		if line, ok := lineOfUsername[n.Username]; ok {
			return nil, lineError(row.Line, roster.FieldErrorf(roster.ECONFLICT, "username", "username %s is also on line %d", n.Username, line))
		}
		if !noEmail && byEmail.Get([]byte(emailKey)) != nil {
			return nil, lineError(row.Line, roster.FieldErrorf(roster.ECONFLICT, "email", "e-mail %s belongs to another user", n.Email))
		}
		if line, ok := lineOfEmail[emailKey]; ok && !noEmail {
			return nil, lineError(row.Line, roster.FieldErrorf(roster.ECONFLICT, "email", "e-mail %s is also on line %d", n.Email, line))
		}
		lineOfUsername[n.Username] = row.Line
		if !noEmail {
			lineOfEmail[emailKey] = row.Line
		}
		id, err := users.NextSequence()
		if err != nil {
			return nil, err
		}
		u := &roster.User{
			ID: id, Username: n.Username, Name: n.Name, Email: n.Email, Role: n.Role,
			GivenName: n.GivenName, Surname: n.Surname,
			Status: roster.StatusPending, GroupIDs: gids, CreatedAt: now, UpdatedAt: now,
			ExpiresAt: n.ExpiresAt, Kind: n.Kind,
		}
		if u.UIDNumber, err = allocIDTx(im.tx, uidKind, id); err != nil { // ascending: appends
			return nil, lineError(row.Line, err)
		}
		switch row.Status {
		case 0, roster.StatusPending:
			if n.Kind == roster.KindService { // never Pending; its password is generated later
				u.Status, u.ActivatedAt = roster.StatusActive, now
			}
		case roster.StatusActive:
			u.Status, u.ActivatedAt = roster.StatusActive, now
		case roster.StatusDisabled:
			u.Status = roster.StatusDisabled
		default:
			return nil, lineError(row.Line, roster.FieldErrorf(roster.EINVALID, "status", "unknown status"))
		}
		if err := putUserTx(im.tx, u); err != nil { // ids ascend: appends
			return nil, err
		}
		usernames = append(usernames, entry{[]byte(n.Username), id})
		if !noEmail {
			emails = append(emails, entry{[]byte(emailKey), id})
		}
		for _, gid := range gids {
			members = append(members, key2(gid, id))
		}
		created = append(created, u)
		im.step()
	}
	for _, idx := range []struct {
		bucket  *bolt.Bucket
		entries []entry
	}{{byUsername, usernames}, {byEmail, emails}} {
		slices.SortFunc(idx.entries, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
		for _, e := range idx.entries {
			if err := idx.bucket.Put(e.key, u64(e.id)); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(members, bytes.Compare)
	gm := im.tx.Bucket(bucketGroupMembers)
	for _, k := range members {
		if err := gm.Put(k, nil); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// groupIDs resolves group names like groupIDsTx, remembering them in cache.
func (im *importer) groupIDs(cache map[string]uint64, names []string) ([]uint64, error) {
	if len(names) == 0 {
		return nil, nil
	}
	ids := make([]uint64, 0, len(names))
	for _, name := range names {
		key := roster.NormalizeGroupName(name)
		id, ok := cache[key]
		if !ok {
			g, err := groupByNameTx(im.tx, name)
			if err != nil {
				return nil, err
			}
			id, cache[key] = g.ID, g.ID
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

type lostOwner struct {
	line     int
	username string
}

func (im *importer) step() {
	im.done++
	if im.progress != nil && (im.done%1000 == 0 || im.done == im.total) {
		im.progress(im.done, im.total)
	}
}

// update applies a row to the user it names through the path UpdateUser
// takes. It reports whether anything changed.
func (im *importer) update(row *ImportRow) (*roster.User, bool, error) {
	u, err := getUserTx(im.tx, row.UpdateID)
	if err != nil {
		return nil, false, roster.Errorf(roster.ENOTFOUND, "the user to update (id %d) no longer exists; preview the import again", row.UpdateID)
	}
	// Fields the file does not set keep their values.
	n := row.User
	upd := roster.UserUpdate{Name: &n.Name, Email: &n.Email}
	if row.SetUsername {
		upd.Username = &n.Username
	}
	if row.SetRole {
		role := n.Role
		if role == 0 {
			role = roster.RoleMember
		}
		upd.Role = &role
	}
	if row.SetExpires {
		upd.ExpiresAt = &n.ExpiresAt
	}
	if row.SetNameParts {
		upd.GivenName, upd.Surname = &n.GivenName, &n.Surname
	}
	if row.SetGroups {
		groups := n.Groups
		if groups == nil {
			groups = []string{}
		}
		upd.Groups = &groups
	}
	before := *u
	changes, err := updateUserTx(im.tx, im.actor, u, upd, row.Status, im.db.now())
	if err != nil {
		return nil, false, err
	}
	if roster.LosesOwner(&before, u) {
		// Checked once all rows are written: a new owner may come later.
		im.ownerLost = append(im.ownerLost, lostOwner{row.Line, u.Username})
	}
	if len(changes) == 0 {
		return u, false, nil
	}
	return u, true, putUserTx(im.tx, u)
}

func userTargets(users []*roster.User) ([]string, []uint64) {
	names := make([]string, len(users))
	ids := make([]uint64, len(users))
	for i, u := range users {
		names[i], ids[i] = u.Username, u.ID
	}
	return names, ids
}

// roleCounts names how many of users hold each role, owners first
// ("1 owner, 2 members"): an import can make owners, and the audit says so.
func roleCounts(users []*roster.User) string {
	counts := map[roster.Role]int{}
	for _, u := range users {
		counts[u.Role]++
	}
	var parts []string
	for i := len(roster.Roles) - 1; i >= 0; i-- {
		if n := counts[roster.Roles[i]]; n > 0 {
			word := roster.Roles[i].String()
			if n > 1 {
				word += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, word))
		}
	}
	return strings.Join(parts, ", ")
}

// lineError prefixes err with the row's line, keeping its code.
func lineError(line int, err error) error {
	if line <= 0 {
		return err
	}
	return fmt.Errorf("line %d: %w", line, err)
}
