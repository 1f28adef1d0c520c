package roster

import (
	"strings"
	"testing"
)

// Ensure given names and surnames are optional and otherwise held to the
// display name's rules, with messages that name the part.
func TestValidateNameParts(t *testing.T) {
	good := []string{"", "Ada", "Augusta Ada", "King-Noël", "O'Brien", "李", "👩‍💻", strings.Repeat("x", MaxNameLen)}
	bad := []string{
		strings.Repeat("x", MaxNameLen+1), " Ada", "Ada ", "A\nB", "A\x00B",
		"A\u202eB", "Ad\u200ba", "\u3164", "\xff",
	}
	checkRule(t, "given_name", ValidateGivenName, good, bad)
	checkRule(t, "surname", ValidateSurname, good, bad)
	for in, want := range map[string]string{
		strings.Repeat("x", MaxNameLen+1): "given name is longer than 200 characters",
		"A\u202eB":                        "given name contains a text-direction control character",
		"Ad\u200ba":                       "given name contains an invisible character (U+200B, a zero-width space)",
	} {
		if err := ValidateGivenName(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateGivenName(%q) = %v, want %q", in, err, want)
		}
	}
	if err := ValidateSurname("A\nB"); err == nil || !strings.Contains(err.Error(), "surname contains a control character") {
		t.Errorf("surname with a line break: %v", err)
	}
}

// Ensure a missing display name is made of the parts, and that only a
// Pending person with an address may be without one.
func TestNameLaterAndDisplayName(t *testing.T) {
	n := NewUser{Username: "ada", Email: "ada@example.com", GivenName: " Ada ", Surname: "Lovelace"}
	n.Normalize()
	if n.Name != "Ada Lovelace" || n.GivenName != "Ada" {
		t.Errorf("normalized %+v", n)
	}
	n = NewUser{Username: "ada", Email: "ada@example.com"}
	n.Normalize()
	if err := n.Validate(); err != nil {
		t.Errorf("a person invited by e-mail without a name: %v", err)
	}
	for _, c := range []struct {
		u    User
		want bool
	}{
		{User{Kind: KindPerson, Status: StatusPending, Email: "a@b.c"}, true},
		{User{Kind: KindPerson, Status: StatusActive, Email: "a@b.c"}, false},
		{User{Kind: KindPerson, Status: StatusPending}, false},
		{User{Kind: KindService, Status: StatusPending, Email: "a@b.c"}, false},
	} {
		if got := c.u.NameLater(); got != c.want {
			t.Errorf("%+v NameLater %v, want %v", c.u, got, c.want)
		}
	}
	u := User{Username: "ada"}
	if u.DisplayName() != "ada" {
		t.Errorf("nameless user shows %q", u.DisplayName())
	}
	u.Name = "Ada Lovelace"
	if u.DisplayName() != "Ada Lovelace" {
		t.Errorf("named user shows %q", u.DisplayName())
	}
}

// Ensure the name a person gives for themself needs a display name, made
// of the parts when only those are given.
func TestPersonName(t *testing.T) {
	p := PersonName{GivenName: "Ada", Surname: " Lovelace "}
	p.Normalize()
	if p.Name != "Ada Lovelace" || p.Surname != "Lovelace" || p.Validate() != nil {
		t.Errorf("parts only: %+v %v", p, p.Validate())
	}
	for _, c := range []struct {
		p     PersonName
		field string
	}{
		{PersonName{}, "name"},
		{PersonName{Name: "\u200b"}, "name"},
		{PersonName{Name: "Ada", GivenName: "A\u202eda"}, "given_name"},
		{PersonName{Name: "Ada", Surname: strings.Repeat("x", MaxNameLen+1)}, "surname"},
	} {
		p := c.p
		p.Normalize()
		if err := p.Validate(); ErrorCode(err) != EINVALID || ErrorField(err) != c.field {
			t.Errorf("%+v: %v, want invalid %s", c.p, err, c.field)
		}
	}
}
