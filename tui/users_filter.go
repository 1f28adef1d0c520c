package tui

import (
	"math/bits"
	"slices"
	"strings"

	"github.com/roster-dev/roster"
)

// filterRows returns the rows of base that match. When nothing filters,
// base itself is returned; it is never changed.
//
// When base holds every row (a first keystroke), the matches are found in
// id order, the order the rows and keys lie in memory, into a bitmap, and
// base is then walked through the bitmap: walking base in name order
// would visit the rows in no order memory likes.
func filterRows(snap *snapshot, base []int32, st roster.Status, gid uint64, role roster.Role, q string, filters bool) []int32 {
	if !filters {
		return base
	}
	snap.withKeys()
	var within []uint64 // the group and the groups nested in it
	if gid != 0 {
		within = snap.nest.Within(gid)
	}
	rows := snap.rows
	match := func(r *row) bool {
		return tabMatch(st, r) && (within == nil || r.InAnyGroup(within)) && (role == 0 || r.Role == role)
	}
	var out []int32
	if len(base) < len(rows) || len(rows) < 4096 {
		out = make([]int32, 0, len(base)/4+16)
		for _, i := range base {
			r := &rows[i]
			// The query matches the name, username, e-mail or role.
			if match(r) && (q == "" || strings.Contains(snap.rowKeys[i].key, q) || strings.Contains(r.Role.String(), q)) {
				out = append(out, i)
			}
		}
		return out
	}
	hit := snap.textMatches(q)
	if st != 0 || within != nil || role != 0 {
		for i := range rows {
			if hit.has(int32(i)) && !match(&rows[i]) {
				hit.clear(int32(i))
			}
		}
	}
	out = slices.Grow(out[:0], hit.count()) // made once: a growing list of a million costs more than the scan
	for _, i := range base {
		if hit.has(i) {
			out = append(out, i)
		}
	}
	return out
}

// bitmap is a set of rows.
type bitmap []uint64

func (b bitmap) has(i int32) bool { return b[i>>6]&(1<<(i&63)) != 0 }
func (b bitmap) set(i int32)      { b[i>>6] |= 1 << (i & 63) }
func (b bitmap) clear(i int32)    { b[i>>6] &^= 1 << (i & 63) }

func (b bitmap) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// textMatches returns the rows whose key or role holds q (every row when
// q is ""), scanning the key chunks with strings.Index: it skips over the
// rows without a match at the speed of memory.
func (s *snapshot) textMatches(q string) bitmap {
	hit := make(bitmap, (len(s.rows)+63)/64)
	var roles [256]bool // by role: its name holds q
	for _, r := range []roster.Role{roster.RoleOwner, roster.RoleAdmin, roster.RoleMember} {
		roles[r] = strings.Contains(r.String(), q)
	}
	if q == "" || strings.IndexByte(q, 0) >= 0 { // every row, or no key (a zero byte ends each)
		for i := range s.rows {
			r := &s.rows[i]
			if q == "" || strings.Contains(s.rowKeys[i].key, q) || roles[r.Role] {
				hit.set(int32(i))
			}
		}
		return hit
	}
	for _, k := range s.keys {
		row, pos := 0, 0
		for {
			j := strings.Index(k.text[pos:], q)
			if j < 0 {
				break
			}
			at := int32(pos + j)
			for k.ends[row] <= at {
				row++
			}
			hit.set(k.first + int32(row))
			pos = int(k.ends[row]) + 1
			row++
			if pos >= len(k.text) {
				break
			}
		}
	}
	if roles[roster.RoleOwner] || roles[roster.RoleAdmin] || roles[roster.RoleMember] {
		for i, r := range s.roles {
			if roles[r] {
				hit.set(int32(i))
			}
		}
	}
	return hit
}

// listSorts are the orders s cycles through.
var listSorts = append(slices.Clone(roster.UserSorts), sortRole)

func nextSort(by roster.UserSort) roster.UserSort {
	i := slices.Index(listSorts, by)
	return listSorts[(i+1)%len(listSorts)]
}

// sortName names an order for the footer.
func sortName(by roster.UserSort) string {
	if by == sortRole {
		return "role"
	}
	return by.String()
}

// nextRoleFilter cycles the role filter: any, owner, admin, member.
func nextRoleFilter(r roster.Role) roster.Role {
	switch r {
	case 0:
		return roster.RoleOwner
	case roster.RoleOwner:
		return roster.RoleAdmin
	case roster.RoleAdmin:
		return roster.RoleMember
	}
	return 0
}
