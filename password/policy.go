package password

import (
	"bufio"
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/roster-dev/roster"
)

// Length limits of a new password, in characters (not bytes).
const (
	MinLength = 10
	MaxLength = 128
)

//go:embed common.txt
var commonList string

// common is the set of the embedded common passwords, built on first use.
var common = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 16384)
	sc := bufio.NewScanner(strings.NewReader(commonList))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[line] = struct{}{}
	}
	return set
})

// CommonCount returns how many passwords the embedded common list holds.
func CommonCount() int { return len(common()) }

// Check tells whether pw may become the password of the account with the
// given username and e-mail address. It returns nil or an EINVALID
// *roster.Error on the field "password" whose message a person can act on:
//
//   - at least MinLength and at most MaxLength characters, valid UTF-8,
//     without control characters;
//   - not the username nor the e-mail address, in any letter case;
//   - not one of the embedded common passwords (in any letter case), nor
//     one character repeated.
func Check(pw, username, email string) error {
	if !utf8.ValidString(pw) {
		return invalid("The password holds bytes that are not text; type it again.")
	}
	n := utf8.RuneCountInString(pw)
	if n < MinLength {
		return invalid("Use at least %d characters (this one has %d).", MinLength, n)
	}
	if n > MaxLength {
		return invalid("Use at most %d characters (this one has %d).", MaxLength, n)
	}
	if strings.IndexFunc(pw, unicode.IsControl) >= 0 {
		return invalid("The password holds a control character (such as a tab or a line break); leave it out.")
	}
	if username != "" && strings.EqualFold(strings.TrimSpace(pw), username) {
		return invalid("The password must not be your username.")
	}
	if email != "" && strings.EqualFold(strings.TrimSpace(pw), strings.TrimSpace(email)) {
		return invalid("The password must not be your e-mail address.")
	}
	if IsCommon(pw) {
		return invalid("This password is one of the most common ones, and the first an attacker would try. Choose another.")
	}
	return nil
}

// IsCommon reports whether pw, in any letter case, is in the embedded list
// of common passwords or is one character repeated.
func IsCommon(pw string) bool {
	lower := strings.ToLower(strings.TrimSpace(pw))
	if _, ok := common()[lower]; ok {
		return true
	}
	first, size := utf8.DecodeRuneInString(lower)
	return size > 0 && strings.Trim(lower, string(first)) == ""
}

func invalid(format string, args ...any) *roster.Error {
	return roster.FieldErrorf(roster.EINVALID, "password", format, args...)
}
