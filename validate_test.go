package roster

import (
	"fmt"
	"strings"
	"testing"
)

// checkRule runs a validator over good and bad inputs; every refusal must
// be an EINVALID *Error naming field.
func checkRule(t *testing.T, field string, validate func(string) error, good, bad []string) {
	t.Helper()
	for _, s := range good {
		if err := validate(s); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
	for _, s := range bad {
		err := validate(s)
		if err == nil {
			t.Errorf("%q accepted", s)
			continue
		}
		if ErrorCode(err) != EINVALID || ErrorField(err) != field {
			t.Errorf("%q: code %q field %q (%v), want invalid %q", s, ErrorCode(err), ErrorField(err), err, field)
		}
	}
}

func TestValidateUsername(t *testing.T) {
	good := []string{
		"a", "ada", "ada.lovelace", "ada_l", "ada-l", "0day", "a1.b2_c3-d4", "ada.", "a--b",
		strings.Repeat("x", MaxUsernameLen),
	}
	bad := []string{
		"",                                    // required
		strings.Repeat("x", MaxUsernameLen+1), // too long
		"Ada",                                 // must be lower-case (normalize first)
		".ada", "_ada", "-ada",                // must start with a letter or digit
		"ada lovelace", "ada@example", "ada/b", "ada+1", "ada\n", "ada\r\nx", "ada\x00",
		"émile", "олег", "ada\u200b", "ａｄａ", // only ASCII letters
	}
	checkRule(t, "username", ValidateUsername, good, bad)
}

// Ensure the messages say what to fix.
func TestValidateUsernameMessages(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "required",
		"Ada":                   "lower-case",
		".a":                    "start with a letter or digit",
		"a b":                   "a space",
		"a\tb":                  "U+0009",
		strings.Repeat("a", 65): "longer than 64",
	} {
		if err := ValidateUsername(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateUsername(%q) = %v, want a message with %q", in, err, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	if got := NormalizeUsername("  Ada.Lovelace \t"); got != "ada.lovelace" {
		t.Errorf("NormalizeUsername = %q", got)
	}
	if got := NormalizeEmail(" Ada@Example.COM "); got != "ada@example.com" {
		t.Errorf("NormalizeEmail = %q", got)
	}
	if got := NormalizeGroupName(" Staff "); got != "staff" {
		t.Errorf("NormalizeGroupName = %q", got)
	}
}

func TestValidateEmail(t *testing.T) {
	local64 := strings.Repeat("a", MaxEmailLocalLen)
	label63 := strings.Repeat("b", 63)
	// 64 + 1 + 63 + 1 + 63 + 1 + 61 = 254 bytes exactly.
	longest := local64 + "@" + label63 + "." + label63 + "." + strings.Repeat("c", 61)
	if len(longest) != MaxEmailLen {
		t.Fatalf("test address is %d bytes", len(longest))
	}
	good := []string{
		"ada@example.com", "Ada.Lovelace@Example.COM", "a+tag@mail.example.co.uk", "o'brien@example.ie",
		"x_y-z@sub-domain.example", "user!#$%&*/=?^`{|}~@example.com", "1@example.com",
		"jörg@bücher.de", "用户@例子.广告", "ada@xn--bcher-kva.example", "a@b.c1",
		local64 + "@example.com", longest,
	}
	bad := []string{
		"", "   ",
		"ada", "ada.example.com", // no @
		"@example.com",                                             // no local part
		"ada@",                                                     // no domain
		"ada@localhost",                                            // no dot in the domain
		"ada@example..com", "ada@.example.com", "ada@example.com.", // empty domain label
		"ada@-example.com", "ada@example-.com", // hyphen at a label's edge
		"ada@example.123", "ada@10.0.0.1", // numeric top-level domain
		"ada@[10.0.0.1]", "ada@exa_mple.com", "ada@exam!ple.com",
		".ada@example.com", "ada.@example.com", "a..da@example.com", // dots in the local part
		"Ada <ada@example.com>", "<ada@example.com>", "\"ada\"@example.com", // display names, quotes
		"ada lovelace@example.com", "ada@example.com ", " ada@example.com", "ada@exam ple.com", // spaces
		"ada@example.com\r\nBcc: eve@example.com", "ada@example.com\n", "ada\r@example.com", // header injection
		"ada\x00@example.com", "ada\x7f@example.com", "ada\u0085@example.com", // control characters
		"ada\u202e@example.com", "ada@exa\u2066mple.com", // direction controls
		"ada\u00a0@example.com", "ada\u2028@example.com", // Unicode spaces
		"ada\u200b@example.com", "a\u00adda@example.com", "\ufeffada@example.com", "ada\u2060@example.com", // invisible format characters
		"ada(comment)@example.com", "ada,b@example.com", "ada;b@example.com", "a@b@example.com",
		"ada\xff@example.com",                       // invalid UTF-8
		local64 + "a@example.com",                   // local part over 64 bytes
		"a@" + strings.Repeat("b", 64) + ".com",     // label over 63 bytes
		longest + "c",                               // over 254 bytes
		strings.Repeat("a", 1<<20) + "@example.com", // huge
	}
	checkRule(t, "email", ValidateEmail, good, bad)
}

func TestValidateName(t *testing.T) {
	good := []string{
		"Ada Lovelace", "A", "O'Brien-Smith, Jr.", "Zoë Ñúñez", "Олег Смирнов", "محمد الحسن", "דוד כהן",
		"प्रिया शर्मा", "佐藤 健太", "김 지훈", "สมชาย", "Nguyễn Trần", "👩‍💻 Dev", "🇳🇴 Søren",
		"e\u0301mile",                   // combining accent
		strings.Repeat("é", MaxNameLen), // 200 characters, 400 bytes
		strings.Repeat("👩‍💻", MaxNameLen/3),
	}
	bad := []string{
		"", " ", "\t", "\u200b", "\u200d\u200c", "\u3000", // required: nothing visible
		" Ada", "Ada ", // untrimmed
		"Ada\r\nBcc: eve", "Ada\nLovelace", "Ada\rLovelace", "Ada\tLovelace", // line breaks and tabs
		"Ada\x00", "Ada\x1b[31m", "Ada\x7f", "Ada\u0085", // control characters
		"Ada\u2028Lovelace", "Ada\u2029", // Unicode line and paragraph separators
		"Ada\u202eecalevoL", "\u2066Ada\u2069", "Ada\u200f", // direction controls
		"Ada\xff", "\xc3", // invalid UTF-8
		strings.Repeat("é", MaxNameLen+1), // 201 characters
		strings.Repeat("x", 1<<20),        // huge
	}
	checkRule(t, "name", ValidateName, good, bad)
}

func TestValidateGroupName(t *testing.T) {
	good := []string{
		"staff", "Staff", "the team", "ops.eu-west_1", "9lives", "Équipe", "営業", "команда",
		strings.Repeat("g", MaxGroupNameLen), strings.Repeat("й", MaxGroupNameLen),
	}
	bad := []string{
		"", "  ", " staff", "staff ", // required, untrimmed
		"-staff", ".staff", "_staff", // must start with a letter or digit
		"staff/eu", "staff,eu", "staff@eu", "staff\neu", "staff\teu", "staff\u202e", "staff🙂",
		strings.Repeat("g", MaxGroupNameLen+1), strings.Repeat("й", MaxGroupNameLen+1),
	}
	checkRule(t, "group", ValidateGroupName, good, bad)
}

func TestValidateDescription(t *testing.T) {
	good := []string{"", "Anyone in the office", "Ünïcödé ✓", strings.Repeat("d", MaxDescriptionLen)}
	bad := []string{"line\nbreak", "bell\a", "\u202e", strings.Repeat("d", MaxDescriptionLen+1), "\xff"}
	checkRule(t, "description", ValidateDescription, good, bad)
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]Status{
		"pending": StatusPending, "Active": StatusActive, " DISABLED ": StatusDisabled,
	} {
		if got, err := ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "enabled", "activ", "0"} {
		_, err := ParseStatus(in)
		if ErrorCode(err) != EINVALID || ErrorField(err) != "status" {
			t.Errorf("ParseStatus(%q) = %v, want invalid status", in, err)
		}
	}
	for _, s := range Statuses {
		if got, _ := ParseStatus(s.String()); got != s {
			t.Errorf("round trip of %v gave %v", s, got)
		}
	}
	if StatusPending.Title() != "Pending" || StatusDisabled.Title() != "Disabled" {
		t.Errorf("titles: %q %q", StatusPending.Title(), StatusDisabled.Title())
	}
	if got := Status(9).String(); got != "status(9)" {
		t.Errorf("unknown status prints %q", got)
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{
		"": RoleMember, "member": RoleMember, "Admin": RoleAdmin, " OWNER ": RoleOwner,
	} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"root", "administrator", "guest"} {
		_, err := ParseRole(in)
		if ErrorCode(err) != EINVALID || ErrorField(err) != "role" {
			t.Errorf("ParseRole(%q) = %v, want invalid role", in, err)
		}
	}
	if !(RoleMember < RoleAdmin && RoleAdmin < RoleOwner) {
		t.Error("roles must order by power")
	}
	if got := Role(0).String(); got != "role(0)" {
		t.Errorf("zero role prints %q", got)
	}
}

func TestParseUserSort(t *testing.T) {
	for _, s := range UserSorts {
		if got, err := ParseUserSort(s.String()); err != nil || got != s {
			t.Errorf("round trip of %v: %v, %v", s, got, err)
		}
	}
	if got, err := ParseUserSort(""); err != nil || got != SortName {
		t.Errorf("default sort = %v, %v; want name", got, err)
	}
	if got, _ := ParseUserSort("EMAIL"); got != SortEmail {
		t.Errorf("ParseUserSort(EMAIL) = %v", got)
	}
	_, err := ParseUserSort("age")
	if ErrorCode(err) != EINVALID || ErrorField(err) != "sort" {
		t.Errorf("ParseUserSort(age) = %v", err)
	}
}

func ExampleValidateEmail() {
	for _, s := range []string{"ada@example.com", "Ada <ada@example.com>", "ada@localhost", "ada@example.com\r\nBcc: eve@example.com"} {
		if err := ValidateEmail(s); err != nil {
			fmt.Printf("%q: %v\n", s, err)
		} else {
			fmt.Printf("%q: ok\n", s)
		}
	}
	// Output:
	// "ada@example.com": ok
	// "Ada <ada@example.com>": email: give the bare address, without a name or angle brackets
	// "ada@localhost": email: the domain needs a dot (as in example.com)
	// "ada@example.com\r\nBcc: eve@example.com": email: e-mail contains a control character
}

// Ensure names refuse invisible and text-direction characters with a
// reason naming the character (issue 13, break 11: "a\u200bda" stood beside
// "ada" as a look-alike account), and keep emoji sequences.
func TestNamesRefuseInvisibleCharacters(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"A\u200bda Lovelace", "invisible character (U+200B, a zero-width space)"},
		{"Ada\u2060 Lovelace", "invisible character (U+2060, a word joiner)"},
		{"\ufeffAda", "invisible character (U+FEFF"},
		{"Ad\u00ada", "invisible character (U+00AD, a soft hyphen)"},
		{"Ada \u3164", "invisible character (U+3164, a Hangul filler)"},
		{"Ada\u200dLovelace", "invisible character (U+200D, a zero-width joiner)"},
		{"Ada \u202eecalevoL", "text-direction control character (U+202E, a right-to-left override)"},
		{"Ada \u2067x", "text-direction control character (U+2067"},
	} {
		err := ValidateName(c.name)
		if ErrorCode(err) != EINVALID || ErrorField(err) != "name" || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.name, err, c.want)
		}
		if err := ValidateGroupName(c.name); ErrorCode(err) != EINVALID {
			t.Errorf("group %q: %v", c.name, err)
		}
	}
	for _, ok := range []string{"👩\u200d💻 Dev", "❤\ufe0f\u200d🔥 Team", "Zoë Ångström", "محمد"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}
