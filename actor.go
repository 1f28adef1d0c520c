package roster

import "fmt"

// Actor is who performs an operation. Local use (someone who can open the
// database file) acts as the operating-system user with owner powers;
// over SSH the actor is the signed-in Roster user.
type Actor struct {
	Name   string // "os:NAME" for local use, else the Roster username
	UserID uint64 // 0 for local use
	Role   Role
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
	return Actor{Name: "system:" + what, Role: RoleOwner}
}

// IsLocal reports whether the actor is not a Roster user.
func (a Actor) IsLocal() bool { return a.UserID == 0 }

// String returns the name recorded in audit events.
func (a Actor) String() string { return a.Name }

// CanAdminister reports whether the actor may manage users and groups at all.
func (a Actor) CanAdminister() error {
	if a.Role >= RoleAdmin {
		return nil
	}
	return Errorf(EFORBIDDEN, "this needs the admin or owner role (you are a %s)", a.Role)
}

// CanChange reports whether the actor may change, disable or delete target.
// Admins manage members only; owners manage everyone. The store adds the
// last-owner rule, which needs a count of owners.
func (a Actor) CanChange(target *User) error {
	if err := a.CanAdminister(); err != nil {
		return err
	}
	if target.Role >= RoleAdmin && a.Role < RoleOwner {
		return Errorf(EFORBIDDEN, "changing %s (a %s) needs the owner role", target.Username, target.Role)
	}
	return nil
}

// CanGrant reports whether the actor may give role r to someone.
func (a Actor) CanGrant(r Role) error {
	if err := a.CanAdminister(); err != nil {
		return err
	}
	if r >= RoleAdmin && a.Role < RoleOwner {
		return Errorf(EFORBIDDEN, "making someone %s needs the owner role", r)
	}
	return nil
}

// RoleNeeded describes a refusal for display.
func RoleNeeded(r Role) string { return fmt.Sprintf("needs the %s role", r) }
