package roster

import (
	"fmt"
	"strings"
)

// Op is one thing an actor may do, reads included. The store asks
// Actor.May before every operation; the adapters ask it what to offer.
type Op uint8

// Operations. An operation on a user takes that user as the target (for a
// new user or a role to grant: a User with only the role set); the others
// take nil.
const (
	OpListUsers    Op = iota + 1 // the list of every user, counts by status
	OpReadUser                   // one user's details
	OpReadAudit                  // the audit log
	OpReadMailbox                // the dev mailbox (mail with live links)
	OpReadOutbox                 // queued and sent mail, delivery counts
	OpReadKeys                   // a user's SSH keys
	OpAddKey                     // register an SSH key on a user (never on oneself: see Powers)
	OpRemoveKey                  // take an SSH key off a user
	OpIssueLink                  // make a one-time set-password link for a user
	OpInvite                     // queue an invitation mail
	OpReset                      // queue a reset mail
	OpUnblockMail                // clear a bounced address's suppression
	OpCreateUser                 // target: the new user (its role)
	OpUpdateUser                 // username, name, e-mail
	OpSetRole                    // target: the user, then the role granted
	OpSetStatus                  // activate or disable
	OpDeleteUser                 // delete
	OpSetPassword                // set a password directly
	OpMembership                 // add to or remove from a group
	OpReadGroups                 // the list of groups
	OpManageGroups               // create, rename, delete groups
	OpImport                     // import a file (each row also as create or update)
	OpExport                     // export users
	OpBackup                     // copy the database (it holds every hash and the mailbox)
	OpRestore                    // replace the database with a backup
	OpCheck                      // check the database's consistency
	OpDemo                       // load demo users
	OpSendMail                   // queue a test mail, retry failed mail
	OpClearMailbox               // empty the dev mailbox
	OpReadPosix                  // the Linux account settings (posix.go)
	OpManagePosix                // change them: ranges decide who owns files on the machines
	OpDisableDue                 // disable accounts past their expiry date or the inactivity policy
	OpReadLinks                  // see a live link in the dev mailbox; target: the addressee
	opEnd
)

var opNames = [...]string{
	OpListUsers: "list users", OpReadUser: "read a user's details", OpReadAudit: "read the audit log",
	OpReadMailbox: "read the dev mailbox", OpReadOutbox: "read the outbox", OpReadKeys: "see SSH keys",
	OpAddKey: "add SSH keys", OpRemoveKey: "remove SSH keys", OpIssueLink: "make set-password links", OpInvite: "send invitations",
	OpReset: "send password resets", OpUnblockMail: "unblock mail", OpCreateUser: "create users",
	OpUpdateUser: "change users", OpSetRole: "change roles", OpSetStatus: "activate or disable users",
	OpDeleteUser: "delete users", OpSetPassword: "set passwords", OpMembership: "change group memberships",
	OpReadGroups: "list groups", OpManageGroups: "manage groups", OpImport: "import users",
	OpExport: "export users", OpBackup: "back up the database", OpRestore: "restore the database",
	OpCheck: "check the database", OpDemo: "load demo users", OpSendMail: "send test mail or retry mail",
	OpClearMailbox: "clear the dev mailbox", OpReadPosix: "read the Linux account settings",
	OpManagePosix: "change the Linux account settings",
	OpDisableDue:  "disable expired or dormant accounts", OpReadLinks: "see live links",
}

// Ops lists every operation, for tests and help screens.
func Ops() []Op {
	ops := make([]Op, 0, opEnd-1)
	for op := Op(1); op < opEnd; op++ {
		ops = append(ops, op)
	}
	return ops
}

// String names the operation as a refusal says it ("read the audit log").
func (op Op) String() string {
	if op > 0 && op < opEnd {
		return opNames[op]
	}
	return fmt.Sprintf("op(%d)", uint8(op))
}

// Reach says on whom an actor may perform an operation: a set of target
// kinds. An operation without a target is on everyone: it needs Others.
type Reach uint8

// Reaches. OnSelf is the actor's own account; the others are other users by
// role. Owner powers over themselves come with OnOwners.
const (
	OnSelf Reach = 1 << iota
	OnMembers
	OnAdmins
	OnOwners
	OnInGroups // a manager's: anyone in the groups they manage (reads)
	OnManaged  // a manager's: plain members of their groups who manage none (changes)

	No       Reach = 0
	Yes            = OnSelf | OnMembers | OnAdmins | OnOwners // every target, or allowed
	Everyone       = Yes
	Members        = OnSelf | OnMembers              // themselves and members
	Others         = OnMembers | OnAdmins | OnOwners // every other user
	Managed        = OnSelf | OnManaged              // a manager: themselves and the members they manage
)

// onRole is the reach that covers another user of role r.
func onRole(r Role) Reach {
	switch r {
	case RoleMember:
		return OnMembers
	case RoleAdmin:
		return OnAdmins
	case RoleOwner:
		return OnOwners
	}
	return 0
}

// Column is the kind of actor a column of the power table is for.
type Column uint8

// Columns of the power table. Local use (someone who can open the database
// file) acts as an owner; System is Roster's own background work.
const (
	ColMember  Column = iota
	ColManager        // a member who manages groups (manager.go)
	ColAdmin
	ColOwner
	ColSystem
	columns
)

// Row is one operation's line of the power table: the reach of each kind
// of actor.
type Row [columns]Reach

// Powers is the power table: who may do what to whom. It is data so that
// a new role is a new column and a new operation a new line.
var Powers = map[Op]Row{
	//                member   manager  admin    owner    system
	OpListUsers:   {No, OnSelf | OnInGroups, Yes, Yes, Yes},
	OpReadUser:    {OnSelf, OnSelf | OnInGroups, Yes, Yes, Yes},
	OpReadAudit:   {OnSelf, OnSelf, Yes, Yes, No}, // self: the events about them (My account's sign-ins)
	OpReadMailbox: {No, No, No, Yes, No},
	OpReadOutbox:  {No, No, Yes, Yes, Yes},
	OpReadKeys:    {OnSelf, Managed, Yes, Yes, Yes},
	// A key is registered by an owner or admin for someone else, never by
	// its would-be holder: a member who could add any public key to
	// themselves could claim one that belongs to no user yet (squatting),
	// blocking its real owner. Local use is no user, so it adds for anyone.
	OpAddKey:       {No, No, OnMembers, Others, No},
	OpRemoveKey:    {OnSelf, OnSelf, Members, Yes, No},
	OpIssueLink:    {No, OnManaged, OnMembers, Yes, No},
	OpInvite:       {No, OnManaged, OnMembers, Yes, No},
	OpReset:        {No, OnManaged, OnMembers, Yes, Yes}, // system: the public reset form
	OpUnblockMail:  {No, No, OnMembers, Yes, No},
	OpCreateUser:   {No, OnManaged, OnMembers, Yes, No},
	OpUpdateUser:   {No, OnManaged, OnMembers, Yes, No},
	OpSetRole:      {No, No, OnMembers, Yes, No},
	OpSetStatus:    {No, OnManaged, OnMembers, Yes, No},
	OpDeleteUser:   {No, No, OnMembers, Yes, No},
	OpSetPassword:  {OnSelf, OnSelf, Members, Yes, No},
	OpMembership:   {No, OnManaged, OnMembers, Yes, No},
	OpReadGroups:   {Yes, Yes, Yes, Yes, Yes},
	OpManageGroups: {No, No, Yes, Yes, No},
	OpImport:       {No, No, Yes, Yes, No},
	OpExport:       {No, No, Yes, Yes, No},
	OpBackup:       {No, No, No, Yes, Yes},
	OpRestore:      {No, No, No, Yes, No},
	OpCheck:        {No, No, Yes, Yes, Yes},
	OpDemo:         {No, No, No, Yes, No},
	OpSendMail:     {No, No, Yes, Yes, No},
	OpClearMailbox: {No, No, No, Yes, No},
	OpReadPosix:    {Yes, Yes, Yes, Yes, Yes},
	OpManagePosix:  {No, No, No, Yes, No},
	OpDisableDue:   {No, No, No, Yes, Yes},
	OpReadLinks:    {OnSelf, OnSelf, OnSelf, Yes, No}, // a mailbox reader sees others' links masked
}

// Column returns the actor's column in the power table.
func (a Actor) Column() Column {
	switch {
	case a.System:
		return ColSystem
	case a.Role == RoleOwner:
		return ColOwner
	case a.Role == RoleAdmin:
		return ColAdmin
	case a.IsManager():
		return ColManager
	}
	return ColMember
}

// Reach returns what the table lets the actor do with op.
func (a Actor) Reach(op Op) Reach { return Powers[op][a.Column()] }

// May reports whether the actor may perform op on target (nil for an
// operation without one, a User with only Role set for a role to grant or
// a user to create). A refusal is EFORBIDDEN and says what it needs; a
// set-password link for a service account is refused to everyone
// (refuseServiceLink).
func (a Actor) May(op Op, target *User) error {
	if err := a.mayByRole(op, target); err != nil {
		return err
	}
	if linkOps[op] && target != nil && target.IsService() {
		return refuseServiceLink(op, target)
	}
	return nil
}

// mayByRole is May's answer from the power table alone.
func (a Actor) mayByRole(op Op, target *User) error {
	reach := a.Reach(op)
	if target == nil {
		// Without a target the operation is on everyone (the whole audit
		// log, every user): it needs a reach over every other user.
		if reach&Others == Others {
			return nil
		}
		if reach&OnInGroups != 0 && scopedOps[op] && a.IsManager() {
			return nil // the store returns only what Sees allows
		}
		return a.refuse(op, nil)
	}
	switch {
	case a.IsSelf(target):
		if reach&OnSelf != 0 {
			return nil
		}
	case reach&onRole(target.Role) != 0:
		return nil
	case reach&(OnInGroups|OnManaged) != 0:
		return a.mayInGroups(op, reach, target)
	}
	return a.refuse(op, target)
}

// IsSelf reports whether target is the actor's own account.
func (a Actor) IsSelf(target *User) bool {
	return !a.IsLocal() && target != nil && target.ID != 0 && target.ID == a.UserID
}

// Offers reports whether op is allowed on anyone at all, for menus that
// show an action before a target is chosen.
func (a Actor) Offers(op Op) bool { return a.Reach(op) != No }

// selfReasons explain what no one may do to their own account.
var selfReasons = map[Op]string{
	OpAddKey: "an owner or admin adds a key for you, so that no one claims a key that is not theirs",
}

// refuse builds the refusal, naming the roles that would do.
func (a Actor) refuse(op Op, target *User) error {
	if a.System {
		return Errorf(EFORBIDDEN, "%s may not %s", a.Name, op)
	}
	self := a.IsSelf(target)
	why := "no role may"
	if roles := neededRoles(op, target, self); roles != "" {
		why = "that needs the " + roles + " role"
	} else if self && selfReasons[op] != "" {
		why = selfReasons[op]
	}
	switch {
	case target == nil:
		return Errorf(EFORBIDDEN, "you may not %s: %s (you are %s)", op, why, article(a.Role))
	case self:
		return Errorf(EFORBIDDEN, "you may not %s on your own account: %s", op, why)
	case target.Username == "":
		return Errorf(EFORBIDDEN, "you may not %s for %s: %s", op, article(target.Role), why)
	}
	return Errorf(EFORBIDDEN, "you may not %s for %s (%s): %s", op, target.Username, article(target.Role), why)
}

// refuseOthers is the refusal of an actor whose reach is only themselves,
// before anyone else is looked up.
func (a Actor) refuseOthers(op Op) error {
	var names []string
	for _, r := range Roles {
		if (Actor{Role: r}).MayOthers(op) {
			names = append(names, r.String())
		}
	}
	why := "no role may"
	if len(names) > 0 {
		why = "that needs the " + strings.Join(names, " or ") + " role"
	}
	return Errorf(EFORBIDDEN, "you may %s only for your own account; for others %s", op, why)
}

// neededRoles lists the roles whose column allows op on target ("admin or
// owner"); "" if none.
func neededRoles(op Op, target *User, self bool) string {
	var names []string
	for _, r := range Roles {
		reach := Actor{Role: r}.Reach(op)
		switch {
		case target == nil && reach&Others == Others,
			target != nil && self && reach&OnSelf != 0,
			target != nil && !self && reach&onRole(target.Role) != 0:
			names = append(names, r.String())
		}
	}
	return strings.Join(names, " or ")
}

func article(r Role) string {
	if r == RoleAdmin || r == RoleOwner {
		return "an " + r.String()
	}
	return "a " + r.String()
}

// IsActiveOwner reports whether u counts towards the owners the database
// must keep.
func (u *User) IsActiveOwner() bool { return u.Role == RoleOwner && u.Status == StatusActive }

// LosesOwner reports whether a change turns before, an active owner, into
// a user who is not (after; nil for a deletion).
func LosesOwner(before, after *User) bool {
	return before.IsActiveOwner() && (after == nil || !after.IsActiveOwner())
}

// KeepOwner is the last-owner rule, for a change that LosesOwner: it is
// refused with ECONFLICT when it would leave ownersLeft, the number of
// active owners after it, at zero. Every path that demotes, disables or
// deletes calls it with its own count.
func KeepOwner(username string, ownersLeft int) error {
	if ownersLeft > 0 {
		return nil
	}
	return Errorf(ECONFLICT, "%s is the last active owner; make someone else owner first", username)
}
