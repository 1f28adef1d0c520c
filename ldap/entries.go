package ldap

import (
	"strings"
)

// What each kind of entry holds. User and group attributes are tables of
// functions, so that other files of the package add attributes and object
// classes without touching this one (posix.go: defineUserAttr in an init
// function, and append to userClasses).

// valuesOf computes one attribute of an entry.
type valuesOf[T any] func(T) []string

// linkedValuesOf computes an attribute that names other entries (memberOf,
// member): entries refer to each other by id, so it needs the snapshot.
type linkedValuesOf[T any] func(*directory, T) []string

var (
	userAttrs   []string // lower-case names, in the order entries show them
	userValues  = map[string]valuesOf[*userEntry]{}
	userLinks   = map[string]linkedValuesOf[*userEntry]{}
	groupAttrs  []string
	groupValues = map[string]valuesOf[*groupEntry]{}
	groupLinks  = map[string]linkedValuesOf[*groupEntry]{}
)

// defineUserAttr adds an attribute to user entries; name must be in the
// schema (defineAttr).
func defineUserAttr(name string, f valuesOf[*userEntry]) {
	key := strings.ToLower(name)
	mustKnow(key)
	userAttrs = append(userAttrs, key)
	userValues[key] = f
}

// defineGroupAttr adds an attribute to group entries.
func defineGroupAttr(name string, f valuesOf[*groupEntry]) {
	key := strings.ToLower(name)
	mustKnow(key)
	groupAttrs = append(groupAttrs, key)
	groupValues[key] = f
}

// defineUserLink adds an attribute naming other entries to user entries.
func defineUserLink(name string, f linkedValuesOf[*userEntry]) {
	key := strings.ToLower(name)
	mustKnow(key)
	userAttrs = append(userAttrs, key)
	userLinks[key] = f
}

// defineGroupLink adds an attribute naming other entries to group entries.
func defineGroupLink(name string, f linkedValuesOf[*groupEntry]) {
	key := strings.ToLower(name)
	mustKnow(key)
	groupAttrs = append(groupAttrs, key)
	groupLinks[key] = f
}

func mustKnow(key string) {
	if _, ok := schemaAttrs[key]; !ok {
		panic("ldap: attribute not in the schema: " + key)
	}
}

// one returns a one-value list, or none for an empty value.
func one(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

// Attribute lists of the fixed entries.
var (
	rootAttrs = []string{"objectclass", "namingcontexts", "subschemasubentry", "supportedldapversion",
		"supportedcontrol", "supportedextension", "supportedfeatures", "vendorname"}
	baseAttrs      = []string{"objectclass", "dc", "entrydn", "subschemasubentry"}
	ouAttrs        = []string{"objectclass", "ou", "entrydn", "subschemasubentry"}
	subschemaAttrs = []string{"objectclass", "cn", "attributetypes", "objectclasses", "entrydn", "subschemasubentry"}
)

// baseEntries defines the attributes of users and groups before any init
// function runs (see baseSchema).
var _ = defineBaseEntries()

func defineBaseEntries() bool {
	_ = baseSchema // the schema first
	defineUserAttr("objectClass", func(*userEntry) []string { return userClasses })
	defineUserAttr("uid", func(u *userEntry) []string { return []string{u.u.Username} })
	defineUserAttr("cn", func(u *userEntry) []string { return one(u.u.DisplayName()) })
	defineUserAttr("givenName", func(u *userEntry) []string { return one(givenName(&u.u)) })
	defineUserAttr("sn", func(u *userEntry) []string { return one(surname(&u.u)) })
	defineUserAttr("displayName", func(u *userEntry) []string { return one(u.u.DisplayName()) })
	defineUserAttr("mail", func(u *userEntry) []string { return one(u.u.Email) })
	defineUserLink("memberOf", func(d *directory, u *userEntry) []string {
		out := make([]string, 0, len(u.groups))
		for _, id := range u.groups {
			if g := d.group(id); g != nil {
				out = append(out, g.dn)
			}
		}
		return out
	})
	defineUserAttr("entryUUID", func(u *userEntry) []string { return []string{userUUID(u.u.ID)} })
	defineUserAttr("createTimestamp", func(u *userEntry) []string { return []string{timestamp(u.u.CreatedAt)} })
	defineUserAttr("modifyTimestamp", func(u *userEntry) []string { return []string{timestamp(u.u.UpdatedAt)} })
	defineUserAttr("entryDN", func(u *userEntry) []string { return []string{u.dn} })
	defineUserAttr("subschemaSubentry", func(*userEntry) []string { return []string{subschemaDN} })

	defineGroupAttr("objectClass", func(*groupEntry) []string { return groupClasses })
	defineGroupAttr("cn", func(g *groupEntry) []string { return []string{g.g.Name} })
	defineGroupAttr("displayName", func(g *groupEntry) []string { return []string{g.g.Name} })
	defineGroupLink("member", directMembers)
	defineGroupLink("uniqueMember", directMembers)
	defineGroupAttr("description", func(g *groupEntry) []string { return one(g.g.Description) })
	defineGroupAttr("entryUUID", func(g *groupEntry) []string { return []string{g.uuid} })
	defineGroupAttr("createTimestamp", func(g *groupEntry) []string { return []string{g.created} })
	defineGroupAttr("modifyTimestamp", func(g *groupEntry) []string { return []string{g.created} })
	defineGroupAttr("entryDN", func(g *groupEntry) []string { return []string{g.dn} })
	defineGroupAttr("subschemaSubentry", func(*groupEntry) []string { return []string{subschemaDN} })
	return true
}

// dn returns the entry's DN.
func (e entry) dn() string {
	switch e.kind {
	case kindBase:
		return e.d.baseDN
	case kindPeople:
		return e.d.peopleDN
	case kindGroups:
		return e.d.groupsDN
	case kindUser:
		return e.user.dn
	case kindGroup:
		return e.group.dn
	case kindSubschema:
		return subschemaDN
	}
	return ""
}

// dnAVAs implements entrySource: the attribute value assertions of the
// entry's DN, for extensible matches with ":dn".
func (e entry) dnAVAs() []AVA {
	dn, err := ParseDN(e.dn())
	if err != nil {
		return nil
	}
	var out []AVA
	for _, rdn := range dn {
		out = append(out, rdn...)
	}
	return out
}

// attrNames lists the entry's attributes (lower-case) in display order.
func (e entry) attrNames() []string {
	switch e.kind {
	case kindRoot:
		return rootAttrs
	case kindBase:
		return baseAttrs
	case kindPeople, kindGroups:
		return ouAttrs
	case kindUser:
		return userAttrs
	case kindSubschema:
		return subschemaAttrs
	}
	return groupAttrs
}

// values implements attrSource.
func (e entry) values(attr string) []string {
	switch e.kind {
	case kindUser:
		if v, ok := e.d.posixUserValues(e.user, attr); ok {
			return v
		}
		if f := userValues[attr]; f != nil {
			return f(e.user)
		}
		if f := userLinks[attr]; f != nil {
			return f(e.d, e.user)
		}
		return nil
	case kindGroup:
		if v, ok := e.d.posixGroupValues(e.group, attr); ok {
			return v
		}
		if f := groupValues[attr]; f != nil {
			return f(e.group)
		}
		if f := groupLinks[attr]; f != nil {
			return f(e.d, e.group)
		}
		return nil
	case kindRoot:
		return e.rootValues(attr)
	case kindSubschema:
		switch attr {
		case "objectclass":
			return subschemaClasses
		case "cn":
			return []string{"Subschema"}
		case "entrydn":
			return []string{subschemaDN}
		case "subschemasubentry":
			return []string{subschemaDN}
		}
		return subschemaValues(attr)
	}
	switch attr {
	case "entrydn":
		return []string{e.dn()}
	case "subschemasubentry":
		return []string{subschemaDN}
	}
	if e.kind == kindBase {
		switch attr {
		case "objectclass":
			return baseClasses
		case "dc":
			if len(e.d.base) > 0 && len(e.d.base[0]) == 1 && strings.EqualFold(e.d.base[0][0].Type, "dc") {
				return []string{e.d.base[0][0].Value}
			}
		}
		return nil
	}
	switch attr { // ou=people and ou=groups
	case "objectclass":
		return ouClasses
	case "ou":
		if e.kind == kindPeople {
			return []string{"people"}
		}
		return []string{"groups"}
	}
	return nil
}

func (e entry) rootValues(attr string) []string {
	switch attr {
	case "objectclass":
		return rootClasses
	case "namingcontexts":
		return []string{e.d.baseDN}
	case "subschemasubentry":
		return []string{subschemaDN}
	case "supportedldapversion":
		return []string{"3"}
	case "supportedextension":
		if e.d.tls {
			return []string{oidStartTLS, oidPasswordModify, oidWhoAmI}
		}
		return []string{oidPasswordModify, oidWhoAmI}
	case "supportedcontrol":
		return []string{oidPaging, oidManageDsaIT}
	case "supportedfeatures":
		return []string{featureAllOperational, featureTrueFalse}
	case "vendorname":
		return []string{"Roster"}
	}
	return nil
}

// public reports whether base names an entry anyone may read without a
// bind: the root DSE and cn=Subschema.
func (d *directory) public(base DN) bool {
	return len(base) == 0 || base.Norm() == "cn=subschema"
}
