package ldap

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
)

// sampleDirectory is a small directory built in memory for the fuzzers.
func sampleDirectory() *directory {
	base, _ := ParseDN(testBase)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	groups := []*roster.Group{
		{ID: 1, Name: roster.DirectoryReaders},
		{ID: 2, Name: "Staff", Description: "Everyone"},
		{ID: 3, Name: "dev ops", Description: "a*b(c)"},
		{ID: 4, Name: "Dev  Ops"}, // one LDAP name with the one above
	}
	users := []*roster.User{
		{ID: 1, Username: "svc", Name: "Service", Email: "svc@example.com", Status: roster.StatusActive, GroupIDs: []uint64{1}, CreatedAt: t0, UpdatedAt: t0},
		{ID: 2, Username: "ada", Name: "Ada Lovelace", Email: "Ada@Example.com", Status: roster.StatusActive, GroupIDs: []uint64{2, 3}, CreatedAt: t0.Add(time.Hour), UpdatedAt: t0},
		{ID: 3, Username: "bob", Name: "Bób  Builder", Email: "bob@example.org", Status: roster.StatusActive, GroupIDs: []uint64{2, 4}, CreatedAt: t0.Add(2 * time.Hour), UpdatedAt: t0},
		{ID: 4, Username: "pen", Name: "Pen Ding", Email: "pen@example.com", Status: roster.StatusPending, GroupIDs: []uint64{2}},
		{ID: 5, Username: "zoë", Name: "Zoë", Email: "zoe@example.com", Status: roster.StatusActive, CreatedAt: t0, UpdatedAt: t0},
	}
	return buildDirectory(base, users, groups)
}

// allEntries lists every entry of d under the base, in walk order.
func allEntries(d *directory) []entry {
	out := []entry{{d: d, kind: kindBase}, {d: d, kind: kindPeople}}
	for _, u := range d.users {
		out = append(out, entry{d: d, kind: kindUser, user: u})
	}
	out = append(out, entry{d: d, kind: kindGroups})
	for _, g := range d.groups {
		out = append(out, entry{d: d, kind: kindGroup, group: g})
	}
	return out
}

var filterSeeds = []string{
	"(uid=ada)", "(UID=ADA)", "(&(objectClass=person)(uid=bob))", "(|(uid=ada)(mail=bob@EXAMPLE.org))",
	"(!(uid=ada))", "(cn=*love*)", "(cn=a*e)", "(mail=*)", "(cn~=bob builder)", "(uid>=b)", "(uid<=b)",
	"(memberOf=cn=staff,ou=groups,dc=example,dc=com)", "(member=uid=ada,ou=people,dc=example,dc=com)",
	"(createTimestamp>=20260102040000Z)", "(uid:dn:caseExactMatch:=ada)", "(&)", "(|)", "(!(foo=bar))",
	"(|(uid=ada)(cn=*))", "(&(uid=ada)(|(uid=bob)(mail=*)))", `(description=a\2ab\28c\29)`, "(cn=zo\xc3\xab)",
	"(uid=a", "((uid=a))", "(cn=**a)", `(cn=\zz)`, "(cn;lang-en=ada)", "(1.2.3=x)", "uid=ada",
	"(&(memberOf=cn=dev ops,ou=groups,dc=example,dc=com)(!(uid=ada)))", "(memberOf=cn=DEV OPS,ou=groups,dc=example,dc=com)",
}

// FuzzFilter checks that parsing never panics, that the indexes never
// change an answer (planned search = full scan), and that a filter means
// the same as go-ldap reads it.
func FuzzFilter(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add(s)
	}
	d := sampleDirectory()
	entries := allEntries(d)
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := parseFilter(s)
		if err == nil {
			// Planned search = scan.
			var planned, scanned []string
			_ = d.run(query{base: d.base, scope: scopeSub, filter: flt, reader: true}, func(e entry) bool {
				planned = append(planned, e.dn())
				return true
			})
			for _, e := range entries {
				if flt.match(e) == triTrue {
					scanned = append(scanned, e.dn())
				}
			}
			if !slices.Equal(planned, scanned) {
				t.Fatalf("filter %q: planned %q, scanned %q", s, planned, scanned)
			}
		}
		// Differential: the filter as a client sends it (go-ldap compiles
		// it to BER) must decode, and mean what go-ldap's tree means.
		p, cerr := goldap.CompileFilter(s)
		if cerr != nil {
			return
		}
		el, _, err := readElem(p.Bytes())
		if err != nil {
			t.Fatalf("go-ldap's BER for %q does not parse: %v", s, err)
		}
		fb, err := decodeFilter(el, 0)
		if err != nil {
			if !badAttrs(p) && !tooDeep(s) {
				t.Fatalf("go-ldap sends %q, we refuse it: %v", s, err)
			}
			return
		}
		if binaryValues(p) {
			return // such items are Undefined here on purpose
		}
		for _, e := range entries {
			want := refMatch(p, e)
			if flt != nil && hasExtensible(p) {
				want = flt.match(e) // the string form and BER agree
			}
			if got := fb.match(e); got != want {
				t.Fatalf("filter %q on %s: got %d, reference %d", s, e.dn(), got, want)
			}
		}
	})
}

func tooDeep(s string) bool { return strings.Count(s, "(") > maxFilterDepth }

func hasExtensible(p *ber.Packet) bool {
	if p.Tag == goldap.FilterExtensibleMatch {
		return true
	}
	for _, c := range p.Children {
		if hasExtensible(c) {
			return true
		}
	}
	return false
}

// binaryValues reports whether a compiled filter holds values that are not
// UTF-8 or hold NUL; we refuse those on purpose.
func binaryValues(p *ber.Packet) bool {
	if p.Data != nil && (!utf8.Valid(p.Data.Bytes()) || strings.IndexByte(p.Data.String(), 0) >= 0) {
		return true
	}
	for _, c := range p.Children {
		if binaryValues(c) {
			return true
		}
	}
	return false
}

// badAttrs reports whether a compiled filter names an attribute that is
// not a valid description (go-ldap lets "( =x)" through; we refuse it).
func badAttrs(p *ber.Packet) bool {
	name := ""
	switch p.Tag {
	case goldap.FilterAnd, goldap.FilterOr, goldap.FilterNot:
		for _, c := range p.Children {
			if badAttrs(c) {
				return true
			}
		}
		return false
	case goldap.FilterPresent:
		name = p.Data.String()
	case goldap.FilterExtensibleMatch:
		return true // its parts are checked loosely by go-ldap
	default:
		if len(p.Children) == 0 {
			return true
		}
		name = p.Children[0].Data.String()
	}
	base := stripOptions(name)
	return !validAttrType(base) || len(base) != len(name) && !validOptions(name[len(base):])
}

// refMatch evaluates go-ldap's compiled filter directly, with our leaf
// comparisons: it checks our parser and our logic, not the comparisons.
func refMatch(p *ber.Packet, e attrSource) tri {
	leaf := func(op filterOp) *filter {
		return &filter{op: op, attr: canonicalType(strings.ToLower(stripOptions(p.Children[0].Data.String()))), value: p.Children[1].Data.String()}
	}
	switch p.Tag {
	case goldap.FilterAnd:
		r := triTrue
		for _, c := range p.Children {
			switch refMatch(c, e) {
			case triFalse:
				return triFalse
			case triUndefined:
				r = triUndefined
			}
		}
		return r
	case goldap.FilterOr:
		r := triFalse
		for _, c := range p.Children {
			switch refMatch(c, e) {
			case triTrue:
				return triTrue
			case triUndefined:
				r = triUndefined
			}
		}
		return r
	case goldap.FilterNot:
		switch refMatch(p.Children[0], e) {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		}
		return triUndefined
	case goldap.FilterEqualityMatch:
		return leaf(opEqual).match(e)
	case goldap.FilterGreaterOrEqual:
		return leaf(opGreaterOrEqual).match(e)
	case goldap.FilterLessOrEqual:
		return leaf(opLessOrEqual).match(e)
	case goldap.FilterApproxMatch:
		return leaf(opApprox).match(e)
	case goldap.FilterPresent:
		return (&filter{op: opPresent, attr: canonicalType(strings.ToLower(stripOptions(p.Data.String())))}).match(e)
	case goldap.FilterSubstrings:
		f := &filter{op: opSubstring, attr: canonicalType(strings.ToLower(stripOptions(p.Children[0].Data.String())))}
		for _, c := range p.Children[1].Children {
			v := c.Data.String()
			switch c.Tag {
			case goldap.FilterSubstringsInitial:
				f.initial = v
			case goldap.FilterSubstringsAny:
				if v != "" {
					f.any = append(f.any, v)
				}
			case goldap.FilterSubstringsFinal:
				f.final = v
			}
		}
		return f.match(e)
	}
	return triUndefined // extensible match
}

// FuzzParseDN checks that DN parsing never panics, that a parsed DN
// writes back to the same DN, and that it reads what go-ldap reads.
func FuzzParseDN(f *testing.F) {
	for _, s := range []string{
		"uid=ada,ou=people,dc=example,dc=com", "UID=Ada , OU=People;DC=Example", `cn=a\,b+uid=c,dc=x`,
		`cn=\23hash,dc=x`, `cn=\20lead\20,dc=x`, `cn="quoted, value",dc=x`, "cn=#04024869,dc=x", "", " ",
		"cn=", "=x", "cn=a,", `cn=\e2\82\ac`, "2.5.4.3=x", "cn=dev ops,ou=groups,dc=example,dc=com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dn, err := ParseDN(s)
		if err != nil {
			return
		}
		again, err := ParseDN(dn.String())
		if err != nil || !reflect.DeepEqual(dn, again) {
			t.Fatalf("%q → %q → %v (%v)", s, dn.String(), again, err)
		}
		norm := dn.Norm()
		if n2, err := NormDN(norm); err != nil || n2 != norm {
			t.Fatalf("norm of %q is %q, then %q (%v)", s, norm, n2, err)
		}
		theirs, err := goldap.ParseDN(s)
		if err != nil || strings.Contains(s, "#") || strings.Contains(s, `"`) {
			return // go-ldap differs on purpose on hex and quoted values
		}
		if len(theirs.RDNs) != len(dn) {
			t.Fatalf("%q: %d RDNs, go-ldap %d", s, len(dn), len(theirs.RDNs))
		}
		for i, rdn := range dn {
			if len(theirs.RDNs[i].Attributes) != len(rdn) {
				t.Fatalf("%q: RDN %d differs from go-ldap", s, i)
			}
			for j, ava := range rdn {
				them := theirs.RDNs[i].Attributes[j]
				if !strings.EqualFold(them.Type, ava.Type) || them.Value != ava.Value {
					t.Fatalf("%q: %q=%q, go-ldap %q=%q", s, ava.Type, ava.Value, them.Type, them.Value)
				}
			}
		}
	})
}

func TestParseFilterRefusals(t *testing.T) {
	for _, s := range []string{"", "(", ")", "(uid=a", "((uid=a))", "(uid=a)(uid=b)", "(=a)", "(uid~a)",
		`(uid=\2)`, `(uid=\zz)`, "(uid=a(b)", strings.Repeat("(!", 40) + "(uid=a)" + strings.Repeat(")", 40)} {
		if _, err := parseFilter(s); err == nil {
			t.Errorf("parseFilter(%q) accepted", s)
		}
	}
}

// compileForFuzz returns the BER go-ldap sends for filter s.
func compileForFuzz(s string) ([]byte, error) {
	p, err := goldap.CompileFilter(s)
	if err != nil {
		return nil, err
	}
	return p.Bytes(), nil
}
