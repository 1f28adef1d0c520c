package ldap

import (
	"slices"

	"github.com/roster-dev/roster"
)

// Nested groups in a snapshot: a group's member attribute lists the groups
// nested in it by DN, a user's memberOf lists every group they are in
// through nesting, and the in-chain rule (LDAP_MATCHING_RULE_IN_CHAIN)
// follows the chain from a group down to users and groups.

// nestGroups links the snapshot's groups along the nesting and returns,
// for each group id, the groups containing it at any depth (itself first),
// which effectiveGroups unites per user.
func nestGroups(d *directory, groups []*roster.Group) map[uint64][]uint64 {
	nest := roster.NewNesting(groups)
	containing := make(map[uint64][]uint64, len(groups))
	for _, ge := range d.groups {
		ge.subgroups = slices.Sorted(slices.Values(nest.Children(ge.g.ID)))
		ge.within = nest.Within(ge.g.ID)
		containing[ge.g.ID] = nest.Containing(ge.g.ID)
	}
	return containing
}

// effectiveGroups returns the groups of a user with the direct groups ids:
// those and every group containing one, by id. A user in one group (the
// common case) shares that group's list.
func effectiveGroups(ids []uint64, containing map[uint64][]uint64) []uint64 {
	switch len(ids) {
	case 0:
		return nil
	case 1:
		return containing[ids[0]]
	}
	var out []uint64
	for _, id := range ids {
		out = append(out, containing[id]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// directMembers are the values of member and uniqueMember: the DNs of the
// group's own users, then of the groups nested in it.
func directMembers(d *directory, g *groupEntry) []string {
	out := make([]string, 0, len(g.members)+len(g.subgroups))
	for _, id := range g.members {
		if u := d.user(id); u != nil {
			out = append(out, u.dn)
		}
	}
	for _, id := range g.subgroups {
		if sg := d.group(id); sg != nil {
			out = append(out, sg.dn)
		}
	}
	return out
}

// chainMembers are the values the in-chain rule compares a group's member
// and uniqueMember with: every user and every group inside it, at any
// depth.
func chainMembers(d *directory, g *groupEntry) []string {
	out := make([]string, 0, len(g.effective)+len(g.within))
	for _, id := range g.effective {
		if u := d.user(id); u != nil {
			out = append(out, u.dn)
		}
	}
	for _, id := range g.within {
		if sg := d.group(id); sg != nil && id != g.g.ID {
			out = append(out, sg.dn)
		}
	}
	return out
}

// chainValues implements chainSource: a group's member and uniqueMember
// reach every user and group inside it; memberOf is already effective.
func (e entry) chainValues(attr string) []string {
	if e.kind == kindGroup && (attr == "member" || attr == "uniquemember") {
		return chainMembers(e.d, e.group)
	}
	return e.values(attr)
}
