package ldap

import (
	"strings"
	"unicode/utf8"
)

// Filter choices as BER tags (RFC 4511 section 4.5.1).
const (
	filterAnd        = ctxC0
	filterOr         = classContext | constructed | 1
	filterNot        = classContext | constructed | 2
	filterEqual      = classContext | constructed | 3
	filterSubstrings = classContext | constructed | 4
	filterGreater    = classContext | constructed | 5
	filterLess       = classContext | constructed | 6
	filterPresent    = classContext | 7
	filterApprox     = classContext | constructed | 8
	filterExtensible = classContext | constructed | 9
)

// decodeFilter reads a Filter as the client sent it. A filter that breaks
// the grammar is an error (the search is answered protocolError); a value
// the directory cannot compare (not UTF-8) only makes its own item
// Undefined.
func decodeFilter(e berElem, depth int) (*filter, error) {
	if depth > maxFilterDepth {
		return nil, errBadFilter
	}
	switch e.id {
	case filterAnd, filterOr:
		list, err := e.children()
		if err != nil {
			return nil, errBadFilter
		}
		f := &filter{op: opAnd}
		if e.id == filterOr {
			f.op = opOr
		}
		for _, c := range list {
			cf, err := decodeFilter(c, depth+1)
			if err != nil {
				return nil, err
			}
			f.children = append(f.children, cf)
		}
		return f, nil
	case filterNot:
		c, rest, err := readElem(e.content)
		if err != nil || len(rest) != 0 {
			return nil, errBadFilter
		}
		cf, err := decodeFilter(c, depth+1)
		if err != nil {
			return nil, err
		}
		return &filter{op: opNot, children: []*filter{cf}}, nil
	case filterEqual, filterGreater, filterLess, filterApprox:
		attr, value, err := decodeAVA(e)
		if err != nil {
			return nil, err
		}
		ops := map[byte]filterOp{filterEqual: opEqual, filterGreater: opGreaterOrEqual, filterLess: opLessOrEqual, filterApprox: opApprox}
		return textItem(&filter{op: ops[e.id], attr: attr}, value), nil
	case filterPresent:
		if !validAttrDesc(string(e.content)) {
			return nil, errBadFilter
		}
		return &filter{op: opPresent, attr: attrKey(string(e.content))}, nil
	case filterSubstrings:
		return decodeSubstrings(e)
	case filterExtensible:
		return decodeExtensible(e)
	}
	return nil, errBadFilter
}

// decodeAVA reads an AttributeValueAssertion.
func decodeAVA(e berElem) (attr string, value []byte, err error) {
	f, err := e.children()
	if err != nil || len(f) != 2 || f[0].id != berOctetString || f[1].id != berOctetString || !validAttrDesc(f[0].str()) {
		return "", nil, errBadFilter
	}
	return attrKey(f[0].str()), f[1].content, nil
}

// textItem sets f's value, or makes f Undefined when the value is not
// text: the directory's attributes are all text.
func textItem(f *filter, value []byte) *filter {
	if !utf8.Valid(value) {
		return &filter{op: opUndefined}
	}
	f.value = string(value)
	return f
}

func decodeSubstrings(e berElem) (*filter, error) {
	f, err := e.children()
	if err != nil || len(f) != 2 || f[0].id != berOctetString || f[1].id != berSequence || !validAttrDesc(f[0].str()) {
		return nil, errBadFilter
	}
	parts, err := f[1].children()
	if err != nil {
		return nil, errBadFilter
	}
	out := &filter{op: opSubstring, attr: attrKey(f[0].str())}
	for i, p := range parts {
		if !utf8.Valid(p.content) {
			return &filter{op: opUndefined}, nil
		}
		v := string(p.content)
		switch {
		case p.id == ctx0 && i == 0:
			out.initial = v
		case p.id == classContext|1:
			if v != "" {
				out.any = append(out.any, v)
			}
		case p.id == classContext|2 && i == len(parts)-1:
			out.final = v
		default:
			return nil, errBadFilter
		}
	}
	return out, nil
}

// decodeExtensible reads a MatchingRuleAssertion: [1] matchingRule,
// [2] type, [3] matchValue, [4] dnAttributes, the first two optional but
// not both absent.
func decodeExtensible(e berElem) (*filter, error) {
	f, err := e.children()
	if err != nil {
		return nil, errBadFilter
	}
	out := &filter{op: opExtensible}
	var value []byte
	hasValue := false
	last := byte(0)
	for _, x := range f {
		if x.tag() <= last {
			return nil, errBadFilter // out of order or repeated
		}
		last = x.tag()
		switch x.id {
		case classContext | 1:
			out.rule = strings.ToLower(x.str())
			if out.rule == "" {
				return nil, errBadFilter
			}
		case classContext | 2:
			if !validAttrDesc(x.str()) {
				return nil, errBadFilter
			}
			out.attr = attrKey(x.str())
		case classContext | 3:
			value, hasValue = x.content, true
		case classContext | 4:
			if out.dnAttrs, err = x.boolean(); err != nil {
				return nil, errBadFilter
			}
		default:
			return nil, errBadFilter
		}
	}
	if !hasValue || out.rule == "" && out.attr == "" {
		return nil, errBadFilter
	}
	return textItem(out, value), nil
}

// validAttrDesc reports whether s is an attribute description: a name or
// an OID, with options.
func validAttrDesc(s string) bool {
	name := stripOptions(s)
	return validAttrType(name) && (len(name) == len(s) || validOptions(s[len(name):]))
}

// attrKey returns the canonical lower-case name of attribute description s.
func attrKey(s string) string {
	return canonicalType(strings.ToLower(stripOptions(s)))
}
