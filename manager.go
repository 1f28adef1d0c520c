package roster

import (
	"fmt"
	"slices"
)

// Group managers. Any user may be made the manager of groups; a member who
// manages one acts in the power table's manager column. A manager's reach
// is the users of their groups — the groups they manage and every group
// nested in them — and of those only plain members who manage no group
// themselves: never an admin, an owner or another manager, never anyone
// outside their groups.

// Scope is what a manager manages. The store computes it in the
// transaction that asks (resolveActorTx), so it is never older than the
// check it serves.
type Scope struct {
	Groups   []uint64        // the groups managed and every group nested in them, ascending
	Managers map[uint64]bool // every user who manages a group: out of any manager's reach
}

// NewScope builds the scope of someone who manages the groups managed,
// with the tree nest and the set of every manager.
func NewScope(managed []uint64, nest *Nesting, managers map[uint64]bool) *Scope {
	var within []uint64
	for _, gid := range managed {
		within = append(within, nest.Within(gid)...)
	}
	slices.Sort(within)
	return &Scope{Groups: slices.Compact(within), Managers: managers}
}

// HasGroup reports whether gid is one of the scope's groups.
func (s *Scope) HasGroup(gid uint64) bool {
	if s == nil {
		return false
	}
	_, ok := slices.BinarySearch(s.Groups, gid)
	return ok
}

// HasAny reports whether one of ids is a scope group. A user has a group
// or two and a scope may hold hundreds: a binary search for each of the
// user's beats a merge of the two lists.
func (s *Scope) HasAny(ids []uint64) bool {
	for _, id := range ids {
		if s.HasGroup(id) {
			return true
		}
	}
	return false
}

// IsManager reports whether the actor acts in the manager column: a
// member who manages at least one group. An admin or owner who manages a
// group keeps the wider column of their role.
func (a Actor) IsManager() bool {
	return !a.System && a.Role == RoleMember && a.Scope != nil && len(a.Scope.Groups) > 0
}

// scopedOps are the operations without a target a manager may perform on
// their scope only: the store filters what they return with Sees.
var scopedOps = map[Op]bool{OpListUsers: true}

// Sees reports whether a user belongs in the actor's lists: everyone for
// those who may list users at all, and for a manager the users of their
// groups and themselves.
func (a Actor) Sees(u *User) bool {
	if !a.IsManager() {
		return true
	}
	return a.IsSelf(u) || a.Scope.HasAny(u.GroupIDs)
}

// SeesGroup reports whether a group belongs in the actor's lists (a
// manager's group filter and picker show their groups only).
func (a Actor) SeesGroup(gid uint64) bool { return !a.IsManager() || a.Scope.HasGroup(gid) }

// mayInGroups answers for a manager's reach over target: OnInGroups is
// anyone of their groups, OnManaged only plain members who manage nothing.
func (a Actor) mayInGroups(op Op, reach Reach, target *User) error {
	if !a.IsManager() {
		return a.refuse(op, target)
	}
	if target.ID == 0 { // a user to create: they must go into the manager's groups
		if reach&OnManaged == 0 || target.Role != RoleMember {
			return a.refuse(op, target)
		}
		if target.IsService() {
			return Errorf(EFORBIDDEN, "you may not %s for a service account: that needs the admin or owner role", op)
		}
		if len(target.GroupIDs) == 0 {
			return Errorf(EFORBIDDEN, "you may %s only into the groups you manage: choose one of them", op)
		}
		for _, gid := range target.GroupIDs {
			if !a.Scope.HasGroup(gid) {
				return Errorf(EFORBIDDEN, "you may %s only into the groups you manage", op)
			}
		}
		return nil
	}
	if !a.Scope.HasAny(target.GroupIDs) {
		return Errorf(EFORBIDDEN, "you may not %s for %s: they are in none of the groups you manage", op, target.Username)
	}
	if reach&OnInGroups != 0 {
		return nil
	}
	if target.Role != RoleMember {
		return a.refuse(op, target)
	}
	if a.Scope.Managers[target.ID] {
		return Errorf(EFORBIDDEN, "you may not %s for %s: they manage a group too; that needs the admin or owner role", op, target.Username)
	}
	return nil
}

// MayMembership is the check of adding target to the group gid (named
// group) or taking them out of it: the power over target and, for a
// manager, a group of their own.
func (a Actor) MayMembership(target *User, gid uint64, group string) error {
	if err := a.May(OpMembership, target); err != nil {
		return err
	}
	if a.IsManager() && !a.Scope.HasGroup(gid) {
		return Errorf(EFORBIDDEN, "you may not %s in %s: it is not a group you manage", OpMembership, group)
	}
	return nil
}

// MayChangeFields is the check of a change of target's fields beyond what
// OpUpdateUser covers: a manager edits only the name and the e-mail
// address. fields names the fields changed ("username", "uid").
func (a Actor) MayChangeFields(fields ...string) error {
	if !a.IsManager() {
		return nil
	}
	for _, f := range fields {
		if f != "name" && f != "email" {
			return Errorf(EFORBIDDEN, "you may change only the name and e-mail address of the users you manage, not the %s", f)
		}
	}
	return nil
}

// managerNeeds is Needs for a manager: the short reason a bulk action
// gives for skipping target.
func (a Actor) managerNeeds(op Op, target *User) string {
	switch {
	case target == nil || a.May(op, target) == nil:
		return ""
	case !a.Scope.HasAny(target.GroupIDs) && !a.IsSelf(target):
		return "not in your groups"
	case target.Role == RoleMember && a.Scope.Managers[target.ID] && !a.IsSelf(target):
		return "manages a group: needs the admin or owner role"
	}
	if roles := neededRoles(op, target, a.IsSelf(target)); roles != "" {
		return fmt.Sprintf("needs the %s role", roles)
	}
	return "not allowed"
}
