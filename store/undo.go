package store

import (
	"strconv"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// UndoField is what a bulk change set, which Undo sets back.
type UndoField int

// The bulk changes Undo takes back.
const (
	UndoStatus      UndoField = iota + 1 // SetStatus: each user's status goes back
	UndoRole                             // SetRole: each user's role goes back
	UndoGroupAdd                         // AddToGroup: the users leave the group again
	UndoGroupRemove                      // RemoveFromGroup: the users join the group again
)

// BulkUndo is a bulk change to take back: what it set, and each user as it
// found them. The app that made the change records it (see Undo).
type BulkUndo struct {
	Field  UndoField
	Status roster.Status // UndoStatus: the status the change set
	Role   roster.Role   // UndoRole: the role the change set
	Group  string        // UndoGroupAdd, UndoGroupRemove: the group
	Users  []UndoUser
}

// UndoUser is one user the change changed, as it found them.
type UndoUser struct {
	ID          uint64
	Username    string // names them when they have been deleted since
	Status      roster.Status
	ActivatedAt time.Time // activation sets it; going back to pending clears it again
	Role        roster.Role
}

// Undo takes back a bulk change of status, role or group membership in one
// transaction, audited as one event (user.undo) that names the users and
// what went back. Each user is checked against the power table as the
// change itself would be (and the last active owner kept); a user whose
// field is no longer what the change left (someone changed it since), or
// who has been deleted since, is skipped and named.
func (db *DB) Undo(actor roster.Actor, u BulkUndo) (roster.BulkResult, error) {
	before := make(map[uint64]UndoUser, len(u.Users))
	ids := make([]uint64, 0, len(u.Users))
	for _, x := range u.Users {
		before[x.ID] = x
		ids = append(ids, x.ID)
	}
	gone := func(id uint64) string { return before[id].Username }
	details := "undo: " + u.Describe()
	switch u.Field {
	case UndoStatus:
		return db.bulkOr(actor, roster.OpSetStatus, ids, roster.ActionUserUndo, details, func(_ *bolt.Tx, _ roster.Actor, cur *roster.User) (string, error) {
			if cur.Status != u.Status {
				return "changed since: now " + cur.Status.String(), nil
			}
			b := before[cur.ID]
			if b.Status == roster.StatusActive {
				if skip := expiredSkip(cur, db.now()); skip != "" {
					return skip, nil
				}
			}
			cur.Status, cur.ActivatedAt = b.Status, b.ActivatedAt
			return "", nil
		}, gone)
	case UndoRole:
		return db.bulkOr(actor, roster.OpSetRole, ids, roster.ActionUserUndo, details, func(_ *bolt.Tx, actor roster.Actor, cur *roster.User) (string, error) {
			if cur.Role != u.Role {
				return "changed since: now " + cur.Role.String(), nil
			}
			b := before[cur.ID]
			// As SetRole: giving the old role back is a power of its own.
			if grant := (&roster.User{Role: b.Role}); actor.May(roster.OpSetRole, grant) != nil {
				return actor.Needs(roster.OpSetRole, grant), nil
			}
			cur.Role = b.Role
			return "", nil
		}, gone)
	case UndoGroupAdd, UndoGroupRemove:
		if _, err := db.Group(actor, u.Group); err != nil {
			return roster.BulkResult{}, err
		}
		join := u.Field == UndoGroupRemove // put back those taken out
		var gid uint64
		return db.bulkOr(actor, roster.OpMembership, ids, roster.ActionUserUndo, details, func(tx *bolt.Tx, _ roster.Actor, cur *roster.User) (string, error) {
			if gid == 0 {
				g, err := groupByNameTx(tx, u.Group)
				if err != nil {
					return "", err
				}
				gid = g.ID
			}
			if cur.InGroup(gid) == join {
				return "changed since", nil
			}
			ids := make([]uint64, 0, len(cur.GroupIDs)+1)
			for _, id := range cur.GroupIDs {
				if id != gid {
					ids = append(ids, id)
				}
			}
			if join {
				ids = insertSorted(ids, gid)
			}
			return "", setMembershipsTx(tx, cur, ids)
		}, gone)
	}
	return roster.BulkResult{}, roster.Errorf(roster.EINVALID, "nothing to undo")
}

// Describe says what going back does, for a question and the audit log:
// "status active back to pending (2), disabled (1)", "out of sales again".
func (u BulkUndo) Describe() string {
	switch u.Field {
	case UndoStatus, UndoRole:
		var order []string
		counts := map[string]int{}
		for _, x := range u.Users {
			v := x.Status.String()
			if u.Field == UndoRole {
				v = x.Role.String()
			}
			if counts[v] == 0 {
				order = append(order, v)
			}
			counts[v]++
		}
		parts := make([]string, len(order))
		for i, v := range order {
			parts[i] = v + " (" + strconv.Itoa(counts[v]) + ")"
		}
		what, now := "status", u.Status.String()
		if u.Field == UndoRole {
			what, now = "role", u.Role.String()
		}
		return what + " " + now + " back to " + strings.Join(parts, ", ")
	case UndoGroupAdd:
		return "out of " + u.Group + " again"
	case UndoGroupRemove:
		return "back into " + u.Group
	}
	return "nothing"
}
