package transfer

import (
	"strconv"
	"strings"

	"github.com/roster-dev/roster"
)

// usernameFold spells common accented letters in ASCII, so that
// "jürgen.weiß@…" becomes "juergen.weiss" rather than "jrgen.wei".
var usernameFold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'å': "a", 'ā': "a", 'ą': "a", 'ă': "a",
	'ä': "ae", 'æ': "ae",
	'ç': "c", 'ć': "c", 'č': "c",
	'ď': "d", 'đ': "d", 'ð': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ę': "e", 'ě': "e",
	'ğ': "g",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ı': "i", 'ī': "i",
	'ł': "l", 'ľ': "l",
	'ñ': "n", 'ń': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ø': "o", 'ō': "o", 'ő': "o",
	'ö': "oe", 'œ': "oe",
	'ř': "r",
	'ß': "ss", 'ś': "s", 'š': "s", 'ş': "s", 'ș': "s",
	'ť': "t", 'ț': "t", 'þ': "th",
	'ù': "u", 'ú': "u", 'û': "u", 'ů': "u", 'ű': "u", 'ū': "u",
	'ü': "ue",
	'ý': "y", 'ÿ': "y",
	'ź': "z", 'ż': "z", 'ž': "z",
}

// usernameBase makes a username from an e-mail address's local part:
// lower case, accents spelled out, a "+tag" dropped, anything else a
// username may not hold left out. It returns "user" when nothing is left.
func usernameBase(email string) string {
	local := email
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		local = email[:at]
	}
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	var b strings.Builder
	for _, c := range strings.ToLower(local) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
			b.WriteRune(c)
		default:
			b.WriteString(usernameFold[c])
		}
	}
	s := strings.Trim(b.String(), "._-")
	if len(s) > roster.MaxUsernameLen {
		s = strings.TrimRight(s[:roster.MaxUsernameLen], "._-")
	}
	if s == "" {
		return "user"
	}
	return s
}

// usernames hands out usernames no one else has.
type usernames struct {
	taken map[string]bool
	next  map[string]int // the next number to try for a base
}

func newUsernames(n int) *usernames {
	return &usernames{taken: make(map[string]bool, n), next: map[string]int{}}
}

func (u *usernames) take(name string) { u.taken[name] = true }

// unique returns base, or base with the smallest number after it that no
// one has ("ada", "ada2", "ada3"…), kept within the length limit, and
// takes it.
func (u *usernames) unique(base string) string {
	if !u.taken[base] {
		u.taken[base] = true
		return base
	}
	for i := max(u.next[base], 2); ; i++ {
		suffix := strconv.Itoa(i)
		b := base
		if len(b)+len(suffix) > roster.MaxUsernameLen {
			b = b[:roster.MaxUsernameLen-len(suffix)]
		}
		if name := b + suffix; !u.taken[name] {
			u.next[base] = i + 1
			u.taken[name] = true
			return name
		}
	}
}

// UsernameFor makes a username from an e-mail address, as an import does
// for a row without one: the local part in the username alphabet, with the
// smallest number after it that taken does not hold ("ada", "ada2"…).
func UsernameFor(email string, taken func(string) bool) string {
	base := usernameBase(email)
	if !taken(base) {
		return base
	}
	for i := 2; ; i++ {
		suffix := strconv.Itoa(i)
		b := base
		if len(b)+len(suffix) > roster.MaxUsernameLen {
			b = b[:roster.MaxUsernameLen-len(suffix)]
		}
		if name := b + suffix; !taken(name) {
			return name
		}
	}
}
