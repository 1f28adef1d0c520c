package ldap

import "strings"

// Extensible matches (RFC 4511 section 4.5.1.7.7): an attribute, a matching
// rule, or both, and with ":dn" the attributes of the entry's own DN too.
// The rules offered are the ones apps send; any other rule makes its item
// Undefined, which NOT, AND and OR then treat as LDAP's three-valued logic
// says, so one unknown rule never fails a whole search.

type matchRule uint8

const (
	ruleEquality   matchRule = iota // the attribute's own equality rule
	ruleCaseIgnore                  // caseIgnoreMatch and its IA5 twin
	ruleCaseExact                   // caseExactMatch and its IA5 twin, octetStringMatch
	ruleDN                          // distinguishedNameMatch
	ruleInChain                     // LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups
)

// matchingRules are the rules extensible matches may name, by lower-case
// name and OID.
var matchingRules = map[string]matchRule{
	"caseignorematch":            ruleCaseIgnore,
	"2.5.13.2":                   ruleCaseIgnore,
	"caseignoreia5match":         ruleCaseIgnore,
	"1.3.6.1.4.1.1466.109.114.2": ruleCaseIgnore,
	"caseexactmatch":             ruleCaseExact,
	"2.5.13.5":                   ruleCaseExact,
	"caseexactia5match":          ruleCaseExact,
	"1.3.6.1.4.1.1466.109.114.1": ruleCaseExact,
	"octetstringmatch":           ruleCaseExact,
	"2.5.13.17":                  ruleCaseExact,
	"distinguishednamematch":     ruleDN,
	"2.5.13.1":                   ruleDN,
	"1.2.840.113556.1.4.1941":    ruleInChain,
}

// entrySource is an attrSource that also lists its attributes and the
// attribute value assertions of its DN, which extensible matches need.
type entrySource interface {
	attrSource
	attrNames() []string
	dnAVAs() []AVA
}

// chainSource is an entry whose DN-valued attributes reach further under
// the in-chain rule than their values: a group's member, along nesting.
type chainSource interface {
	chainValues(attr string) []string
}

// matchExtensible evaluates an extensible match on e.
func (f *filter) matchExtensible(e attrSource) tri {
	rule := ruleEquality
	if f.rule != "" {
		r, ok := matchingRules[f.rule]
		if !ok {
			return triUndefined
		}
		rule = r
	}
	if cs, ok := e.(chainSource); ok && rule == ruleInChain {
		e = chained{e, cs}
	}
	res := triFalse
	or := func(t tri) bool {
		if t == triTrue {
			res = triTrue
			return true
		}
		if t == triUndefined {
			res = triUndefined
		}
		return false
	}
	if f.attr != "" {
		if _, known := schemaAttrs[f.attr]; !known {
			return triUndefined
		}
		if or(f.applyRule(rule, f.attr, e.values(f.attr))) {
			return triTrue
		}
	}
	es, ok := e.(entrySource)
	if !ok {
		return res
	}
	if f.attr == "" {
		// No type: every attribute the rule applies to.
		res = triFalse
		for _, a := range es.attrNames() {
			if !ruleApplies(rule, schemaAttrs[a].syntax) {
				continue
			}
			if f.applyRule(rule, a, es.values(a)) == triTrue {
				return triTrue
			}
		}
	}
	if f.dnAttrs {
		for _, ava := range es.dnAVAs() {
			a := attrKey(ava.Type)
			if f.attr != "" && a != f.attr || f.attr == "" && !ruleApplies(rule, schemaAttrs[a].syntax) {
				continue
			}
			if _, known := schemaAttrs[a]; !known {
				continue
			}
			if or(f.applyRule(rule, a, []string{ava.Value})) {
				return triTrue
			}
		}
	}
	return res
}

// ruleApplies reports whether rule compares values of syntax sx.
func ruleApplies(rule matchRule, sx syntax) bool {
	switch rule {
	case ruleCaseIgnore, ruleCaseExact:
		return sx == syntaxString
	case ruleDN, ruleInChain:
		return sx == syntaxDN
	}
	return true
}

// applyRule compares f's value with vals, values of attribute attr, by rule.
func (f *filter) applyRule(rule matchRule, attr string, vals []string) tri {
	if !ruleApplies(rule, schemaAttrs[attr].syntax) {
		return triUndefined
	}
	switch rule {
	case ruleCaseIgnore:
		want := fold(f.value)
		for _, v := range vals {
			if fold(v) == want {
				return triTrue
			}
		}
		return triFalse
	case ruleCaseExact:
		want := strings.Join(strings.Fields(f.value), " ")
		for _, v := range vals {
			if strings.Join(strings.Fields(v), " ") == want {
				return triTrue
			}
		}
		return triFalse
	}
	// The attribute's equality (and DN matching, which is the equality of
	// DN attributes): what an equality filter does.
	eq := &filter{op: opEqual, attr: attr, value: f.value}
	return eq.match(oneAttr{attr: attr, vals: vals})
}

// oneAttr is an attrSource holding the values of one attribute.
type oneAttr struct {
	attr string
	vals []string
}

func (o oneAttr) values(attr string) []string {
	if attr == o.attr {
		return o.vals
	}
	return nil
}

// chained shows an entry's attributes as the in-chain rule sees them.
type chained struct {
	attrSource
	cs chainSource
}

func (c chained) values(attr string) []string { return c.cs.chainValues(attr) }

func (c chained) attrNames() []string {
	if es, ok := c.attrSource.(entrySource); ok {
		return es.attrNames()
	}
	return nil
}

func (c chained) dnAVAs() []AVA {
	if es, ok := c.attrSource.(entrySource); ok {
		return es.dnAVAs()
	}
	return nil
}
