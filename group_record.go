package roster

import "slices"

// GroupRecord is a group as an export writes it and an import reads it
// back: its name, description, the groups it is nested in directly, and
// the usernames of its managers.
type GroupRecord struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Parents     []string `json:"parents,omitempty"`
	Managers    []string `json:"managers,omitempty"`
}

// GroupRecords turns groups into records, sorted as the groups are;
// username names a manager by id ("" leaves them out: not visible).
func GroupRecords(groups []*Group, username func(uint64) string) []GroupRecord {
	nest := NewNesting(groups)
	names := make(map[uint64]string, len(groups))
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	out := make([]GroupRecord, 0, len(groups))
	for _, g := range groups {
		r := GroupRecord{Name: g.Name, Description: g.Description}
		for _, p := range nest.Parents(g.ID) {
			r.Parents = append(r.Parents, names[p])
		}
		slices.Sort(r.Parents)
		for _, id := range g.Managers {
			if n := username(id); n != "" {
				r.Managers = append(r.Managers, n)
			}
		}
		slices.Sort(r.Managers)
		out = append(out, r)
	}
	return out
}
