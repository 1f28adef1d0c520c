package ldap

import (
	"slices"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Incremental snapshots: the next snapshot is made from the previous one
// and the records that changed (store.LoadDirectory finds them, whichever
// process wrote them). What did not change is shared: user entries, the
// indexes when no username, e-mail or uidNumber moved, the groups whose
// members stayed. Only a change to the groups themselves (a name, a
// nesting) links every user again, still without decoding any.

// apply returns the snapshot d becomes with the changes in data, which
// was read with d's sums.
func (d *directory) apply(data *store.DirectoryData) *directory {
	if data.Groups != nil {
		return d.relink(data)
	}
	nd := new(directory)
	*nd = *d
	p := *d.posix
	nd.posix = &p
	if data.Keys != nil {
		p.keys = data.Keys
	}
	touched := make(map[uint64]bool, len(data.Users)+len(data.Removed))
	for _, id := range data.Removed {
		touched[id] = true
	}
	var added []*userEntry // the changed users that are Active, by id
	for _, u := range data.Users {
		touched[u.ID] = true
		if u.Status == roster.StatusActive {
			added = append(added, d.newUserEntry(u))
		}
	}
	if len(touched) == 0 {
		return nd
	}
	nd.mergeUsers(d, touched, added)
	nd.patchIndexes(d, touched, added)
	nd.patchGroups(d, touched, added)
	return nd
}

// mergeUsers makes the user and id arrays: d's without the touched ids,
// with added merged in. It compares ids in d.ids, not through the entries,
// so the walk reads two flat arrays.
func (nd *directory) mergeUsers(d *directory, touched map[uint64]bool, added []*userEntry) {
	nd.users = make([]*userEntry, 0, len(d.users)+len(added))
	nd.ids = make([]uint64, 0, len(d.users)+len(added))
	j := 0
	for i, id := range d.ids {
		for j < len(added) && added[j].u.ID < id {
			nd.users, nd.ids = append(nd.users, added[j]), append(nd.ids, added[j].u.ID)
			j++
		}
		if !touched[id] {
			nd.users, nd.ids = append(nd.users, d.users[i]), append(nd.ids, id)
		}
	}
	for ; j < len(added); j++ {
		nd.users, nd.ids = append(nd.users, added[j]), append(nd.ids, added[j].u.ID)
	}
}

// patchIndexes copies the indexes when a touched user's keys moved (or
// the user came or went); otherwise the previous ones still hold.
func (nd *directory) patchIndexes(d *directory, touched map[uint64]bool, added []*userEntry) {
	byID := make(map[uint64]*userEntry, len(added))
	for _, ue := range added {
		byID[ue.u.ID] = ue
	}
	moved := false
	for id := range touched {
		old, cur := d.user(id), byID[id]
		if (old == nil) != (cur == nil) || old != nil && (fold(old.u.Username) != fold(cur.u.Username) ||
			fold(old.u.Email) != fold(cur.u.Email) || old.u.UIDNumber != cur.u.UIDNumber) {
			moved = true
			break
		}
	}
	if !moved {
		return
	}
	uids, mails, numbers := make(hashIndex, 0, len(added)), make(hashIndex, 0, len(added)), make(hashIndex, 0, len(added))
	for _, ue := range added {
		uids, mails, numbers = append(uids, uidRef(&ue.u)), append(mails, mailRef(&ue.u)), append(numbers, uidNumberRef(&ue.u))
	}
	uids.sort()
	mails.sort()
	numbers.sort()
	nd.byUID = d.byUID.patch(touched, uids)
	nd.byMail = d.byMail.patch(touched, mails)
	nd.posix.byUIDNumber = d.posix.byUIDNumber.patch(touched, numbers)
}

// patchGroups copies the groups whose members changed: those a touched
// user was or is in, when that user's groups or presence changed.
func (nd *directory) patchGroups(d *directory, touched map[uint64]bool, added []*userEntry) {
	byID := make(map[uint64]*userEntry, len(added))
	for _, ue := range added {
		byID[ue.u.ID] = ue
	}
	affected := map[int]bool{}
	for id := range touched {
		old, cur := d.user(id), byID[id]
		if old != nil && cur != nil && slices.Equal(old.u.GroupIDs, cur.u.GroupIDs) && slices.Equal(old.groups, cur.groups) {
			continue
		}
		for _, ue := range []*userEntry{old, cur} {
			if ue == nil {
				continue
			}
			for _, gid := range ue.u.GroupIDs {
				if i, ok := d.groupAt[gid]; ok {
					affected[i] = true
				}
			}
			for _, gid := range ue.groups {
				affected[d.groupAt[gid]] = true
			}
		}
	}
	if len(affected) == 0 {
		return
	}
	nd.groups = slices.Clone(d.groups)
	for i := range affected {
		ge := *d.groups[i]
		var direct, effective []uint64
		for _, ue := range added {
			if slices.Contains(ue.u.GroupIDs, ge.g.ID) {
				direct = append(direct, ue.u.ID)
			}
			if slices.Contains(ue.groups, ge.g.ID) {
				effective = append(effective, ue.u.ID)
			}
		}
		ge.members = mergeIDs(ge.members, touched, direct)
		ge.effective = mergeIDs(ge.effective, touched, effective)
		nd.groups[i] = &ge
	}
}

// mergeIDs returns ids without those in drop, with add (sorted) merged in.
func mergeIDs(ids []uint64, drop map[uint64]bool, add []uint64) []uint64 {
	out := make([]uint64, 0, len(ids)+len(add))
	j := 0
	for _, id := range ids {
		if drop[id] {
			continue
		}
		for j < len(add) && add[j] < id {
			out = append(out, add[j])
			j++
		}
		out = append(out, id)
	}
	return append(out, add[j:]...)
}

// relink makes the next snapshot when groups changed: the kept users'
// fields (shared, not made again) with the changed users, linked to the
// new groups.
func (d *directory) relink(data *store.DirectoryData) *directory {
	touched := make(map[uint64]bool, len(data.Users)+len(data.Removed))
	for _, id := range data.Removed {
		touched[id] = true
	}
	for _, u := range data.Users {
		touched[u.ID] = true
	}
	nd := newDirectory(d.base)
	entries := make([]*userEntry, 0, len(d.users)+len(data.Users))
	for _, ue := range d.users {
		if !touched[ue.u.ID] {
			entries = append(entries, &userEntry{u: ue.u, dn: ue.dn})
		}
	}
	var lists idLists
	for _, u := range data.Users {
		if u.Status == roster.StatusActive {
			f, dn := fieldsOf(u, nd.peopleDN, &lists)
			entries = append(entries, &userEntry{u: f, dn: dn})
		}
	}
	nd.assemble(entries, data.Groups)
	nd.posix.keys = d.posix.keys
	if data.Keys != nil {
		nd.posix.keys = data.Keys
	}
	return nd
}
