package ldap

import (
	"crypto/sha1"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The directory's schema is LLDAP's, so app guides written for LLDAP work:
//
//	BASE                          objectClass top, domain; dc
//	ou=people,BASE                objectClass top, organizationalUnit; ou
//	uid=USERNAME,ou=people,BASE   objectClass inetOrgPerson, posixAccount, mailAccount,
//	                              organizationalPerson, person, top;
//	                              uid, cn, givenName, sn, displayName, mail, memberOf,
//	                              entryUUID, createTimestamp, modifyTimestamp
//	ou=groups,BASE                objectClass top, organizationalUnit; ou
//	cn=NAME,ou=groups,BASE        objectClass groupOfUniqueNames, groupOfNames, top;
//	                              cn, displayName, member, uniqueMember, description,
//	                              entryUUID, createTimestamp, modifyTimestamp

type syntax uint8

const (
	syntaxString  syntax = iota // caseIgnoreMatch
	syntaxDN                    // distinguishedNameMatch
	syntaxTime                  // generalizedTimeMatch
	syntaxInteger               // integerMatch, integerOrderingMatch (posix.go)
)

// attrSpec describes an attribute type: how the directory compares its
// values, whether it is operational (returned only when asked for by name
// or with "+"), and its definition in cn=Subschema (RFC 4512 section 4.1.2).
type attrSpec struct {
	name        string   // as the directory writes it
	oid         string   // its object identifier
	aliases     []string // other names it answers to
	syntax      syntax   // how filters compare its values
	syntaxOID   string   // its LDAP syntax, for cn=Subschema
	equality    string   // matching rules, for cn=Subschema
	substr      string
	ordering    string
	single      bool   // SINGLE-VALUE
	operational bool   // returned only when asked for by name or "+"
	usage       string // for operational attributes: directoryOperation or dSAOperation
}

// objectClassSpec describes an object class in cn=Subschema.
type objectClassSpec struct {
	name, oid, sup string
	kind           string // STRUCTURAL, AUXILIARY or ABSTRACT
	must, may      []string
}

// The schema: every attribute the directory knows, by lower-case name
// (schemaAttrs; a filter on any other attribute is Undefined), the other
// names and OIDs of each (attrAliases), and the definitions cn=Subschema
// lists, in the order they were made. Other files of the package extend it
// with defineAttr and defineObjectClass from an init function (posix.go).
var (
	schemaAttrs      = map[string]attrSpec{}
	attrAliases      = map[string]string{}
	attrOrder        []string
	objectClassDefs  []objectClassSpec
	objectClassNames = map[string]bool{}
)

// defineAttr adds an attribute type to the schema.
func defineAttr(a attrSpec) {
	key := strings.ToLower(a.name)
	if _, dup := schemaAttrs[key]; dup {
		panic("ldap: attribute defined twice: " + a.name)
	}
	schemaAttrs[key] = a
	attrOrder = append(attrOrder, key)
	for _, alias := range append(slices.Clone(a.aliases), a.oid) {
		attrAliases[strings.ToLower(alias)] = key
	}
}

// defineObjectClass adds an object class to the schema.
func defineObjectClass(c objectClassSpec) {
	objectClassDefs = append(objectClassDefs, c)
	objectClassNames[strings.ToLower(c.name)] = true
}

// LDAP syntaxes and matching rules the definitions name.
const (
	synDirectoryString = "1.3.6.1.4.1.1466.115.121.1.15"
	synIA5String       = "1.3.6.1.4.1.1466.115.121.1.26"
	synDN              = "1.3.6.1.4.1.1466.115.121.1.12"
	synNameUID         = "1.3.6.1.4.1.1466.115.121.1.34"
	synOID             = "1.3.6.1.4.1.1466.115.121.1.38"
	synInteger         = "1.3.6.1.4.1.1466.115.121.1.27"
	synTime            = "1.3.6.1.4.1.1466.115.121.1.24"
	synUUID            = "1.3.6.1.1.16.1"
	synAttrType        = "1.3.6.1.4.1.1466.115.121.1.3"
	synObjectClass     = "1.3.6.1.4.1.1466.115.121.1.37"
)

// baseSchema records the directory's own definitions. It runs as a
// package variable's initialiser, so before any init function: files that
// extend the schema do so from init.
var baseSchema = defineBaseSchema()

func defineBaseSchema() bool {
	text := func(name, oid string, aliases ...string) attrSpec {
		return attrSpec{name: name, oid: oid, aliases: aliases, syntaxOID: synDirectoryString,
			equality: "caseIgnoreMatch", substr: "caseIgnoreSubstringsMatch"}
	}
	ia5 := func(name, oid string, aliases ...string) attrSpec {
		return attrSpec{name: name, oid: oid, aliases: aliases, syntaxOID: synIA5String,
			equality: "caseIgnoreIA5Match", substr: "caseIgnoreIA5SubstringsMatch"}
	}
	dn := func(name, oid string) attrSpec {
		return attrSpec{name: name, oid: oid, syntax: syntaxDN, syntaxOID: synDN, equality: "distinguishedNameMatch"}
	}
	oper := func(a attrSpec, usage string) attrSpec {
		a.operational, a.usage = true, usage
		return a
	}
	when := func(name, oid string) attrSpec {
		return oper(attrSpec{name: name, oid: oid, syntax: syntaxTime, syntaxOID: synTime, equality: "generalizedTimeMatch",
			ordering: "generalizedTimeOrderingMatch", single: true}, "directoryOperation")
	}
	oidAttr := func(name, oid string) attrSpec {
		return oper(attrSpec{name: name, oid: oid, syntaxOID: synOID, equality: "objectIdentifierMatch"}, "dSAOperation")
	}
	for _, a := range []attrSpec{
		{name: "objectClass", oid: "2.5.4.0", syntaxOID: synOID, equality: "objectIdentifierMatch"},
		text("uid", "0.9.2342.19200300.100.1.1", "userid"),
		text("cn", "2.5.4.3", "commonName"),
		text("givenName", "2.5.4.42", "gn"),
		text("sn", "2.5.4.4", "surname"),
		func() attrSpec { a := text("displayName", "2.16.840.1.113730.3.1.241"); a.single = true; return a }(),
		ia5("mail", "0.9.2342.19200300.100.1.3", "rfc822Mailbox"),
		// memberOf is operational, as in slapd's memberof overlay: it is
		// returned when asked for by name (as apps do) or with "+".
		oper(dn("memberOf", "1.2.840.113556.1.2.102"), "dSAOperation"),
		dn("member", "2.5.4.31"),
		{name: "uniqueMember", oid: "2.5.4.50", syntax: syntaxDN, syntaxOID: synNameUID, equality: "uniqueMemberMatch"},
		text("description", "2.5.4.13"),
		oper(attrSpec{name: "entryUUID", oid: "1.3.6.1.1.16.4", syntaxOID: synUUID, equality: "UUIDMatch",
			ordering: "UUIDOrderingMatch", single: true}, "directoryOperation"),
		when("createTimestamp", "2.5.18.1"),
		when("modifyTimestamp", "2.5.18.2"),
		text("ou", "2.5.4.11", "organizationalUnitName"),
		func() attrSpec {
			a := ia5("dc", "0.9.2342.19200300.100.1.25", "domainComponent")
			a.single = true
			return a
		}(),
		oper(func() attrSpec { a := dn("entryDN", "1.3.6.1.1.20"); a.single = true; return a }(), "directoryOperation"),
		oper(func() attrSpec { a := dn("subschemaSubentry", "2.5.18.10"); a.single = true; return a }(), "directoryOperation"),
		oper(dn("namingContexts", "1.3.6.1.4.1.1466.101.120.5"), "dSAOperation"),
		oper(attrSpec{name: "supportedLDAPVersion", oid: "1.3.6.1.4.1.1466.101.120.15", syntaxOID: synInteger, equality: "integerMatch"}, "dSAOperation"),
		oidAttr("supportedExtension", "1.3.6.1.4.1.1466.101.120.7"),
		oidAttr("supportedControl", "1.3.6.1.4.1.1466.101.120.13"),
		oidAttr("supportedFeatures", "1.3.6.1.4.1.4203.1.3.5"),
		oper(func() attrSpec { a := text("vendorName", "1.3.6.1.1.4"); a.single = true; return a }(), "dSAOperation"),
		oper(attrSpec{name: "attributeTypes", oid: "2.5.21.5", syntaxOID: synAttrType, equality: "objectIdentifierFirstComponentMatch"}, "directoryOperation"),
		oper(attrSpec{name: "objectClasses", oid: "2.5.21.6", syntaxOID: synObjectClass, equality: "objectIdentifierFirstComponentMatch"}, "directoryOperation"),
	} {
		defineAttr(a)
	}
	for _, c := range []objectClassSpec{
		{name: "top", oid: "2.5.6.0", kind: "ABSTRACT", must: []string{"objectClass"}},
		{name: "extensibleObject", oid: "1.3.6.1.4.1.1466.101.120.111", sup: "top", kind: "AUXILIARY"},
		{name: "domain", oid: "0.9.2342.19200300.100.4.13", sup: "top", kind: "STRUCTURAL", must: []string{"dc"}, may: []string{"description"}},
		{name: "organizationalUnit", oid: "2.5.6.5", sup: "top", kind: "STRUCTURAL", must: []string{"ou"}, may: []string{"description"}},
		{name: "person", oid: "2.5.6.6", sup: "top", kind: "STRUCTURAL", must: []string{"sn", "cn"}, may: []string{"description"}},
		{name: "organizationalPerson", oid: "2.5.6.7", sup: "person", kind: "STRUCTURAL", may: []string{"ou"}},
		{name: "inetOrgPerson", oid: "2.16.840.1.113730.3.2.2", sup: "organizationalPerson", kind: "STRUCTURAL",
			may: []string{"displayName", "givenName", "mail", "uid"}},
		{name: "groupOfNames", oid: "2.5.6.9", sup: "top", kind: "STRUCTURAL", must: []string{"member", "cn"}, may: []string{"description", "ou"}},
		{name: "groupOfUniqueNames", oid: "2.5.6.17", sup: "top", kind: "STRUCTURAL", must: []string{"uniqueMember", "cn"}, may: []string{"description", "ou"}},
		{name: "subentry", oid: "2.5.17.0", sup: "top", kind: "STRUCTURAL", must: []string{"cn"}},
		{name: "subschema", oid: "2.5.20.1", kind: "AUXILIARY", may: []string{"attributeTypes", "objectClasses"}},
	} {
		defineObjectClass(c)
	}
	return true
}

// canonicalType returns the lower-case name schemaAttrs uses for the
// lower-case attribute type t.
func canonicalType(t string) string {
	if a, ok := attrAliases[t]; ok {
		return a
	}
	return t
}

// Object classes per kind of entry.
var (
	userClasses      = []string{"inetOrgPerson", "posixAccount", "mailAccount", "organizationalPerson", "person", "top"} // as LLDAP
	groupClasses     = []string{"groupOfUniqueNames", "groupOfNames", "top"}
	ouClasses        = []string{"top", "organizationalUnit"}
	baseClasses      = []string{"top", "domain"}
	rootClasses      = []string{"top"}
	subschemaClasses = []string{"top", "subentry", "subschema", "extensibleObject"}
)

// subschemaDN names the subschema entry; every entry points to it.
const subschemaDN = "cn=Subschema"

// describeAttr writes a's definition as cn=Subschema lists it.
func describeAttr(a attrSpec) string {
	var b strings.Builder
	b.WriteString("( " + a.oid + " NAME ")
	names := append([]string{a.name}, a.aliases...)
	if len(names) == 1 {
		b.WriteString("'" + a.name + "'")
	} else {
		b.WriteString("( '" + strings.Join(names, "' '") + "' )")
	}
	for _, part := range []struct{ key, val string }{{"EQUALITY", a.equality}, {"ORDERING", a.ordering}, {"SUBSTR", a.substr}, {"SYNTAX", a.syntaxOID}} {
		if part.val != "" {
			b.WriteString(" " + part.key + " " + part.val)
		}
	}
	if a.single {
		b.WriteString(" SINGLE-VALUE")
	}
	if a.operational {
		b.WriteString(" NO-USER-MODIFICATION USAGE " + a.usage)
	}
	b.WriteString(" )")
	return b.String()
}

// describeClass writes c's definition as cn=Subschema lists it.
func describeClass(c objectClassSpec) string {
	list := func(names []string) string {
		if len(names) == 1 {
			return names[0]
		}
		return "( " + strings.Join(names, " $ ") + " )"
	}
	var b strings.Builder
	b.WriteString("( " + c.oid + " NAME '" + c.name + "'")
	if c.sup != "" {
		b.WriteString(" SUP " + c.sup)
	}
	b.WriteString(" " + c.kind)
	if len(c.must) > 0 {
		b.WriteString(" MUST " + list(c.must))
	}
	if len(c.may) > 0 {
		b.WriteString(" MAY " + list(c.may))
	}
	b.WriteString(" )")
	return b.String()
}

// subschemaValues lists the definitions of cn=Subschema: attr is
// "attributetypes" or "objectclasses".
func subschemaValues(attr string) []string {
	var out []string
	switch attr {
	case "attributetypes":
		for _, k := range attrOrder {
			out = append(out, describeAttr(schemaAttrs[k]))
		}
	case "objectclasses":
		for _, c := range objectClassDefs {
			out = append(out, describeClass(c))
		}
	}
	return out
}

// OIDs the root DSE advertises.
const (
	oidStartTLS       = "1.3.6.1.4.1.1466.20037"
	oidPasswordModify = "1.3.6.1.4.1.4203.1.11.1"
	oidWhoAmI         = "1.3.6.1.4.1.4203.1.11.3"
	oidPaging         = "1.2.840.113556.1.4.319"
	oidManageDsaIT    = "2.16.840.1.113730.3.4.2"

	// supportedFeatures: all operational attributes with "+" (RFC 3673),
	// absolute true and false filters "(&)" and "(|)" (RFC 4526).
	featureAllOperational = "1.3.6.1.4.1.4203.1.5.1"
	featureTrueFalse      = "1.3.6.1.4.1.4203.1.5.3"
)

// uuidNamespace is Roster's namespace for name-based (version 5) UUIDs.
var uuidNamespace = [16]byte{0x6f, 0x1c, 0x3a, 0x52, 0x8e, 0x0d, 0x4b, 0x9a, 0x9d, 0x2e, 0x51, 0x7b, 0x40, 0x3c, 0x21, 0x88}

// nameUUID returns the version 5 UUID of name in Roster's namespace: the
// same user id always gives the same entryUUID, whatever its name becomes.
func nameUUID(name string) string {
	h := sha1.New()
	h.Write(uuidNamespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	s := hex.EncodeToString(u[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

func userUUID(id uint64) string  { return nameUUID("user:" + strconv.FormatUint(id, 10)) }
func groupUUID(id uint64) string { return nameUUID("group:" + strconv.FormatUint(id, 10)) }

func timestamp(t time.Time) string { return t.UTC().Format(generalizedTime) }
