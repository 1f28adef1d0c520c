package roster

import "strings"

// Actor is who performs an operation. Local use (someone who can open the
// database file) acts as the operating-system user with owner powers;
// over SSH the actor is the signed-in Roster user.
type Actor struct {
	Name   string // "os:NAME" for local use, else the Roster username
	UserID uint64 // 0 for local use
	Role   Role
	System bool // Roster's own background work: the table's system column
	// Scope is what a group manager manages (manager.go); the store fills
	// it when it resolves the actor, nil for everyone else.
	Scope *Scope
}

// LocalActor returns the actor for the operating-system user name.
func LocalActor(osUser string) Actor {
	if osUser == "" {
		osUser = "unknown"
	}
	return Actor{Name: "os:" + osUser, Role: RoleOwner}
}

// SystemActor is the actor of Roster's own background work (the mail worker,
// the invitation site acting on a token).
func SystemActor(what string) Actor {
	return Actor{Name: "system:" + what, System: true}
}

// IsLocal reports whether the actor is not a Roster user (local use or
// Roster itself).
func (a Actor) IsLocal() bool { return a.UserID == 0 }

// String returns the name recorded in audit events.
func (a Actor) String() string { return a.Name }

// Needs is the short reason a bulk action gives for skipping target:
// "needs the owner role", or "not allowed" when no role may.
func (a Actor) Needs(op Op, target *User) string {
	if linkOps[op] && target != nil && target.IsService() && a.mayByRole(op, target) == nil {
		return ServiceNoLink
	}
	if a.IsManager() {
		if why := a.managerNeeds(op, target); why != "" {
			return why
		}
	}
	if roles := neededRoles(op, target, a.IsSelf(target)); roles != "" && !a.System {
		return "needs the " + roles + " role"
	}
	return "not allowed"
}

// MayOthers reports whether the actor's reach for op goes beyond their own
// account; when it does not, RefuseOthers is the refusal to give before
// looking anyone up.
func (a Actor) MayOthers(op Op) bool { return a.Reach(op)&^OnSelf != No }

// RefuseOthers is the refusal of op on another user for an actor whose
// reach is only themselves. It names no one.
func (a Actor) RefuseOthers(op Op) error { return a.refuseOthers(op) }

// MayAny is the check of a bulk action before its targets: nil when the
// table lets the actor perform op on someone, else the refusal naming the
// roles that may.
func (a Actor) MayAny(op Op) error {
	if a.Offers(op) {
		return nil
	}
	if a.System {
		return Errorf(EFORBIDDEN, "%s may not %s", a.Name, op)
	}
	var names []string
	for _, r := range Roles {
		if (Actor{Role: r}).Offers(op) {
			names = append(names, r.String())
		}
	}
	if len(names) == 0 {
		return Errorf(EFORBIDDEN, "no role may %s", op)
	}
	return Errorf(EFORBIDDEN, "you may not %s: that needs the %s role (you are %s)", op, strings.Join(names, " or "), article(a.Role))
}
