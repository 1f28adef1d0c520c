package ldap

import (
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A filter is a parsed search filter. Requests carry it in BER
// (decodeFilter); the string form of RFC 4515 (parseFilter) gives the same
// tree, for tests and tools. It is evaluated with LDAP's three-valued
// logic.
type filter struct {
	op       filterOp
	children []*filter // and, or, not
	attr     string    // canonical lower-case attribute name ("" in an extensible match without a type)
	value    string    // unescaped assertion value
	initial  string    // substrings
	any      []string
	final    string
	rule     string // extensible match: the matching rule, lower-case ("" for the attribute's equality)
	dnAttrs  bool   // extensible match: the entry's DN attributes count too (":dn")
}

type filterOp uint8

const (
	opAnd filterOp = iota + 1
	opOr
	opNot
	opEqual
	opGreaterOrEqual
	opLessOrEqual
	opApprox
	opPresent
	opSubstring
	opExtensible
	opUndefined // an item the directory cannot evaluate (a binary value)
)

// Limits that keep a hostile filter cheap to parse and evaluate.
const (
	maxFilterLen   = 16 << 10
	maxFilterDepth = 32
)

var errBadFilter = errors.New("invalid filter")

// parseFilter reads an RFC 4515 filter string. It never panics; anything it
// does not understand is an error.
func parseFilter(s string) (*filter, error) {
	if len(s) > maxFilterLen {
		return nil, errBadFilter
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errBadFilter
	}
	if s[0] != '(' {
		s = "(" + s + ")" // some clients omit the outer parentheses
	}
	p := filterParser{s: s}
	f, err := p.filter(0)
	if err != nil {
		return nil, err
	}
	if p.i != len(s) {
		return nil, errBadFilter
	}
	return f, nil
}

type filterParser struct {
	s string
	i int
}

func (p *filterParser) filter(depth int) (*filter, error) {
	if depth > maxFilterDepth {
		return nil, errBadFilter
	}
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return nil, errBadFilter
	}
	p.i++
	if p.i >= len(p.s) {
		return nil, errBadFilter
	}
	var f *filter
	switch p.s[p.i] {
	case '&', '|':
		op := opAnd
		if p.s[p.i] == '|' {
			op = opOr
		}
		p.i++
		f = &filter{op: op}
		// RFC 4526 allows the empty "(&)" (true) and "(|)" (false).
		for p.i < len(p.s) && p.s[p.i] == '(' {
			c, err := p.filter(depth + 1)
			if err != nil {
				return nil, err
			}
			f.children = append(f.children, c)
		}
	case '!':
		p.i++
		c, err := p.filter(depth + 1)
		if err != nil {
			return nil, err
		}
		f = &filter{op: opNot, children: []*filter{c}}
	default:
		var err error
		if f, err = p.item(); err != nil {
			return nil, err
		}
	}
	if p.i >= len(p.s) || p.s[p.i] != ')' {
		return nil, errBadFilter
	}
	p.i++
	return f, nil
}

// item reads "attr=value", "attr>=value", "attr<=value", "attr~=value",
// "attr=*", substrings, or an extensible match, up to the closing ')'.
func (p *filterParser) item() (*filter, error) {
	end := strings.IndexByte(p.s[p.i:], ')')
	if end < 0 {
		return nil, errBadFilter
	}
	item := p.s[p.i : p.i+end]
	p.i += end
	eq := strings.IndexByte(item, '=')
	if eq <= 0 {
		return nil, errBadFilter
	}
	lhs, raw := item[:eq], item[eq+1:]
	f := &filter{}
	switch lhs[len(lhs)-1] {
	case '>':
		f.op, lhs = opGreaterOrEqual, lhs[:len(lhs)-1]
	case '<':
		f.op, lhs = opLessOrEqual, lhs[:len(lhs)-1]
	case '~':
		f.op, lhs = opApprox, lhs[:len(lhs)-1]
	case ':':
		return parseExtensible(lhs[:len(lhs)-1], raw)
	default:
		f.op = opEqual
	}
	name := stripOptions(lhs)
	if !validAttrType(name) || len(name) != len(lhs) && !validOptions(lhs[len(name):]) {
		return nil, errBadFilter
	}
	f.attr = canonicalType(strings.ToLower(name))
	if f.op == opEqual && strings.IndexByte(raw, '*') >= 0 {
		if raw == "*" {
			f.op = opPresent
			return f, nil
		}
		f.op = opSubstring
		parts := strings.Split(raw, "*")
		var err error
		if f.initial, err = unescapeFilterValue(parts[0]); err != nil {
			return nil, err
		}
		if f.final, err = unescapeFilterValue(parts[len(parts)-1]); err != nil {
			return nil, err
		}
		for _, mid := range parts[1 : len(parts)-1] {
			if mid == "" {
				continue // "a**b" is "a*b"
			}
			v, err := unescapeFilterValue(mid)
			if err != nil {
				return nil, err
			}
			f.any = append(f.any, v)
		}
		return f, nil
	}
	v, err := unescapeFilterValue(raw)
	if err != nil {
		return nil, err
	}
	f.value = v
	return f, nil
}

// stripOptions drops attribute options ("cn;lang-en" → "cn").
func stripOptions(s string) string {
	if i := strings.IndexByte(s, ';'); i >= 0 {
		return s[:i]
	}
	return s
}

func validOptions(s string) bool {
	for _, o := range strings.Split(s, ";")[1:] {
		if o == "" {
			return false
		}
		for i := 0; i < len(o); i++ {
			if !isTypeChar(o[i]) || o[i] == '.' {
				return false
			}
		}
	}
	return true
}

// unescapeFilterValue undoes RFC 4515's \HH escapes; an unescaped '(', ')',
// '*' or NUL, or a result that is not UTF-8, is an error.
func unescapeFilterValue(s string) (string, error) {
	if strings.IndexByte(s, '\\') < 0 {
		if strings.ContainsAny(s, "()*\x00") || !utf8.ValidString(s) {
			return "", errBadFilter
		}
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", errBadFilter
			}
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case '(', ')', '*', 0:
			return "", errBadFilter
		default:
			b = append(b, c)
		}
	}
	// Binary assertion values cannot match our text attributes; refusing
	// them keeps comparisons on valid text only.
	if !utf8.Valid(b) {
		return "", errBadFilter
	}
	return string(b), nil
}

// tri is LDAP's three-valued truth: a filter on something unknown is
// Undefined, and the negation of Undefined is still Undefined.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUndefined
)

// attrSource gives an entry's values of an attribute (canonical lower-case
// name); nil for an attribute the entry does not have.
type attrSource interface {
	values(attr string) []string
}

// match evaluates f on e. Only triTrue selects an entry.
func (f *filter) match(e attrSource) tri {
	switch f.op {
	case opAnd:
		r := triTrue
		for _, c := range f.children {
			switch c.match(e) {
			case triFalse:
				return triFalse
			case triUndefined:
				r = triUndefined
			}
		}
		return r
	case opOr:
		r := triFalse
		for _, c := range f.children {
			switch c.match(e) {
			case triTrue:
				return triTrue
			case triUndefined:
				r = triUndefined
			}
		}
		return r
	case opNot:
		switch f.children[0].match(e) {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		}
		return triUndefined
	case opExtensible:
		return f.matchExtensible(e)
	case opUndefined:
		return triUndefined
	}
	spec, known := schemaAttrs[f.attr]
	if !known {
		return triUndefined
	}
	vals := e.values(f.attr)
	if f.op == opPresent {
		if f.attr == "objectclass" || len(vals) > 0 {
			return triTrue
		}
		return triFalse
	}
	// Prepare the assertion once; an assertion the syntax cannot hold is
	// Undefined (RFC 4511 section 4.5.1.7).
	switch spec.syntax {
	case syntaxDN:
		if f.op == opSubstring || f.op == opGreaterOrEqual || f.op == opLessOrEqual {
			return triUndefined
		}
		want, err := NormDN(f.value)
		if err != nil {
			return triUndefined
		}
		for _, v := range vals {
			if got, err := NormDN(v); err == nil && got == want {
				return triTrue
			}
		}
		return triFalse
	case syntaxTime:
		if f.op == opSubstring {
			return triUndefined
		}
		want, err := parseGeneralizedTime(f.value)
		if err != nil {
			return triUndefined
		}
		for _, v := range vals {
			got, err := parseGeneralizedTime(v)
			if err != nil {
				continue
			}
			switch f.op {
			case opEqual, opApprox:
				if got.Equal(want) {
					return triTrue
				}
			case opGreaterOrEqual:
				if !got.Before(want) {
					return triTrue
				}
			case opLessOrEqual:
				if !got.After(want) {
					return triTrue
				}
			}
		}
		return triFalse
	case syntaxInteger:
		return matchInteger(f, vals)
	}
	switch f.op {
	case opEqual:
		want := fold(f.value)
		for _, v := range vals {
			if fold(v) == want {
				return triTrue
			}
		}
	case opApprox:
		want := approx(f.value)
		for _, v := range vals {
			if approx(v) == want {
				return triTrue
			}
		}
	case opGreaterOrEqual, opLessOrEqual:
		want := fold(f.value)
		for _, v := range vals {
			c := strings.Compare(fold(v), want)
			if f.op == opGreaterOrEqual && c >= 0 || f.op == opLessOrEqual && c <= 0 {
				return triTrue
			}
		}
	case opSubstring:
		for _, v := range vals {
			if f.matchSubstrings(fold(v)) {
				return triTrue
			}
		}
	}
	return triFalse
}

func (f *filter) matchSubstrings(v string) bool {
	initial, final := fold(f.initial), fold(f.final)
	if !strings.HasPrefix(v, initial) {
		return false
	}
	v = v[len(initial):]
	for _, a := range f.any {
		a = fold(a)
		i := strings.Index(v, a)
		if i < 0 {
			return false
		}
		v = v[i+len(a):]
	}
	return strings.HasSuffix(v, final)
}

// fold prepares a value for caseIgnoreMatch: lower-case, leading and
// trailing spaces dropped, inner runs of spaces made one (RFC 4518, in
// short). Every comparison and every index key goes through it, so index
// lookups and scans agree.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' || c <= ' ' {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// approx is the approximate match: case, spaces and punctuation ignored,
// so "Ada  Lovelace" ~= "ada-lovelace".
func approx(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// generalizedTime is the form of createTimestamp and modifyTimestamp.
const generalizedTime = "20060102150405Z"

func parseGeneralizedTime(s string) (time.Time, error) {
	for _, layout := range []string{generalizedTime, "20060102150405.999999999Z", "20060102150405-0700", "200601021504Z", "2006010215Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errBadFilter
}

// parseExtensible reads the left side of an extensible match in string
// form, "attr[:dn][:rule]" or "[:dn]:rule" (the ":=" already cut off).
func parseExtensible(lhs, raw string) (*filter, error) {
	v, err := unescapeFilterValue(raw)
	if err != nil {
		return nil, err
	}
	f := &filter{op: opExtensible, value: v}
	parts := strings.Split(lhs, ":")
	if parts[0] != "" {
		if !validAttrDesc(parts[0]) {
			return nil, errBadFilter
		}
		f.attr = attrKey(parts[0])
	}
	rest := parts[1:]
	if len(rest) > 0 && strings.EqualFold(rest[0], "dn") {
		f.dnAttrs, rest = true, rest[1:]
	}
	switch len(rest) {
	case 0:
	case 1:
		if !validAttrType(rest[0]) {
			return nil, errBadFilter
		}
		f.rule = strings.ToLower(rest[0])
	default:
		return nil, errBadFilter
	}
	if f.attr == "" && f.rule == "" || parts[0] == "" && len(parts) < 2 {
		return nil, errBadFilter
	}
	return f, nil
}
