package roster

import (
	"strings"
	"time"
)

// Kind says who an account is for: a person, or an app that binds to the
// directory (a service account: no e-mail, never invited, Active at once).
type Kind uint8

// Account kinds. The zero value is a person, so records written before
// kinds existed read as persons.
const (
	KindPerson Kind = iota
	KindService
)

// String returns the kind's lower-case name.
func (k Kind) String() string {
	if k == KindService {
		return "service"
	}
	return "person"
}

// ParseKind reads a kind name, in any letter case; "" means person.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "person":
		return KindPerson, nil
	case "service":
		return KindService, nil
	}
	return 0, FieldErrorf(EINVALID, "kind", "unknown kind %q (want person or service)", s)
}

// IsService reports whether u is a service account.
func (u *User) IsService() bool { return u.Kind == KindService }

// ServiceNoLink is why no one may give a service account an invitation, a
// reset or a set-password link: its password is made by Roster and shown
// once, and a link would let whoever holds it choose one.
const ServiceNoLink = "a service account's password is generated, never set from a link"

// linkOps are the operations that hand someone a set-password link.
var linkOps = map[Op]bool{OpIssueLink: true, OpInvite: true, OpReset: true}

func refuseServiceLink(op Op, target *User) error {
	return Errorf(EFORBIDDEN, "you may not %s for %s (a service account): %s", op, target.Username, ServiceNoLink)
}

// ExpiryDue reports whether u has an expiry date that has come and is not
// Disabled yet: the one test the expiry sweep and the list filter share.
func (u *User) ExpiryDue(now time.Time) bool {
	return !u.ExpiresAt.IsZero() && !now.Before(u.ExpiresAt) && u.Status != StatusDisabled
}

// ExpiresWithin reports whether u is not Disabled and expires before
// now+d (already due included).
func (u *User) ExpiresWithin(now time.Time, d time.Duration) bool {
	return !u.ExpiresAt.IsZero() && u.Status != StatusDisabled && u.ExpiresAt.Before(now.Add(d))
}

// InactiveSince is the time an account's inactivity counts from: the last
// sign-in, else the activation. Zero for accounts that are not Active.
func (u *User) InactiveSince() time.Time {
	if u.Status != StatusActive {
		return time.Time{}
	}
	if !u.LastLoginAt.IsZero() {
		return u.LastLoginAt
	}
	if !u.ActivatedAt.IsZero() {
		return u.ActivatedAt
	}
	return u.CreatedAt
}

// InactiveFor reports whether u is Active and has not signed in for d.
func (u *User) InactiveFor(now time.Time, d time.Duration) bool {
	since := u.InactiveSince()
	return !since.IsZero() && !since.After(now.Add(-d))
}

// DateLayout is how an expiry date is written on the command line and in
// exports.
const DateLayout = "2006-01-02"

// ParseExpiry reads an expiry date: "YYYY-MM-DD" (the account is disabled
// at the start of that day in loc), or "none" / "" for no expiry (the zero
// time).
func ParseExpiry(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "none") || strings.EqualFold(s, "never") {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.ParseInLocation(DateLayout, s, loc)
	if err != nil {
		return time.Time{}, FieldErrorf(EINVALID, "expires", "expiry date %q: want YYYY-MM-DD or none", s)
	}
	return t.UTC(), nil
}

// FormatExpiry writes an expiry as its date in loc, "" for none.
func FormatExpiry(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(DateLayout)
}

// ParseDays reads a span of days as the CLI and config write it: "90d",
// or any Go duration ("36h").
func ParseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		for _, c := range n {
			if c < '0' || c > '9' || days > 100000 {
				return 0, Errorf(EINVALID, "%q: want a number of days such as 90d", s)
			}
			days = days*10 + int(c-'0')
		}
		if n == "" || days == 0 {
			return 0, Errorf(EINVALID, "%q: want a number of days such as 90d", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, Errorf(EINVALID, "%q: want a number of days such as 90d", s)
	}
	return d, nil
}
