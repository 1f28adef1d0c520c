package roster

import (
	"strings"
	"unicode"
)

// A user's name has three parts: the display name (Name), and an optional
// given name and surname for the apps that want them apart (LDAP givenName
// and sn). A person invited by e-mail alone may have no name yet: they give
// it on the set-password page (see NameLater).

// ValidateGivenName checks a trimmed given (first) name: optional, and
// otherwise held to the display name's rules.
func ValidateGivenName(s string) error { return validateNamePart("given_name", "given name", s) }

// ValidateSurname checks a trimmed surname (last name): optional, and
// otherwise held to the display name's rules.
func ValidateSurname(s string) error { return validateNamePart("surname", "surname", s) }

func validateNamePart(field, label, s string) error {
	if s == "" {
		return nil
	}
	if err := checkLabeled(field, label, s, MaxNameLen); err != nil {
		return err
	}
	if s != strings.TrimSpace(s) {
		return FieldErrorf(EINVALID, field, "%s has leading or trailing spaces", label)
	}
	if strings.IndexFunc(s, func(c rune) bool { return unicode.IsGraphic(c) && !unicode.IsSpace(c) }) < 0 {
		return FieldErrorf(EINVALID, field, "%s has no visible character; leave it empty instead", label)
	}
	return nil
}

// JoinName makes a display name of a given name and a surname, for when
// only those were given.
func JoinName(given, surname string) string {
	return strings.TrimSpace(strings.TrimSpace(given) + " " + strings.TrimSpace(surname))
}

// nameLater is the rule for an account without a name: only a person with
// an e-mail address, still Pending, who gives the name on the page where
// they set their password.
func nameLater(kind Kind, status Status, email string) bool {
	return kind == KindPerson && status == StatusPending && email != ""
}

// NameLater reports whether u may be without a name for now: a Pending
// person with an e-mail address, who gives it on the set-password page.
func (u *User) NameLater() bool { return nameLater(u.Kind, u.Status, u.Email) }

// DisplayName is what to show for u: the name, or the username while the
// name is not given yet.
func (u *User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Username
}

// PersonName is a name as a person gives it for themself on the
// set-password page: the display name, required, and the optional parts.
type PersonName struct {
	Name      string
	GivenName string
	Surname   string
}

// Normalize trims every part; a missing display name is made of the
// given name and surname when those are there.
func (p *PersonName) Normalize() {
	p.Name = strings.TrimSpace(p.Name)
	p.GivenName = strings.TrimSpace(p.GivenName)
	p.Surname = strings.TrimSpace(p.Surname)
	if p.Name == "" {
		p.Name = JoinName(p.GivenName, p.Surname)
	}
}

// Validate checks a normalized PersonName: the first rule broken, as an
// *Error naming the field.
func (p *PersonName) Validate() error {
	if err := ValidateName(p.Name); err != nil {
		return err
	}
	if err := ValidateGivenName(p.GivenName); err != nil {
		return err
	}
	return ValidateSurname(p.Surname)
}
