package roster

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Linux accounts (RFC 2307). Every user has a uidNumber and every group a
// gidNumber, each handed out once from its range and never again (the
// store keeps the highest number handed out). What the directory shows
// beside them (home folder, default shell, primary group) follows the
// PosixSettings, which live in the database so that every roster process
// agrees on them.

// ActionPosixSettings is the audit action of a change of the PosixSettings.
const ActionPosixSettings = "posix.settings"

// Defaults of the PosixSettings.
const (
	DefaultIDMin = 10000
	// DefaultIDMax leaves room for any office (and for the 100,000-user
	// benchmarks); software that keeps ids in a signed 32-bit int still
	// copes. Allocation skips ReservedIDs on the way.
	DefaultIDMax        = 1<<31 - 1
	DefaultHomeTemplate = "/home/{username}"
	DefaultShell        = "/bin/bash"
	// DefaultPrimaryGID is Debian's and Ubuntu's "users" group (gid 100),
	// present in every machine's /etc/group: `id` names it without any
	// entry in the directory, and it never collides with Roster's groups.
	DefaultPrimaryGID = 100
	// MaxShellLen bounds a login shell's path, in bytes.
	MaxShellLen = 200
)

// ReservedIDs are the numbers Debian and systemd keep for each machine's
// own use (60000–64999 local dynamic accounts, 61184–65519 systemd's
// DynamicUser, 65534 nobody, 65535 the 16-bit -1): never handed out, never
// accepted, whatever the range.
var ReservedIDs = IDRange{60000, 65535}

// IDRange is an inclusive range of uid or gid numbers.
type IDRange struct{ Min, Max uint32 }

// Contains reports whether n lies in the range.
func (r IDRange) Contains(n uint32) bool { return n >= r.Min && n <= r.Max }

// String returns the range as "MIN-MAX", the form ParseIDRange reads.
func (r IDRange) String() string { return fmt.Sprintf("%d-%d", r.Min, r.Max) }

// ParseIDRange reads "MIN-MAX". The range must start above the system
// accounts (1000) and end below 4294967294 (nobody, and (uid_t)-1).
func ParseIDRange(field, s string) (IDRange, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	a, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 32)
	b, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return IDRange{}, FieldErrorf(EINVALID, field, "%q is not a range like 10000-59999", s)
	}
	r := IDRange{uint32(a), uint32(b)}
	return r, r.validate(field)
}

func (r IDRange) validate(field string) error {
	switch {
	case r.Min > r.Max:
		return FieldErrorf(EINVALID, field, "range %s ends before it starts", r)
	case r.Min < 1000:
		return FieldErrorf(EINVALID, field, "range %s reaches into the system accounts (below 1000)", r)
	case r.Max >= 4294967294:
		return FieldErrorf(EINVALID, field, "range %s reaches 4294967294 (nobody and -1 are not ids)", r)
	}
	return nil
}

// PosixSettings say how Roster's users and groups look as Linux accounts.
type PosixSettings struct {
	UIDs         IDRange // users' uidNumbers are handed out from here
	GIDs         IDRange // groups' gidNumbers are handed out from here
	HomeTemplate string  // "{username}" is replaced by the username
	DefaultShell string  // for users without a shell of their own
	PrimaryGID   uint32  // every user's gidNumber
}

// DefaultPosixSettings returns the settings of a new database.
func DefaultPosixSettings() PosixSettings {
	return PosixSettings{
		UIDs:         IDRange{DefaultIDMin, DefaultIDMax},
		GIDs:         IDRange{DefaultIDMin, DefaultIDMax},
		HomeTemplate: DefaultHomeTemplate,
		DefaultShell: DefaultShell,
		PrimaryGID:   DefaultPrimaryGID,
	}
}

// Validate checks every setting and returns the first rule broken.
func (s PosixSettings) Validate() error {
	if err := s.UIDs.validate("uid-range"); err != nil {
		return err
	}
	if err := s.GIDs.validate("gid-range"); err != nil {
		return err
	}
	if err := ValidateHomeTemplate(s.HomeTemplate); err != nil {
		return err
	}
	if err := ValidateShell(s.DefaultShell); err != nil {
		return err
	}
	if s.PrimaryGID == 0 {
		return FieldErrorf(EINVALID, "primary-gid", "gid 0 is root's group; pick another primary group")
	}
	return nil
}

// Home returns the home folder of the user named username.
func (s PosixSettings) Home(username string) string {
	return strings.ReplaceAll(s.HomeTemplate, "{username}", username)
}

// Shell returns u's login shell: their own, else the default.
func (s PosixSettings) Shell(u *User) string {
	if u.Shell != "" {
		return u.Shell
	}
	return s.DefaultShell
}

// ValidateShell checks a login shell: an absolute path of printable
// characters without spaces, as /etc/shells and passwd(5) need.
func ValidateShell(s string) error {
	return checkPath("shell", "login shell", s)
}

// ValidateHomeTemplate checks a home folder template: an absolute path that
// names {username}, so that users do not share a home.
func ValidateHomeTemplate(s string) error {
	if err := checkPath("home", "home template", s); err != nil {
		return err
	}
	if !strings.Contains(s, "{username}") {
		return FieldErrorf(EINVALID, "home", "home template %q must contain {username}", s)
	}
	return nil
}

func checkPath(field, what, s string) error {
	switch {
	case s == "":
		return FieldErrorf(EINVALID, field, "%s is required", what)
	case len(s) > MaxShellLen:
		return FieldErrorf(EINVALID, field, "%s is longer than %d bytes", what, MaxShellLen)
	case !strings.HasPrefix(s, "/"):
		return FieldErrorf(EINVALID, field, "%s must be an absolute path (like /bin/bash)", what)
	}
	for _, c := range s {
		switch {
		case c == ':':
			return FieldErrorf(EINVALID, field, "%s may not hold ':' (it separates the fields of passwd)", what)
		case unicode.IsSpace(c), unicode.IsControl(c), !unicode.IsPrint(c), isBidiControl(c):
			return FieldErrorf(EINVALID, field, "%s may not hold spaces or control characters (found %s)", what, quoteRune(c))
		}
	}
	return nil
}
