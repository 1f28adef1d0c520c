package store

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Groups returns every group with its member count, sorted by name.
func (db *DB) Groups(actor roster.Actor) ([]*roster.Group, error) {
	var groups []*roster.Group
	err := db.view(func(tx *bolt.Tx) error {
		a, err := mayTx(tx, actor, roster.OpReadGroups, nil)
		if err != nil {
			return err
		}
		managers := managersByGroupTx(tx)
		return tx.Bucket(bucketGroups).ForEach(func(_, v []byte) error {
			g, err := decodeGroup(v)
			if err != nil || !a.SeesGroup(g.ID) { // a manager lists their groups
				return err
			}
			g.Members = countMembersTx(tx, g.ID)
			g.Managers = managers[g.ID]
			groups = append(groups, g)
			return nil
		})
	})
	slices.SortFunc(groups, func(a, b *roster.Group) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return groups, err
}

// Group returns the group with the name (any letter case), or ENOTFOUND.
func (db *DB) Group(actor roster.Actor, name string) (*roster.Group, error) {
	var g *roster.Group
	err := db.view(func(tx *bolt.Tx) (err error) {
		if _, err := mayTx(tx, actor, roster.OpReadGroups, nil); err != nil {
			return err
		}
		if g, err = groupByNameTx(tx, name); err == nil {
			g.Members = countMembersTx(tx, g.ID)
			g.Managers = managersByGroupTx(tx)[g.ID]
		}
		return err
	})
	return g, err
}

// GroupMembers returns the ids of the group's members, ascending.
func (db *DB) GroupMembers(actor roster.Actor, gid uint64) ([]uint64, error) {
	var ids []uint64
	err := db.view(func(tx *bolt.Tx) error {
		a, err := mayTx(tx, actor, roster.OpListUsers, nil)
		if err != nil {
			return err
		}
		if !a.SeesGroup(gid) {
			return roster.Errorf(roster.EFORBIDDEN, "you may list the members of the groups you manage only")
		}
		prefix := u64(gid)
		c := tx.Bucket(bucketGroupMembers).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, idFromKey(k[8:]))
		}
		return nil
	})
	return ids, err
}

// CreateGroup adds a group. ECONFLICT when the name is taken in any case.
func (db *DB) CreateGroup(actor roster.Actor, name, description string) (*roster.Group, error) {
	var g *roster.Group
	err := db.update(func(tx *bolt.Tx) error {
		actor, err := mayTx(tx, actor, roster.OpManageGroups, nil)
		if err != nil {
			return err
		}
		now := db.now()
		if g, err = createGroupTx(tx, now, strings.TrimSpace(name), strings.TrimSpace(description)); err != nil {
			return err
		}
		return writeAudit(tx, now, actor, roster.ActionGroupCreate, []string{g.Name}, nil, description)
	})
	return g, err
}

func createGroupTx(tx *bolt.Tx, now time.Time, name, description string) (*roster.Group, error) {
	if err := roster.ValidateGroupName(name); err != nil {
		return nil, err
	}
	if err := roster.ValidateDescription(description); err != nil {
		return nil, err
	}
	byName := tx.Bucket(bucketGroupsByName)
	key := []byte(roster.NormalizeGroupName(name))
	if byName.Get(key) != nil {
		return nil, roster.FieldErrorf(roster.ECONFLICT, "group", "group %s exists", name)
	}
	groups := tx.Bucket(bucketGroups)
	id, err := groups.NextSequence()
	if err != nil {
		return nil, err
	}
	g := &roster.Group{ID: id, Name: name, Description: description, CreatedAt: now}
	if g.GIDNumber, err = allocIDTx(tx, gidKind, id); err != nil {
		return nil, err
	}
	if err := groups.Put(u64(id), encodeGroup(g)); err != nil {
		return nil, err
	}
	return g, byName.Put(key, u64(id))
}

// UpdateGroup renames a group and/or changes its description; an empty
// newName keeps the name, a nil description keeps it.
func (db *DB) UpdateGroup(actor roster.Actor, name, newName string, description *string) (*roster.Group, error) {
	var g *roster.Group
	err := db.update(func(tx *bolt.Tx) error {
		actor, err := mayTx(tx, actor, roster.OpManageGroups, nil)
		if err != nil {
			return err
		}
		if g, err = groupByNameTx(tx, name); err != nil {
			return err
		}
		var changes []string
		newName = strings.TrimSpace(newName)
		if newName != "" && newName != g.Name {
			if err := renameGroupTx(tx, g, newName); err != nil {
				return err
			}
			changes = append(changes, fmt.Sprintf("renamed %s → %s", name, newName))
		}
		if description != nil && strings.TrimSpace(*description) != g.Description {
			d := strings.TrimSpace(*description)
			if err := roster.ValidateDescription(d); err != nil {
				return err
			}
			g.Description = d
			changes = append(changes, fmt.Sprintf("description %q", d))
		}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.Bucket(bucketGroups).Put(u64(g.ID), encodeGroup(g)); err != nil {
			return err
		}
		return writeAudit(tx, db.now(), actor, roster.ActionGroupRename, []string{g.Name}, nil, strings.Join(changes, "; "))
	})
	return g, err
}

func renameGroupTx(tx *bolt.Tx, g *roster.Group, newName string) error {
	if g.Name == roster.DirectoryReaders {
		return roster.FieldErrorf(roster.EINVALID, "group", "%s is built in: the directory needs its name", g.Name)
	}
	if err := roster.ValidateGroupName(newName); err != nil {
		return err
	}
	byName := tx.Bucket(bucketGroupsByName)
	oldKey, newKey := []byte(roster.NormalizeGroupName(g.Name)), []byte(roster.NormalizeGroupName(newName))
	if v := byName.Get(newKey); v != nil && idFromKey(v) != g.ID {
		return roster.FieldErrorf(roster.ECONFLICT, "group", "group %s exists", newName)
	}
	if err := byName.Delete(oldKey); err != nil {
		return err
	}
	g.Name = newName
	return byName.Put(newKey, u64(g.ID))
}

// DeleteGroup removes a group. A group with members is refused with
// ECONFLICT unless removeMembers is set; then the memberships go too.
func (db *DB) DeleteGroup(actor roster.Actor, name string, removeMembers bool) error {
	return db.update(func(tx *bolt.Tx) error {
		actor, err := mayTx(tx, actor, roster.OpManageGroups, nil)
		if err != nil {
			return err
		}
		g, err := groupByNameTx(tx, name)
		if err != nil {
			return err
		}
		if g.Name == roster.DirectoryReaders {
			return roster.FieldErrorf(roster.EINVALID, "group", "%s is built in and cannot be deleted", g.Name)
		}
		n := countMembersTx(tx, g.ID)
		if n > 0 && !removeMembers {
			return roster.FieldErrorf(roster.ECONFLICT, "group", "group %s has %d members; remove them first or ask to remove the memberships", g.Name, n)
		}
		var memberIDs []uint64
		prefix := u64(g.ID)
		c := tx.Bucket(bucketGroupMembers).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
			uid := idFromKey(k[8:])
			memberIDs = append(memberIDs, uid)
			u, err := getUserTx(tx, uid)
			if err != nil {
				return err
			}
			u.GroupIDs = slices.DeleteFunc(u.GroupIDs, func(id uint64) bool { return id == g.ID })
			if err := putUserTx(tx, u); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		parents, err := unnestEverywhereTx(tx, g.ID)
		if err != nil {
			return err
		}
		managers, err := deleteManagersTx(tx, 0, g.ID)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketGroups).Delete(u64(g.ID)); err != nil {
			return err
		}
		if err := releaseIDTx(tx, gidKind, g.GIDNumber); err != nil {
			return err
		}
		if err := tx.Bucket(bucketGroupsByName).Delete([]byte(roster.NormalizeGroupName(g.Name))); err != nil {
			return err
		}
		details := fmt.Sprintf("deleted with %d memberships", len(memberIDs))
		if len(parents) > 0 {
			details += "; taken out of " + strings.Join(parents, ", ")
		}
		if len(managers) > 0 {
			details += fmt.Sprintf("; %d managers no longer manage it", len(managers))
		}
		return writeAudit(tx, db.now(), actor, roster.ActionGroupDelete, []string{g.Name}, memberIDs, details)
	})
}

func groupByNameTx(tx *bolt.Tx, name string) (*roster.Group, error) {
	v := tx.Bucket(bucketGroupsByName).Get([]byte(roster.NormalizeGroupName(name)))
	if v == nil {
		return nil, roster.FieldErrorf(roster.ENOTFOUND, "group", "no group %q", strings.TrimSpace(name))
	}
	data := tx.Bucket(bucketGroups).Get(v)
	if data == nil {
		return nil, fmt.Errorf("group index %q points at nothing: %w", name, errCorrupt)
	}
	return decodeGroup(data)
}

// groupIDsTx resolves group names to sorted, unique ids.
func groupIDsTx(tx *bolt.Tx, names []string) ([]uint64, error) {
	if len(names) == 0 {
		return nil, nil
	}
	ids := make([]uint64, 0, len(names))
	for _, n := range names {
		g, err := groupByNameTx(tx, n)
		if err != nil {
			return nil, err
		}
		ids = append(ids, g.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

func countMembersTx(tx *bolt.Tx, gid uint64) int {
	n := 0
	prefix := u64(gid)
	c := tx.Bucket(bucketGroupMembers).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}
