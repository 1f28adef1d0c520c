package password

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure each rule refuses what it should, with a message naming the rule,
// and a good password passes.
func TestCheck(t *testing.T) {
	const user, email = "ada", "Ada.Lovelace@example.com"
	for _, tc := range []struct {
		name, pw, want string // want: a piece of the message, "" for no error
	}{
		{"good", "violet kettle under 7 moons", ""},
		{"exactly ten", "vK3#pq9!zW", ""},
		{"ten non-ASCII characters", "ÄÖÜßéèêëçñ", ""},
		{"max length", strings.Repeat("ab", 64), ""},
		{"empty", "", "at least 10"},
		{"nine", "vK3#pq9!z", "at least 10"},
		{"nine characters in more bytes", "ÄÖÜßéèêëç", "at least 10"},
		{"too long", strings.Repeat("ab", 64) + "c", "at most 128"},
		{"invalid UTF-8", "abcdefghij\xff", "not text"},
		{"control character", "abcdefghij\tk", "control character"},
		{"username", "ada", "at least 10"},
		{"username long", "Lovelace1815", ""},
		{"e-mail", "ada.lovelace@EXAMPLE.com", "e-mail address"},
		{"common", "password123", "most common"},
		{"common in capitals", "PassWord123!", "most common"},
		{"common keyboard walk", "1q2w3e4r5t", "most common"},
		{"digits", "1234567890", "most common"},
		{"repeated character", "zzzzzzzzzzzzzzz", "most common"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.pw, user, email)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tc.pw, err)
				}
				return
			}
			if roster.ErrorCode(err) != roster.EINVALID || roster.ErrorField(err) != "password" {
				t.Fatalf("Check(%q) = %v, want EINVALID on password", tc.pw, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check(%q) = %q, want it to say %q", tc.pw, err, tc.want)
			}
		})
	}
}

// Ensure a username long enough to pass the length rule is still refused.
func TestCheckUsername(t *testing.T) {
	err := Check("Grace.Hopper", "grace.hopper", "gh@example.com")
	if err == nil || !strings.Contains(err.Error(), "username") {
		t.Fatalf("got %v, want the username rule", err)
	}
}

// Ensure the embedded list is there and well formed: a few thousand
// lower-case entries, none shorter than the length rule lets through.
func TestCommonList(t *testing.T) {
	if n := CommonCount(); n < 2000 {
		t.Fatalf("common list holds %d passwords, want thousands", n)
	}
	for pw := range common() {
		if pw != strings.ToLower(pw) {
			t.Errorf("entry %q is not lower-case", pw)
		}
		if len([]rune(pw)) < MinLength {
			t.Errorf("entry %q is shorter than %d characters", pw, MinLength)
		}
	}
	for _, pw := range []string{"qwertyuiop", "iloveyou123", "football2024", "letmein123"} {
		if !IsCommon(pw) {
			t.Errorf("%q is not in the common list", pw)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	for b.Loop() {
		_ = Check("violet kettle under 7 moons", "ada", "ada@example.com")
	}
}
