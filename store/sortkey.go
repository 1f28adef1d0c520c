package store

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// SortKey returns the text names and e-mail addresses sort by: lower-case,
// accents removed and a few letters spelled out, so that "Émile" sorts
// among the e's and "Øvergaard" among the o's, not after "Zola". It is not
// full collation (each language orders its letters its own way), but it
// puts every Latin name where a reader looks for it. ASCII costs nothing
// extra; other text costs a table lookup a letter.
func SortKey(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(unicode.ToLower(r))
		case r < latinEnd:
			b.WriteString(latinKeys[r])
		case r >= vietStart && r < vietEnd:
			b.WriteString(vietKeys[r-vietStart])
		case unicode.Is(unicode.Mn, r): // an accent typed apart from its letter
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Letters with accents live mostly in two blocks: Latin-1 to Greek, and
// Latin Extended Additional (Vietnamese and others).
// Their keys are worked out once, from their canonical decompositions.
const (
	latinEnd  = 0x400
	vietStart = 0x1e00
	vietEnd   = 0x1f00
)

var latinKeys, vietKeys = keyTable(0, latinEnd), keyTable(vietStart, vietEnd)

func keyTable(from, to rune) []string {
	t := make([]string, to-from)
	for r := from; r < to; r++ {
		var b strings.Builder
		for _, c := range norm.NFD.String(string(r)) {
			if unicode.Is(unicode.Mn, c) {
				continue
			}
			c = unicode.ToLower(c)
			if spelled, ok := spelledOut[c]; ok {
				b.WriteString(spelled)
			} else {
				b.WriteRune(c)
			}
		}
		t[r-from] = b.String()
	}
	return t
}

// spelledOut holds Latin letters that carry no separable accent.
var spelledOut = map[rune]string{
	'ø': "o", 'ł': "l", 'đ': "d", 'ħ': "h", 'ı': "i", 'ŧ': "t",
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'þ': "th", 'ð': "d",
}
