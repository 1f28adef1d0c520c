package store

import (
	"cmp"
	"slices"
	"strings"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// AllUsers returns every user in id order. It is the fast path a screen
// uses to load the whole list once and filter in memory.
func (db *DB) AllUsers() ([]*roster.User, error) {
	var users []*roster.User
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		users = make([]*roster.User, 0, b.Stats().KeyN)
		return b.ForEach(func(k, v []byte) error {
			u, err := decodeUser(v)
			if err != nil {
				return err
			}
			users = append(users, u)
			return nil
		})
	})
	return users, err
}

// ListUsers returns the users the filter selects, in its order
// (alphabetical by name unless the filter says otherwise).
func (db *DB) ListUsers(f roster.UserFilter) ([]*roster.User, error) {
	all, err := db.AllUsers()
	if err != nil {
		return nil, err
	}
	users := FilterUsers(all, f)
	SortUsers(users, f.Sort, f.Desc)
	return users, nil
}

// FilterUsers returns the users of all that f selects, keeping their order.
// It ignores f's sort.
func FilterUsers(all []*roster.User, f roster.UserFilter) []*roster.User {
	q := strings.ToLower(strings.TrimSpace(f.Search))
	out := make([]*roster.User, 0, len(all))
	for _, u := range all {
		if f.Status != 0 && u.Status != f.Status {
			continue
		}
		if f.GroupID != 0 && !u.InGroup(f.GroupID) {
			continue
		}
		if q != "" && !strings.Contains(u.Username, q) &&
			!strings.Contains(strings.ToLower(u.Name), q) &&
			!strings.Contains(strings.ToLower(u.Email), q) {
			continue
		}
		out = append(out, u)
	}
	return out
}

// SortUsers orders users in place by the given column; ties fall back to
// the username, which is unique, so the order is total.
func SortUsers(users []*roster.User, by roster.UserSort, desc bool) {
	var key func(u *roster.User) string
	switch by {
	case roster.SortUsername:
		key = nil
	case roster.SortEmail:
		key = func(u *roster.User) string { return strings.ToLower(u.Email) }
	case roster.SortStatus, roster.SortCreated:
	default:
		key = func(u *roster.User) string { return strings.ToLower(u.Name) }
	}
	type item struct {
		k string
		u *roster.User
	}
	items := make([]item, len(users))
	for i, u := range users {
		items[i].u = u
		if key != nil {
			items[i].k = key(u)
		}
	}
	compare := func(a, b item) int {
		c := 0
		switch by {
		case roster.SortStatus:
			c = cmp.Compare(a.u.Status, b.u.Status)
		case roster.SortCreated:
			c = a.u.CreatedAt.Compare(b.u.CreatedAt)
		default:
			c = strings.Compare(a.k, b.k)
		}
		if c == 0 {
			c = strings.Compare(a.u.Username, b.u.Username)
		}
		if desc {
			c = -c
		}
		return c
	}
	slices.SortFunc(items, compare)
	for i := range items {
		users[i] = items[i].u
	}
}

// CountByStatus returns how many users are in each status.
func CountByStatus(users []*roster.User) map[roster.Status]int {
	counts := make(map[roster.Status]int, 3)
	for _, u := range users {
		counts[u.Status]++
	}
	return counts
}
