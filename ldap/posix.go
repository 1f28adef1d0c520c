package ldap

import (
	"strconv"
	"strings"

	"github.com/roster-dev/roster"
)

// Linux accounts (RFC 2307) and SSH keys (openssh-lpk), so that nslcd and
// SSSD can make Roster's users and groups the office machines' accounts,
// and sss_ssh_authorizedkeys can feed sshd their keys:
//
//	users   objectClass posixAccount, ldapPublicKey; uidNumber, gidNumber,
//	        homeDirectory, loginShell, gecos, sshPublicKey
//	groups  objectClass posixGroup; gidNumber, memberUid
//
// posixAccount sits beside inetOrgPerson and posixGroup beside
// groupOfNames, as in LLDAP: clients read entries, they do not check
// structural classes. shadowAccount is left out: nslcd and SSSD answer
// passwd, group and initgroups without it, and Roster keeps no password
// ageing to put in it.

// posixView is the part of a snapshot that only the Linux attributes need.
type posixView struct {
	settings    roster.PosixSettings
	keys        map[uint64][]string // authorized_keys lines by user id
	byUIDNumber hashIndex           // uidNumbers, as themselves (unique: store's index)
}

func init() {
	integer := func(name, oid string) attrSpec {
		return attrSpec{name: name, oid: oid, syntax: syntaxInteger, syntaxOID: synInteger,
			equality: "integerMatch", ordering: "integerOrderingMatch", single: true}
	}
	ia5 := func(name, oid, equality string, single bool) attrSpec {
		return attrSpec{name: name, oid: oid, syntaxOID: synIA5String, equality: equality, single: single}
	}
	for _, a := range []attrSpec{ // as nis.schema and openssh-lpk define them
		integer("uidNumber", "1.3.6.1.1.1.1.0"),
		integer("gidNumber", "1.3.6.1.1.1.1.1"),
		ia5("gecos", "1.3.6.1.1.1.1.2", "caseIgnoreIA5Match", true),
		ia5("homeDirectory", "1.3.6.1.1.1.1.3", "caseExactIA5Match", true),
		ia5("loginShell", "1.3.6.1.1.1.1.4", "caseExactIA5Match", true),
		ia5("memberUid", "1.3.6.1.1.1.1.12", "caseExactIA5Match", false),
		{name: "sshPublicKey", oid: "1.3.6.1.4.1.24552.500.1.1.1.13", syntaxOID: "1.3.6.1.4.1.1466.115.121.1.40", equality: "octetStringMatch"},
	} {
		defineAttr(a)
	}
	for _, c := range []objectClassSpec{
		{name: "posixAccount", oid: "1.3.6.1.1.1.2.0", sup: "top", kind: "AUXILIARY",
			must: []string{"cn", "uid", "uidNumber", "gidNumber", "homeDirectory"}, may: []string{"loginShell", "gecos", "description"}},
		{name: "posixGroup", oid: "1.3.6.1.1.1.2.2", sup: "top", kind: "STRUCTURAL",
			must: []string{"cn", "gidNumber"}, may: []string{"memberUid", "description"}},
		{name: "ldapPublicKey", oid: "1.3.6.1.4.1.24552.500.1.1.2.0", sup: "top", kind: "AUXILIARY", may: []string{"sshPublicKey", "uid"}},
	} {
		defineObjectClass(c)
	}
	userAttrs = append(userAttrs, "uidnumber", "gidnumber", "homedirectory", "loginshell", "gecos", "sshpublickey")
	groupAttrs = append(groupAttrs, "gidnumber", "memberuid")
	userClasses = append(userClasses, "ldapPublicKey") // posixAccount is there already, as in LLDAP
	groupClasses = append(groupClasses, "posixGroup")
}

// posixOf returns the snapshot's posix view. buildDirectory makes it with
// the default settings and no keys; loadDirectory puts the database's in.
func (d *directory) posixOf() *posixView { return d.posix }

// posixUserValues returns u's value of a Linux attribute; ok is false for
// any other attribute.
func (d *directory) posixUserValues(u *userEntry, attr string) (vals []string, ok bool) {
	p := d.posixOf()
	switch attr {
	case "uidnumber":
		return number(u.u.UIDNumber), true
	case "gidnumber":
		return []string{strconv.FormatUint(uint64(p.settings.PrimaryGID), 10)}, true
	case "homedirectory":
		return []string{p.settings.Home(u.u.Username)}, true
	case "loginshell":
		if u.u.Shell != "" {
			return []string{u.u.Shell}, true
		}
		return []string{p.settings.DefaultShell}, true // as roster.PosixSettings.Shell
	case "gecos":
		return one(u.u.Name), true
	case "sshpublickey":
		return p.keys[u.u.ID], true
	}
	return nil, false
}

// posixGroupValues is posixUserValues for groups.
func (d *directory) posixGroupValues(g *groupEntry, attr string) (vals []string, ok bool) {
	switch attr {
	case "gidnumber":
		return number(g.g.GIDNumber), true
	case "memberuid":
		// Linux knows no nesting: a group lists everyone in it through
		// nested groups too, as memberOf does.
		out := make([]string, 0, len(g.effective))
		for _, id := range g.effective {
			if u := d.user(id); u != nil {
				out = append(out, u.u.Username)
			}
		}
		return out, true
	}
	return nil, false
}

func number(n uint32) []string {
	if n == 0 {
		return nil // not handed out (a snapshot of an unmigrated record)
	}
	return []string{strconv.FormatUint(uint64(n), 10)}
}

// planPosixUsers narrows a search with the uidNumber index: nslcd and SSSD
// look users up by number (getpwuid) as often as by name.
func (d *directory) planPosixUsers(f *filter) ([]*userEntry, bool) {
	if f.attr != "uidnumber" {
		return nil, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(f.value), 10, 32)
	if err != nil {
		return nil, true // no user has that number
	}
	return d.lookup(d.posixOf().byUIDNumber, n, func(u *userEntry) bool { return uint64(u.u.UIDNumber) == n }), true
}

// matchInteger compares integer values as numbers (integerMatch,
// integerOrderingMatch): "9999" is less than "10000".
func matchInteger(f *filter, vals []string) tri {
	if f.op == opSubstring {
		return triUndefined
	}
	want, err := strconv.ParseInt(strings.TrimSpace(f.value), 10, 64)
	if err != nil {
		return triUndefined
	}
	for _, v := range vals {
		got, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		switch f.op {
		case opEqual, opApprox:
			if got == want {
				return triTrue
			}
		case opGreaterOrEqual:
			if got >= want {
				return triTrue
			}
		case opLessOrEqual:
			if got <= want {
				return triTrue
			}
		}
	}
	return triFalse
}
