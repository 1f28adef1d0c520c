package ldap

import (
	"slices"
	"strings"
)

// Search scopes, as the protocol numbers them.
const (
	scopeBase = 0
	scopeOne  = 1
	scopeSub  = 2
)

// query is one search, already parsed, as the viewer may run it.
type query struct {
	base   DN
	scope  int
	filter *filter
	viewer *userEntry // the bound user
	reader bool       // the viewer may see every user
	after  *position  // resume after this entry (paged results)
}

// errNoSuchObject means the search base names no entry the viewer may see.
type searchError struct {
	code int
	msg  string
}

func (e *searchError) Error() string { return e.msg }

// run walks the entries q selects, in position order, and calls emit for
// each one the filter matches, until emit returns false.
func (d *directory) run(q query, emit func(entry) bool) error {
	send := func(e entry) bool {
		if q.after != nil && !e.position().after(*q.after) {
			return true
		}
		if q.filter.match(e) != triTrue {
			return true
		}
		return emit(e)
	}
	target, err := d.resolve(q.base, q.viewer, q.reader)
	if err != nil {
		return err
	}
	if q.scope == scopeBase {
		send(target)
		return nil
	}
	switch target.kind {
	case kindRoot:
		// The root DSE has no children a search may walk.
		return nil
	case kindBase:
		if q.scope == scopeSub && !send(target) {
			return nil
		}
		if !send(entry{d: d, kind: kindPeople}) {
			return nil
		}
		if q.scope == scopeSub && !d.walkUsers(q, send) {
			return nil
		}
		if !send(entry{d: d, kind: kindGroups}) {
			return nil
		}
		if q.scope == scopeSub {
			d.walkGroups(send)
		}
	case kindPeople:
		if q.scope == scopeSub && !send(target) {
			return nil
		}
		d.walkUsers(q, send)
	case kindGroups:
		if q.scope == scopeSub && !send(target) {
			return nil
		}
		d.walkGroups(send)
	case kindUser, kindGroup, kindSubschema:
		if q.scope == scopeSub {
			send(target)
		}
	}
	return nil
}

func (d *directory) walkUsers(q query, send func(entry) bool) bool {
	var users []*userEntry
	all := false // users is d.users
	switch {
	case !q.reader:
		if q.viewer != nil {
			users = []*userEntry{q.viewer}
		}
	default:
		var ok bool
		if users, ok = d.planUsers(q.filter); !ok {
			users, all = d.users, true
		}
	}
	if q.after != nil {
		// Resume a paged search without walking the pages already sent.
		switch {
		case q.after.kind > kindUser:
			return true
		case q.after.kind == kindUser:
			var i int
			if all {
				i, _ = slices.BinarySearch(d.ids, q.after.id) // the flat ids, not through the entries
			} else {
				i, _ = slices.BinarySearchFunc(users, q.after.id, func(u *userEntry, id uint64) int { return compareIDs(u.u.ID, id) })
			}
			users = users[i:]
		}
	}
	for _, u := range users {
		if !send(entry{d: d, kind: kindUser, user: u}) {
			return false
		}
	}
	return true
}

func (d *directory) walkGroups(send func(entry) bool) bool {
	for _, g := range d.groups {
		if !send(entry{d: d, kind: kindGroup, group: g}) {
			return false
		}
	}
	return true
}

// resolve finds the entry named by base, or a searchError: noSuchObject for
// a name that is not there or that the viewer may not see (the two look
// the same).
func (d *directory) resolve(base DN, viewer *userEntry, reader bool) (entry, error) {
	if len(base) == 0 {
		return entry{d: d, kind: kindRoot}, nil
	}
	norm := base.Norm()
	switch norm {
	case "cn=subschema":
		return entry{d: d, kind: kindSubschema}, nil
	case d.baseNorm:
		return entry{d: d, kind: kindBase}, nil
	case d.peopleNorm:
		return entry{d: d, kind: kindPeople}, nil
	case d.groupsNorm:
		return entry{d: d, kind: kindGroups}, nil
	}
	if len(base) >= 2 && len(base[0]) == 1 {
		parent := base[1:].Norm()
		typ := canonicalType(strings.ToLower(base[0][0].Type))
		val := fold(base[0][0].Value)
		switch {
		case parent == d.peopleNorm && typ == "uid":
			for _, u := range d.usersByUID(val) {
				if reader || u == viewer {
					return entry{d: d, kind: kindUser, user: u}, nil
				}
			}
		case parent == d.groupsNorm && typ == "cn":
			if gs := d.groupByName[val]; len(gs) > 0 {
				return entry{d: d, kind: kindGroup, group: d.groups[gs[0]]}, nil
			}
		}
	}
	return entry{}, &searchError{code: resultNoSuchObject, msg: "no such entry"}
}

// planUsers narrows the users a filter can match with the indexes: an
// equality on uid or mail, or on memberOf (the group's members), inside
// any "and", or in every branch of an "or". ok is false when the filter
// gives no such handle; then every user must be tried. The result is a
// superset of the matches, in id order; the filter is still applied to
// each candidate.
func (d *directory) planUsers(f *filter) (users []*userEntry, ok bool) {
	switch f.op {
	case opEqual:
		switch f.attr {
		case "uid":
			return d.usersByUID(fold(f.value)), true
		case "mail":
			return d.usersByMail(fold(f.value)), true
		case "memberof":
			return d.groupMembers(f.value), true
		}
		return d.planPosixUsers(f)
	case opAnd:
		var best []*userEntry
		found := false
		for _, c := range f.children {
			if us, ok := d.planUsers(c); ok && (!found || len(us) < len(best)) {
				best, found = us, true
			}
		}
		return best, found
	case opOr:
		seen := map[uint64]bool{}
		var all []*userEntry
		for _, c := range f.children {
			us, ok := d.planUsers(c)
			if !ok {
				return nil, false
			}
			for _, u := range us {
				if !seen[u.u.ID] {
					seen[u.u.ID] = true
					all = append(all, u)
				}
			}
		}
		slices.SortFunc(all, func(a, b *userEntry) int { return compareIDs(a.u.ID, b.u.ID) })
		return all, true
	}
	return nil, false
}

// groupMembers returns the effective members of the group whose DN is dn
// (memberOf lists effective groups), or none when dn names no group.
func (d *directory) groupMembers(dn string) []*userEntry {
	parsed, err := ParseDN(dn)
	if err != nil || len(parsed) < 2 || len(parsed[0]) != 1 {
		return nil
	}
	if canonicalType(strings.ToLower(parsed[0][0].Type)) != "cn" || parsed[1:].Norm() != d.groupsNorm {
		return nil
	}
	// Names that differ only in case or spacing are one name to LDAP: the
	// members of all of them.
	var ids []uint64
	gs := d.groupByName[fold(parsed[0][0].Value)]
	for _, i := range gs {
		ids = append(ids, d.groups[i].effective...)
	}
	if len(gs) > 1 {
		slices.Sort(ids)
		ids = slices.Compact(ids)
	}
	out := make([]*userEntry, 0, len(ids))
	for _, id := range ids {
		if u := d.user(id); u != nil {
			out = append(out, u)
		}
	}
	return out
}
