package roster

import (
	"slices"
	"strings"
)

// Groups may contain groups. A group's Children are the groups nested
// directly in it; a user's effective groups are their own groups and every
// group that contains one of them, however deep. The nesting never has a
// cycle: Nesting.Cycle names the one a new link would make, and the store
// refuses it.

// Nesting is the group tree of a set of groups, for the questions asked of
// it: who contains whom, and what would make a cycle. It is built once per
// transaction or snapshot and not changed after.
type Nesting struct {
	names    map[uint64]string
	children map[uint64][]uint64
	parents  map[uint64][]uint64
	up       map[uint64][]uint64 // Containing of every nested group, computed once
}

// NewNesting reads the tree from the groups' Children. Children that name
// no group of the set are ignored (roster check reports them).
func NewNesting(groups []*Group) *Nesting {
	n := &Nesting{
		names:    make(map[uint64]string, len(groups)),
		children: make(map[uint64][]uint64),
		parents:  make(map[uint64][]uint64),
	}
	for _, g := range groups {
		n.names[g.ID] = g.Name
	}
	for _, g := range groups {
		for _, c := range g.Children {
			if _, ok := n.names[c]; ok {
				n.children[g.ID] = append(n.children[g.ID], c)
				n.parents[c] = append(n.parents[c], g.ID)
			}
		}
	}
	// Effective membership is asked per user, 100,000 times for a list:
	// each group's containing groups once here make each answer a merge.
	n.up = make(map[uint64][]uint64, len(n.parents))
	for id := range n.parents {
		n.up[id] = n.walk([]uint64{id}, n.parents)
	}
	return n
}

// Children returns the groups nested directly in gid.
func (n *Nesting) Children(gid uint64) []uint64 { return n.children[gid] }

// Parents returns the groups gid is nested in directly.
func (n *Nesting) Parents(gid uint64) []uint64 { return n.parents[gid] }

// Within returns gid and every group nested in it at any depth, ascending:
// a user is in gid, effectively, when one of their own groups is among them.
func (n *Nesting) Within(gid uint64) []uint64 { return n.walk([]uint64{gid}, n.children) }

// Containing returns gid and every group that contains it at any depth,
// ascending.
func (n *Nesting) Containing(gid uint64) []uint64 {
	if up, ok := n.up[gid]; ok {
		return slices.Clone(up)
	}
	return []uint64{gid}
}

// Effective returns a user's effective groups: their own groups (direct,
// ascending) and every group containing one of them, ascending.
func (n *Nesting) Effective(direct []uint64) []uint64 {
	out := make([]uint64, 0, len(direct)+4)
	nested := false
	for _, id := range direct {
		if up, ok := n.up[id]; ok {
			out = append(out, up...)
			nested = true
		} else {
			out = append(out, id)
		}
	}
	if nested && len(direct) > 1 {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out
}

// walk returns from and everything reachable from it along edges, sorted.
func (n *Nesting) walk(from []uint64, edges map[uint64][]uint64) []uint64 {
	seen := make(map[uint64]bool, len(from))
	stack := slices.Clone(from)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] {
			continue
		}
		seen[id] = true
		stack = append(stack, edges[id]...)
	}
	out := make([]uint64, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Cycle returns the cycle that nesting child in parent would make, as the
// groups along it from parent back to parent ("staff → dev → staff": staff
// would contain dev, which contains staff), or nil if there is none.
func (n *Nesting) Cycle(child, parent uint64) []uint64 {
	if child == parent {
		return []uint64{parent, parent}
	}
	// A path child → … → parent along the existing links closes a cycle.
	prev := map[uint64]uint64{child: child}
	queue := []uint64{child}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, c := range n.children[id] {
			if _, seen := prev[c]; seen {
				continue
			}
			prev[c] = id
			if c == parent {
				path := []uint64{parent}
				for at := parent; at != child; {
					at = prev[at]
					path = append(path, at)
				}
				slices.Reverse(path) // child … parent
				return append([]uint64{parent}, path...)
			}
			queue = append(queue, c)
		}
	}
	return nil
}

// Path names a list of groups as Cycle returns them: "staff → dev → staff".
func (n *Nesting) Path(ids []uint64) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = n.names[id]
	}
	return strings.Join(names, " → ")
}

// FindCycle returns a cycle of the whole tree, or nil; roster check asks it
// of a database whose file was changed behind Roster's back.
func (n *Nesting) FindCycle() []uint64 {
	ids := make([]uint64, 0, len(n.children))
	for id := range n.children {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, p := range ids {
		for _, c := range n.children[p] {
			if path := n.Cycle(c, p); path != nil { // the link p ∋ c closes it
				return path
			}
		}
	}
	return nil
}

// InAnyGroup reports whether u belongs directly to one of the groups ids
// (ascending), as Nesting.Within returns them: then u is effectively in
// the group they were computed for.
func (u *User) InAnyGroup(ids []uint64) bool {
	for i, j := 0, 0; i < len(u.GroupIDs) && j < len(ids); {
		switch {
		case u.GroupIDs[i] == ids[j]:
			return true
		case u.GroupIDs[i] < ids[j]:
			i++
		default:
			j++
		}
	}
	return false
}
