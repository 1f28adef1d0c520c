package roster

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on field lengths, in characters (runes) unless said otherwise.
const (
	MaxUsernameLen    = 64
	MaxNameLen        = 200
	MaxEmailLen       = 254 // bytes, as RFC 5321 counts
	MaxEmailLocalLen  = 64  // bytes
	MaxGroupNameLen   = 64
	MaxDescriptionLen = 500
)

// NormalizeUsername trims and lower-cases a username.
func NormalizeUsername(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// NormalizeEmail returns the key an e-mail address is unique by: trimmed and
// lower-cased.
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// NormalizeGroupName returns the key a group name is unique by.
func NormalizeGroupName(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// ValidateUsername checks a normalized username: 1–64 characters of
// lower-case letters, digits, '.', '_' and '-', starting with a letter or digit.
func ValidateUsername(s string) error {
	if s == "" {
		return FieldErrorf(EINVALID, "username", "username is required")
	}
	if len(s) > MaxUsernameLen {
		return FieldErrorf(EINVALID, "username", "username is longer than %d characters", MaxUsernameLen)
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z':
			return FieldErrorf(EINVALID, "username", "username must be lower-case")
		case (c == '.' || c == '_' || c == '-') && i > 0:
		case c == '.' || c == '_' || c == '-':
			return FieldErrorf(EINVALID, "username", "username must start with a letter or digit")
		default:
			return FieldErrorf(EINVALID, "username", "username may hold only a–z, 0–9, '.', '_' and '-' (found %s)", quoteRune(c))
		}
	}
	return nil
}

// ValidateName checks a trimmed display name: required, at most 200
// characters, valid UTF-8, no control or bidirectional-override characters.
func ValidateName(s string) error {
	if strings.TrimSpace(s) == "" {
		return FieldErrorf(EINVALID, "name", "name is required")
	}
	if err := checkText("name", s, MaxNameLen); err != nil {
		return err
	}
	if s != strings.TrimSpace(s) {
		return FieldErrorf(EINVALID, "name", "name has leading or trailing spaces")
	}
	// A name of only invisible characters (a zero-width space) is blank.
	if strings.IndexFunc(s, func(c rune) bool { return unicode.IsGraphic(c) && !unicode.IsSpace(c) }) < 0 {
		return FieldErrorf(EINVALID, "name", "name is required")
	}
	return nil
}

// ValidateEmail checks a bare e-mail address: no display name, no control
// characters, at most 254 bytes, a local part and a domain with a dot.
func ValidateEmail(s string) error {
	if strings.TrimSpace(s) == "" {
		return FieldErrorf(EINVALID, "email", "e-mail is required")
	}
	if !utf8.ValidString(s) {
		return FieldErrorf(EINVALID, "email", "e-mail is not valid UTF-8")
	}
	// "Ada <ada@example.com>" is refused for its brackets, not its space.
	if strings.ContainsAny(s, "<>\"") {
		return FieldErrorf(EINVALID, "email", "give the bare address, without a name or angle brackets")
	}
	for _, c := range s {
		if unicode.IsControl(c) || isBidiControl(c) {
			return FieldErrorf(EINVALID, "email", "e-mail contains a control character")
		}
		// Invisible format characters (zero-width space, soft hyphen…)
		// would let two addresses look the same and both be "unique".
		if unicode.Is(unicode.Cf, c) {
			return FieldErrorf(EINVALID, "email", "e-mail contains an invisible character (%s)", quoteRune(c))
		}
		if unicode.IsSpace(c) {
			return FieldErrorf(EINVALID, "email", "e-mail contains a space")
		}
	}
	if len(s) > MaxEmailLen {
		return FieldErrorf(EINVALID, "email", "e-mail is longer than %d characters", MaxEmailLen)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return FieldErrorf(EINVALID, "email", "e-mail needs an @")
	}
	local, domain := s[:at], s[at+1:]
	if err := checkLocalPart(local); err != nil {
		return err
	}
	return checkDomain(domain)
}

func checkLocalPart(local string) error {
	if local == "" {
		return FieldErrorf(EINVALID, "email", "e-mail needs a name before the @")
	}
	if len(local) > MaxEmailLocalLen {
		return FieldErrorf(EINVALID, "email", "the part before the @ is longer than %d characters", MaxEmailLocalLen)
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return FieldErrorf(EINVALID, "email", "dots before the @ may not lead, trail or repeat")
	}
	for _, c := range local {
		if c < 0x80 && !isAtext(byte(c)) && c != '.' {
			return FieldErrorf(EINVALID, "email", "e-mail may not contain %s before the @", quoteRune(c))
		}
	}
	return nil
}

func checkDomain(domain string) error {
	if domain == "" {
		return FieldErrorf(EINVALID, "email", "e-mail needs a domain after the @")
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return FieldErrorf(EINVALID, "email", "the domain needs a dot (as in example.com)")
	}
	for _, l := range labels {
		if l == "" {
			return FieldErrorf(EINVALID, "email", "the domain has an empty part")
		}
		if len(l) > 63 {
			return FieldErrorf(EINVALID, "email", "a part of the domain is longer than 63 characters")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return FieldErrorf(EINVALID, "email", "a part of the domain starts or ends with '-'")
		}
		for _, c := range l {
			if c != '-' && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
				return FieldErrorf(EINVALID, "email", "the domain may not contain %s", quoteRune(c))
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return FieldErrorf(EINVALID, "email", "the domain must end in a name, not a number")
	}
	return nil
}

// ValidateGroupName checks a group name: 1–64 characters of letters, digits,
// spaces, '.', '_' and '-', starting with a letter or digit.
func ValidateGroupName(s string) error {
	t := strings.TrimSpace(s)
	if t == "" {
		return FieldErrorf(EINVALID, "group", "group name is required")
	}
	if t != s {
		return FieldErrorf(EINVALID, "group", "group name has leading or trailing spaces")
	}
	if utf8.RuneCountInString(s) > MaxGroupNameLen {
		return FieldErrorf(EINVALID, "group", "group name is longer than %d characters", MaxGroupNameLen)
	}
	for i, c := range s {
		switch {
		case isInvisible(c):
			return FieldErrorf(EINVALID, "group", "group name contains an invisible character (%s); type it without", runeName(c))
		case unicode.IsLetter(c), unicode.IsDigit(c):
		case i > 0 && (c == ' ' || c == '.' || c == '_' || c == '-'):
		case i == 0:
			return FieldErrorf(EINVALID, "group", "group name must start with a letter or digit")
		default:
			return FieldErrorf(EINVALID, "group", "group name may not contain %s", quoteRune(c))
		}
	}
	return nil
}

// ValidateDescription checks a group description: at most 500 characters,
// no control characters. It may be empty.
func ValidateDescription(s string) error {
	if s == "" {
		return nil
	}
	return checkText("description", s, MaxDescriptionLen)
}

// checkText refuses invalid UTF-8, control characters (CR and LF among them),
// bidirectional overrides and text over max characters.
func checkText(field, s string, max int) error { return checkLabeled(field, field, s, max) }

// checkLabeled is checkText with the field named in messages by label.
func checkLabeled(field, label, s string, max int) error {
	if !utf8.ValidString(s) {
		return FieldErrorf(EINVALID, field, "%s is not valid UTF-8", label)
	}
	runes := []rune(s)
	n := len(runes)
	for i, c := range runes {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			return FieldErrorf(EINVALID, field, "%s contains a control character (line breaks are not allowed)", label)
		}
		if c == '\u200d' && i > 0 && i+1 < n && isEmojiPart(runes[i-1]) && isEmojiPart(runes[i+1]) {
			continue // joins an emoji sequence (👩‍💻): visible
		}
		if isBidiControl(c) {
			return FieldErrorf(EINVALID, field, "%s contains a text-direction control character (%s), which can make it display as something it is not", label, runeName(c))
		}
		// Invisible characters would let two names look the same
		// (a look-alike account "ada" beside "a\u200bda").
		if isInvisible(c) {
			return FieldErrorf(EINVALID, field, "%s contains an invisible character (%s); type it without", label, runeName(c))
		}
	}
	if n > max {
		return FieldErrorf(EINVALID, field, "%s is longer than %d characters", label, max)
	}
	return nil
}

// isBidiControl reports the explicit direction embeddings, overrides and
// isolates, which can make a name display as something it is not.
func isBidiControl(c rune) bool {
	return (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069') || c == '\u200e' || c == '\u200f'
}

// isInvisible reports format characters (zero-width spaces and joiners,
// soft hyphens, byte-order marks…) and the blank letters that render as
// nothing.
func isInvisible(c rune) bool {
	switch c {
	case '\u115f', '\u1160', '\u3164', '\uffa0', '\u2800', '\u180e':
		return true
	}
	return unicode.Is(unicode.Cf, c)
}

// isEmojiPart reports symbols and the variation selector that emoji
// sequences join.
func isEmojiPart(c rune) bool { return unicode.Is(unicode.So, c) || c == '\ufe0f' }

// runeNames names the invisible characters a refusal meets most.
var runeNames = map[rune]string{
	'\u200b': "zero-width space", '\u200c': "zero-width non-joiner", '\u200d': "zero-width joiner",
	'\u2060': "word joiner", '\ufeff': "zero-width no-break space", '\u00ad': "soft hyphen",
	'\u202e': "right-to-left override", '\u202d': "left-to-right override", '\u200f': "right-to-left mark",
	'\u200e': "left-to-right mark", '\u2067': "right-to-left isolate", '\u3164': "Hangul filler",
}

// runeName gives a character's code point, and its name when known.
func runeName(c rune) string {
	if n, ok := runeNames[c]; ok {
		return fmt.Sprintf("U+%04X, a %s", c, n)
	}
	return fmt.Sprintf("U+%04X", c)
}

// isAtext reports the ASCII characters RFC 5322 allows in a dot-atom.
func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func quoteRune(c rune) string {
	if c == ' ' {
		return "a space"
	}
	if unicode.IsPrint(c) {
		return "'" + string(c) + "'"
	}
	return fmt.Sprintf("U+%04X", c)
}
