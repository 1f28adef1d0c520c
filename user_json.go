package roster

import "time"

// UserRecord is a user as the CLI's --json and exports show it: no password
// hash, no token, groups by name, times in RFC 3339 or null.
type UserRecord struct {
	ID          uint64     `json:"id"`
	Username    string     `json:"username"`
	Name        string     `json:"name"`
	Email       string     `json:"email"`
	Role        string     `json:"role"`
	Groups      []string   `json:"groups"`
	Status      string     `json:"status"`
	CreatedAt   *time.Time `json:"created_at"`
	InvitedAt   *time.Time `json:"invited_at"`
	ActivatedAt *time.Time `json:"activated_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
	UIDNumber   uint32     `json:"uid_number,omitempty"`
	Shell       string     `json:"shell,omitempty"`
	Kind        string     `json:"kind"`              // person or service
	Expires     string     `json:"expires,omitempty"` // YYYY-MM-DD in local time: disabled from that day
	GivenName   string     `json:"given_name,omitempty"`
	Surname     string     `json:"surname,omitempty"`
}

// Record returns u as a UserRecord; groupName maps group ids to names.
func (u *User) Record(groupName func(id uint64) string) UserRecord {
	groups := make([]string, 0, len(u.GroupIDs))
	for _, id := range u.GroupIDs {
		groups = append(groups, groupName(id))
	}
	return UserRecord{
		ID: u.ID, Username: u.Username, Name: u.Name, Email: u.Email,
		Role: u.Role.String(), Groups: groups, Status: u.Status.String(),
		CreatedAt: timeOrNil(u.CreatedAt), InvitedAt: timeOrNil(u.InvitedAt),
		ActivatedAt: timeOrNil(u.ActivatedAt), LastLoginAt: timeOrNil(u.LastLoginAt),
		UIDNumber: u.UIDNumber, Shell: u.Shell,
		Kind: u.Kind.String(), Expires: FormatExpiry(u.ExpiresAt, time.Local),
		GivenName: u.GivenName, Surname: u.Surname,
	}
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
