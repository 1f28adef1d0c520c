package roster

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// seeds are inputs every validator fuzz test starts from.
var seeds = []string{
	"", " ", "ada", "Ada Lovelace", "ada@example.com", "a.b-c_d", "staff", "Équipe 1",
	"ada@example.com\r\nBcc: eve@example.com", "Ada <ada@example.com>", "\"a b\"@example.com",
	"jörg@bücher.de", "a@b.c1", "a@10.0.0.1", "ada\u202e@example.com", "名前", "👩‍💻", "\xff\xfe",
	"a@b@c.d", ".a@b.cd", "a..b@c.de", "a@-b.cd", strings.Repeat("a", 65) + "@example.com",
}

// refusedAs fails unless err is nil or an EINVALID *Error about field.
func refusedAs(t *testing.T, in string, err error, field string) bool {
	t.Helper()
	if err == nil {
		return false
	}
	if ErrorCode(err) != EINVALID || ErrorField(err) != field {
		t.Fatalf("%q: refused with code %q field %q: %v", in, ErrorCode(err), ErrorField(err), err)
	}
	return true
}

// noControl reports whether s is valid UTF-8 without control, line-break or
// direction characters.
func noControl(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' || isBidiControl(c) {
			return false
		}
	}
	return true
}

func FuzzValidateUsername(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if refusedAs(t, s, ValidateUsername(s), "username") {
			return
		}
		if len(s) < 1 || len(s) > MaxUsernameLen {
			t.Fatalf("accepted %q of %d bytes", s, len(s))
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (i > 0 && (c == '.' || c == '_' || c == '-'))
			if !ok {
				t.Fatalf("accepted %q with %q at %d", s, c, i)
			}
		}
		if NormalizeUsername(s) != s {
			t.Fatalf("accepted %q, which normalizes to something else", s)
		}
	})
}

func FuzzValidateEmail(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if refusedAs(t, s, ValidateEmail(s), "email") {
			return
		}
		if len(s) > MaxEmailLen {
			t.Fatalf("accepted %d bytes", len(s))
		}
		if !noControl(s) {
			t.Fatalf("accepted %q with a control character or bad UTF-8", s)
		}
		if strings.IndexFunc(s, func(c rune) bool { return unicode.Is(unicode.Cf, c) }) >= 0 {
			t.Fatalf("accepted %q with an invisible character", s)
		}
		if strings.IndexFunc(s, unicode.IsSpace) >= 0 || strings.ContainsAny(s, "<>\"(),;:[]\\") {
			t.Fatalf("accepted %q with a space or a special character", s)
		}
		if strings.Count(s, "@") != 1 {
			t.Fatalf("accepted %q without exactly one @", s)
		}
		local, domain, _ := strings.Cut(s, "@")
		if local == "" || len(local) > MaxEmailLocalLen || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
			t.Fatalf("accepted %q with a bad local part", s)
		}
		labels := strings.Split(domain, ".")
		if len(labels) < 2 {
			t.Fatalf("accepted %q without a dot in the domain", s)
		}
		for _, l := range labels {
			if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
				t.Fatalf("accepted %q with domain label %q", s, l)
			}
		}
		if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
			t.Fatalf("accepted %q with a numeric top-level domain", s)
		}
		// An accepted ASCII address is accepted in upper case too, with
		// the same uniqueness key.
		if isASCII(s) {
			up := strings.ToUpper(s)
			if err := ValidateEmail(up); err != nil || NormalizeEmail(up) != NormalizeEmail(s) {
				t.Fatalf("%q accepted but %q: %v", s, up, err)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func FuzzValidateName(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if refusedAs(t, s, ValidateName(s), "name") {
			return
		}
		if strings.ContainsAny(s, "\r\n") {
			t.Fatalf("accepted %q with a line break", s)
		}
		if !noControl(s) {
			t.Fatalf("accepted %q with a control character or bad UTF-8", s)
		}
		if s == "" || strings.TrimSpace(s) != s {
			t.Fatalf("accepted %q, empty or untrimmed", s)
		}
		if strings.IndexFunc(s, func(c rune) bool { return unicode.IsGraphic(c) && !unicode.IsSpace(c) }) < 0 {
			t.Fatalf("accepted %q with nothing visible", s)
		}
		if n := utf8.RuneCountInString(s); n > MaxNameLen {
			t.Fatalf("accepted %d characters", n)
		}
	})
}

func FuzzValidateGroupName(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if refusedAs(t, s, ValidateGroupName(s), "group") {
			return
		}
		if !noControl(s) || strings.TrimSpace(s) != s || s == "" {
			t.Fatalf("accepted %q", s)
		}
		if n := utf8.RuneCountInString(s); n > MaxGroupNameLen {
			t.Fatalf("accepted %d characters", n)
		}
		first, _ := utf8.DecodeRuneInString(s)
		if !unicode.IsLetter(first) && !unicode.IsDigit(first) {
			t.Fatalf("accepted %q starting with %q", s, first)
		}
		for _, c := range s {
			if !unicode.IsLetter(c) && !unicode.IsDigit(c) && !strings.ContainsRune(" ._-", c) {
				t.Fatalf("accepted %q with %q", s, c)
			}
		}
	})
}
