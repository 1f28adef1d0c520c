package ldap

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
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

type attrSpec struct {
	name   string // as the directory writes it
	syntax syntax
}

// schemaAttrs holds every attribute the directory knows, by lower-case
// name. A filter on any other attribute is Undefined.
var schemaAttrs = map[string]attrSpec{
	"objectclass":          {"objectClass", syntaxString},
	"uid":                  {"uid", syntaxString},
	"cn":                   {"cn", syntaxString},
	"givenname":            {"givenName", syntaxString},
	"sn":                   {"sn", syntaxString},
	"displayname":          {"displayName", syntaxString},
	"mail":                 {"mail", syntaxString},
	"memberof":             {"memberOf", syntaxDN},
	"member":               {"member", syntaxDN},
	"uniquemember":         {"uniqueMember", syntaxDN},
	"description":          {"description", syntaxString},
	"entryuuid":            {"entryUUID", syntaxString},
	"createtimestamp":      {"createTimestamp", syntaxTime},
	"modifytimestamp":      {"modifyTimestamp", syntaxTime},
	"ou":                   {"ou", syntaxString},
	"dc":                   {"dc", syntaxString},
	"entrydn":              {"entryDN", syntaxDN},
	"namingcontexts":       {"namingContexts", syntaxDN},
	"supportedldapversion": {"supportedLDAPVersion", syntaxString},
	"supportedextension":   {"supportedExtension", syntaxString},
	"supportedcontrol":     {"supportedControl", syntaxString},
	"vendorname":           {"vendorName", syntaxString},
}

// attrAliases maps other names of an attribute to the one schemaAttrs uses.
var attrAliases = map[string]string{
	"commonname":                 "cn",
	"surname":                    "sn",
	"userid":                     "uid",
	"gn":                         "givenname",
	"rfc822mailbox":              "mail",
	"2.5.4.0":                    "objectclass",
	"2.5.4.3":                    "cn",
	"2.5.4.4":                    "sn",
	"2.5.4.42":                   "givenname",
	"0.9.2342.19200300.100.1.1":  "uid",
	"0.9.2342.19200300.100.1.3":  "mail",
	"0.9.2342.19200300.100.1.25": "dc",
	"2.5.4.11":                   "ou",
	"2.5.4.31":                   "member",
	"2.5.4.50":                   "uniquemember",
}

// canonicalType returns the lower-case name schemaAttrs uses for the
// lower-case attribute type t.
func canonicalType(t string) string {
	if a, ok := attrAliases[t]; ok {
		return a
	}
	return t
}

// Attribute lists per kind of entry, in the order entries show them.
var (
	rootAttrs  = []string{"objectclass", "namingcontexts", "supportedldapversion", "supportedextension", "supportedcontrol", "vendorname"}
	baseAttrs  = []string{"objectclass", "dc", "entrydn"}
	ouAttrs    = []string{"objectclass", "ou", "entrydn"}
	userAttrs  = []string{"objectclass", "uid", "cn", "givenname", "sn", "displayname", "mail", "memberof", "entryuuid", "createtimestamp", "modifytimestamp", "entrydn"}
	groupAttrs = []string{"objectclass", "cn", "displayname", "member", "uniquemember", "description", "entryuuid", "createtimestamp", "modifytimestamp", "entrydn"}
)

var (
	userClasses  = []string{"inetOrgPerson", "posixAccount", "mailAccount", "organizationalPerson", "person", "top"} // as LLDAP
	groupClasses = []string{"groupOfUniqueNames", "groupOfNames", "top"}
	ouClasses    = []string{"top", "organizationalUnit"}
	baseClasses  = []string{"top", "domain"}
	rootClasses  = []string{"top"}
)

// OIDs the root DSE advertises.
const (
	oidStartTLS       = "1.3.6.1.4.1.1466.20037"
	oidPasswordModify = "1.3.6.1.4.1.4203.1.11.1"
	oidWhoAmI         = "1.3.6.1.4.1.4203.1.11.3"
	oidPaging         = "1.2.840.113556.1.4.319"
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
