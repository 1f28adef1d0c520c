package tui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// cells measures and cuts text as the terminal draws it: by code point
// (wcwidth), which is what Bubble Tea's renderer does by default, or by
// grapheme cluster once the terminal says it supports Unicode mode 2027
// (the renderer then switches too). Every cell of the app goes through it,
// so that columns line up in both.
type cells struct{ graphemes bool }

// width measures s, which may hold escape sequences.
func (k cells) width(s string) int {
	if k.graphemes {
		return ansi.StringWidth(s)
	}
	return ansi.StringWidthWc(s)
}

// safe returns s as it can be drawn in a column, and its width in cells.
// C0 control characters become their control pictures (a line feed shows
// as ␊, so "Perl␊man" says what the name holds); other controls and
// direction overrides become U+FFFD; zero-width joiners, emoji variation
// selectors and skin-tone modifiers are dropped, because terminals without
// grapheme support draw a joined emoji (👩‍💻) wider than the two cells it
// is measured as and shift the rest of the row: the parts are shown side
// by side instead, the same width in both ways of counting.
func (k cells) safe(s string) (string, int) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c < 0x20 || c == 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return s, len(s)
	}
	clean := s
	if strings.IndexFunc(s, unsafeRune) >= 0 {
		clean = strings.Map(func(r rune) rune {
			switch {
			case r == '\u200d' || r == '\ufe0f' || r == '\ufe0e' || (r >= 0x1f3fb && r <= 0x1f3ff):
				return -1
			case r < 0x20:
				return 0x2400 + r // a control picture: ␊ for a line feed
			case r == 0x7f:
				return '␡'
			case unsafeRune(r):
				return '\ufffd'
			}
			return r
		}, s)
	}
	return clean, k.width(clean)
}

func unsafeRune(r rune) bool {
	return r == '\u200d' || r == '\ufe0f' || r == '\ufe0e' || (r >= 0x1f3fb && r <= 0x1f3ff) ||
		unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// safeWidth is the width of s made safe.
func (k cells) safeWidth(s string) int {
	_, w := k.safe(s)
	return w
}

// fit pads or cuts the plain string s (of width w) to exactly n cells.
func (k cells) fit(s string, w, n int) string {
	if n <= 0 {
		return ""
	}
	if w <= n {
		return s + strings.Repeat(" ", n-w)
	}
	t, tw := k.cut(s, n-1)
	return t + "…" + strings.Repeat(" ", n-1-tw)
}

// cut returns the longest prefix of the plain string s that fits in n
// cells, and its width.
func (k cells) cut(s string, n int) (string, int) {
	w, i := 0, 0
	for i < len(s) {
		step, sw := k.next(s[i:])
		if w+sw > n {
			break
		}
		w += sw
		i += step
	}
	return s[:i], w
}

// skip returns what is left of the plain string s after its first n
// cells; a wide character cut in two becomes a space.
func (k cells) skip(s string, n int) string {
	w, i := 0, 0
	for i < len(s) && w < n {
		step, sw := k.next(s[i:])
		w += sw
		i += step
	}
	if w > n {
		return " " + s[i:]
	}
	return s[i:]
}

// next returns the length in bytes and the width of the first unit of s:
// a code point, or a grapheme cluster.
func (k cells) next(s string) (int, int) {
	if k.graphemes {
		g, w := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
		return max(1, len(g)), w
	}
	r, size := utf8.DecodeRuneInString(s)
	if r < utf8.RuneSelf {
		return 1, 1
	}
	return size, ansi.StringWidthWc(s[:size])
}

// clip makes s exactly h lines of at most w cells.
func (k cells) clip(s string, w, h int) string {
	lines := strings.SplitN(s, "\n", h+1)
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if k.width(l) > w {
			if k.graphemes {
				lines[i] = ansi.Truncate(l, w, "")
			} else {
				lines[i] = ansi.TruncateWc(l, w, "")
			}
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
