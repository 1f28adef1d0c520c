package roster

import (
	"fmt"
	"strings"
	"time"
)

// Status is where an account is in its life: invited, in use, or switched off.
type Status uint8

// Account statuses. New users are Pending until they set a password.
const (
	StatusPending Status = iota + 1
	StatusActive
	StatusDisabled
)

// Statuses lists every status in display order.
var Statuses = []Status{StatusPending, StatusActive, StatusDisabled}

// String returns the status's lower-case name.
func (s Status) String() string {
	switch s {
	case StatusPending:
		return "pending"
	case StatusActive:
		return "active"
	case StatusDisabled:
		return "disabled"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Title returns the status's name for display ("Pending").
func (s Status) Title() string {
	n := s.String()
	return strings.ToUpper(n[:1]) + n[1:]
}

// ParseStatus reads a status name, in any letter case.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if strings.EqualFold(strings.TrimSpace(s), st.String()) {
			return st, nil
		}
	}
	return 0, FieldErrorf(EINVALID, "status", "unknown status %q (want pending, active or disabled)", s)
}

// Role gives a user powers over other users.
type Role uint8

// Roles, from least to most powerful.
const (
	RoleMember Role = iota + 1
	RoleAdmin
	RoleOwner
)

// Roles lists every role from least to most powerful.
var Roles = []Role{RoleMember, RoleAdmin, RoleOwner}

// String returns the role's lower-case name.
func (r Role) String() string {
	switch r {
	case RoleMember:
		return "member"
	case RoleAdmin:
		return "admin"
	case RoleOwner:
		return "owner"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// ParseRole reads a role name, in any letter case; "" means member.
func ParseRole(s string) (Role, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return RoleMember, nil
	}
	for _, r := range Roles {
		if strings.EqualFold(s, r.String()) {
			return r, nil
		}
	}
	return 0, FieldErrorf(EINVALID, "role", "unknown role %q (want owner, admin or member)", s)
}

// DeliveryState is what became of the last invitation or reset mail.
type DeliveryState uint8

// Delivery states. DeliveryNone means no mail was ever queued.
const (
	DeliveryNone DeliveryState = iota
	DeliveryQueued
	DeliverySent
	DeliveryFailed
	DeliveryBounced
)

// String returns the delivery state's lower-case name ("" for none).
func (d DeliveryState) String() string {
	switch d {
	case DeliveryQueued:
		return "queued"
	case DeliverySent:
		return "sent"
	case DeliveryFailed:
		return "failed"
	case DeliveryBounced:
		return "bounced"
	}
	return ""
}

// User is an account. Username and Email are unique, compared without
// regard to letter case; Username is stored lower-case.
type User struct {
	ID       uint64
	Username string
	Name     string // "" only while NameLater: the invitee gives it
	Email    string
	Role     Role
	Status   Status
	GroupIDs []uint64 // sorted ascending

	GivenName string // optional; LDAP givenName (see names.go)
	Surname   string // optional; LDAP sn

	CreatedAt   time.Time
	UpdatedAt   time.Time
	InvitedAt   time.Time // last invitation queued
	ActivatedAt time.Time
	LastLoginAt time.Time

	PasswordHash  string // argon2id PHC string; never leaves the store's callers that need it
	PasswordSetAt time.Time

	Delivery       DeliveryState // of the last invitation or reset mail
	DeliveryDetail string        // the server's words on failure
	DeliveryAt     time.Time
	InviteExpires  time.Time // expiry of the live invitation token, if any

	Suppressed     bool // mail to this address bounced; no more is sent until cleared
	SuppressReason string

	UIDNumber uint32 // the Linux uid (RFC 2307), handed out once; see posix.go
	Shell     string // login shell; "" means PosixSettings.DefaultShell

	Kind      Kind      // person or service account; see lifecycle.go
	ExpiresAt time.Time // the account turns Disabled at this moment; zero: never
}

// InGroup reports whether u belongs to the group with id gid.
func (u *User) InGroup(gid uint64) bool {
	for _, id := range u.GroupIDs {
		if id == gid {
			return true
		}
	}
	return false
}

// LastSeen returns the most telling time of an account and its label:
// the last login, else the activation, else the invitation, else creation.
func (u *User) LastSeen() (string, time.Time) {
	switch {
	case !u.LastLoginAt.IsZero():
		return "last login", u.LastLoginAt
	case !u.ActivatedAt.IsZero():
		return "activated", u.ActivatedAt
	case !u.InvitedAt.IsZero():
		return "invited", u.InvitedAt
	}
	return "created", u.CreatedAt
}

// NewUser is the input for creating a user. Groups are named, not numbered.
type NewUser struct {
	Username string
	Name     string // may be empty for a person with an e-mail: see NameLater
	Email    string
	Role     Role // zero means member
	Groups   []string

	GivenName string // optional
	Surname   string // optional

	Kind      Kind      // a service account needs no e-mail and is Active at once
	ExpiresAt time.Time // zero: never
}

// Normalize trims and lower-cases what the rules say to, in place.
func (n *NewUser) Normalize() {
	n.Username = NormalizeUsername(n.Username)
	n.Name = strings.TrimSpace(n.Name)
	n.GivenName = strings.TrimSpace(n.GivenName)
	n.Surname = strings.TrimSpace(n.Surname)
	if n.Name == "" {
		n.Name = JoinName(n.GivenName, n.Surname)
	}
	n.Email = strings.TrimSpace(n.Email)
	if n.Role == 0 {
		n.Role = RoleMember
	}
	if n.Kind == KindService && len(n.Groups) == 0 {
		n.Groups = []string{DirectoryReaders}
	}
}

// Validate checks every field of a normalized NewUser and returns the first
// rule broken, as an *Error naming the field.
func (n *NewUser) Validate() error {
	if err := ValidateUsername(n.Username); err != nil {
		return err
	}
	// A person invited by e-mail may leave the name to give it themself.
	if n.Name != "" || !nameLater(n.Kind, StatusPending, n.Email) {
		if err := ValidateName(n.Name); err != nil {
			return err
		}
	}
	if err := ValidateGivenName(n.GivenName); err != nil {
		return err
	}
	if err := ValidateSurname(n.Surname); err != nil {
		return err
	}
	// A service account needs no address: it is never mailed.
	if n.Kind != KindService || n.Email != "" {
		if err := ValidateEmail(n.Email); err != nil {
			return err
		}
	}
	if n.Kind != KindPerson && n.Kind != KindService {
		return FieldErrorf(EINVALID, "kind", "unknown kind")
	}
	if n.Role < RoleMember || n.Role > RoleOwner {
		return FieldErrorf(EINVALID, "role", "unknown role")
	}
	for _, g := range n.Groups {
		if err := ValidateGroupName(g); err != nil {
			return err
		}
	}
	return nil
}

// UserUpdate changes some fields of a user; nil fields stay as they are.
type UserUpdate struct {
	Username *string
	Name     *string
	Email    *string
	Role     *Role
	Groups   *[]string // replaces the memberships when set

	GivenName *string // "" removes it
	Surname   *string // "" removes it

	UIDNumber *uint32 // must be free and in the uid range
	Shell     *string // "" returns to the default shell

	ExpiresAt *time.Time // the zero time removes the expiry
}

// UserSort names the order of a user list.
type UserSort uint8

// Sort orders. SortName is the default: alphabetical by name.
const (
	SortName UserSort = iota
	SortUsername
	SortEmail
	SortStatus
	SortCreated
)

// UserSorts lists every sort order in the order the TUI cycles them.
var UserSorts = []UserSort{SortName, SortUsername, SortEmail, SortStatus, SortCreated}

// String returns the sort's name as the CLI spells it.
func (s UserSort) String() string {
	switch s {
	case SortUsername:
		return "username"
	case SortEmail:
		return "email"
	case SortStatus:
		return "status"
	case SortCreated:
		return "created"
	}
	return "name"
}

// ParseUserSort reads a sort name; "" means by name.
func ParseUserSort(s string) (UserSort, error) {
	if s == "" {
		return SortName, nil
	}
	for _, o := range UserSorts {
		if strings.EqualFold(s, o.String()) {
			return o, nil
		}
	}
	return 0, FieldErrorf(EINVALID, "sort", "unknown sort %q (want name, username, email, status or created)", s)
}

// UserFilter selects users. Zero values select everything.
type UserFilter struct {
	Status  Status // 0: any
	GroupID uint64 // 0: any
	Search  string // case-insensitive substring of username, name or e-mail
	Sort    UserSort
	Desc    bool
}

// TokenPurpose says what a one-time link lets its holder do.
type TokenPurpose uint8

// Token purposes. Both let the holder set a password; an invitation also
// activates a Pending account.
const (
	TokenInvite TokenPurpose = iota + 1
	TokenReset
)

// String returns the purpose's name.
func (p TokenPurpose) String() string {
	if p == TokenReset {
		return "reset"
	}
	return "invite"
}
