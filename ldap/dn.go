package ldap

import (
	"errors"
	"slices"
	"strings"
	"unicode/utf8"
)

// DN is a distinguished name as RFC 4514 writes it: relative names from the
// entry up to the root ("uid=ada,ou=people,dc=example,dc=com").
type DN []RDN

// RDN is one relative name; it holds more than one attribute when written
// with '+' ("cn=a+uid=b").
type RDN []AVA

// AVA is one attribute type and its value, unescaped.
type AVA struct {
	Type  string // as written
	Value string // unescaped
}

// maxDNLen bounds what ParseDN reads; no name Roster serves is near it.
const maxDNLen = 4096

var errBadDN = errors.New("invalid DN")

// ParseDN reads a DN in RFC 4514 form. It accepts the RFC 2253 leniencies
// clients still send (spaces around ',' and '=', ';' as a separator, quoted
// values) and never panics. The empty string is the root's DN.
func ParseDN(s string) (DN, error) {
	if len(s) > maxDNLen || !utf8.ValidString(s) {
		return nil, errBadDN
	}
	p := dnParser{s: s}
	p.skipSpaces()
	if p.i == len(s) {
		return DN{}, nil
	}
	var dn DN
	rdn := RDN{}
	for {
		ava, err := p.ava()
		if err != nil {
			return nil, err
		}
		rdn = append(rdn, ava)
		if p.i == len(s) {
			dn = append(dn, rdn)
			return dn, nil
		}
		switch s[p.i] {
		case '+':
			p.i++
		case ',', ';':
			p.i++
			dn = append(dn, rdn)
			rdn = RDN{}
		default:
			return nil, errBadDN
		}
	}
}

type dnParser struct {
	s string
	i int
}

func (p *dnParser) skipSpaces() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *dnParser) ava() (AVA, error) {
	p.skipSpaces()
	start := p.i
	for p.i < len(p.s) && isTypeChar(p.s[p.i]) {
		p.i++
	}
	typ := p.s[start:p.i]
	if !validAttrType(typ) {
		return AVA{}, errBadDN
	}
	p.skipSpaces()
	if p.i >= len(p.s) || p.s[p.i] != '=' {
		return AVA{}, errBadDN
	}
	p.i++
	p.skipSpaces()
	val, err := p.value()
	if err != nil {
		return AVA{}, err
	}
	return AVA{Type: typ, Value: val}, nil
}

// value reads an attribute value up to the next unescaped separator.
func (p *dnParser) value() (string, error) {
	s := p.s
	if p.i < len(s) && s[p.i] == '#' {
		// A BER-encoded value: keep it as written; it matches only itself.
		start := p.i
		p.i++
		for p.i < len(s) && isHex(s[p.i]) {
			p.i++
		}
		if (p.i-start-1) == 0 || (p.i-start-1)%2 != 0 {
			return "", errBadDN
		}
		v := strings.ToLower(s[start:p.i])
		p.skipSpaces()
		if p.i < len(s) && !isSeparator(s[p.i]) {
			return "", errBadDN
		}
		return v, nil
	}
	if p.i < len(s) && s[p.i] == '"' {
		p.i++
		var b []byte
		for {
			if p.i >= len(s) {
				return "", errBadDN
			}
			c := s[p.i]
			if c == '"' {
				p.i++
				break
			}
			if c == '\\' {
				r, err := p.escape()
				if err != nil {
					return "", err
				}
				b = append(b, r)
				continue
			}
			b = append(b, c)
			p.i++
		}
		p.skipSpaces()
		if p.i < len(s) && !isSeparator(s[p.i]) {
			return "", errBadDN
		}
		if !utf8.Valid(b) {
			return "", errBadDN
		}
		return string(b), nil
	}
	var b []byte
	trailing := 0 // unescaped spaces at the end of b, which do not count
	for p.i < len(s) {
		c := s[p.i]
		if isSeparator(c) {
			break
		}
		switch c {
		case '\\':
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			b = append(b, r)
			trailing = 0
			continue
		case '"', '<', '>', '=':
			return "", errBadDN
		case 0:
			return "", errBadDN
		case ' ':
			trailing++
		default:
			trailing = 0
		}
		b = append(b, c)
		p.i++
	}
	b = b[:len(b)-trailing]
	if !utf8.Valid(b) {
		return "", errBadDN
	}
	return string(b), nil
}

// escape reads "\X" (a special character) or "\HH" (a byte in hex) at p.i.
func (p *dnParser) escape() (byte, error) {
	s := p.s
	if p.i+1 >= len(s) {
		return 0, errBadDN
	}
	c := s[p.i+1]
	if isHex(c) {
		if p.i+2 >= len(s) || !isHex(s[p.i+2]) {
			return 0, errBadDN
		}
		p.i += 3
		return unhex(c)<<4 | unhex(s[p.i-1]), nil
	}
	if strings.IndexByte(" \"#+,;<=>\\", c) < 0 {
		return 0, errBadDN
	}
	p.i += 2
	return c, nil
}

func isSeparator(c byte) bool { return c == ',' || c == '+' || c == ';' }

func isTypeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}

// validAttrType accepts a descriptor (a letter, then letters, digits and
// '-') or a numeric OID.
func validAttrType(t string) bool {
	if t == "" {
		return false
	}
	c := t[0]
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		for i := 1; i < len(t); i++ {
			if t[i] == '.' {
				return false
			}
		}
		return true
	}
	// numericoid: number *( "." number )
	for _, part := range strings.Split(t, ".") {
		if part == "" {
			return false
		}
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false
			}
		}
		if len(part) > 1 && part[0] == '0' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// String writes the DN in RFC 4514 form, escaping what must be.
func (dn DN) String() string {
	var b strings.Builder
	for i, rdn := range dn {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, ava := range rdn {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(ava.Type)
			b.WriteByte('=')
			b.WriteString(EscapeDNValue(ava.Value))
		}
	}
	return b.String()
}

// Norm returns the DN's canonical form for comparison: types and values
// lower-cased (every attribute Roster names entries by compares without
// regard to case), insignificant spaces folded, multi-valued RDNs sorted.
func (dn DN) Norm() string {
	var b strings.Builder
	for i, rdn := range dn {
		if i > 0 {
			b.WriteByte(',')
		}
		parts := make([]string, len(rdn))
		for j, ava := range rdn {
			parts[j] = canonicalType(strings.ToLower(ava.Type)) + "=" + EscapeDNValue(fold(ava.Value))
		}
		slices.Sort(parts)
		b.WriteString(strings.Join(parts, "+"))
	}
	return b.String()
}

// NormDN parses s and returns its canonical form (see DN.Norm).
func NormDN(s string) (string, error) {
	dn, err := ParseDN(s)
	if err != nil {
		return "", err
	}
	return dn.Norm(), nil
}

// EscapeDNValue escapes an attribute value for a DN (RFC 4514 section 2.4).
func EscapeDNValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' || c == '=':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == 0:
			b.WriteString(`\00`)
		case c == '#' && i == 0:
			b.WriteString(`\#`)
		case c == ' ' && (i == 0 || i == len(v)-1):
			b.WriteString(`\ `)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
