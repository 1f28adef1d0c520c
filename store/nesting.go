package store

import (
	"fmt"
	"slices"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Nested groups live in the parent's record (roster.Group.Children); the
// tree is small (a few thousand groups at most) and read whole when asked,
// so there is no second index to keep in step.

// NestGroup puts the group child inside parent: parent's members then
// include, effectively, child's. A link that would make a cycle is refused
// with ECONFLICT naming it ("staff → dev → staff").
func (db *DB) NestGroup(actor roster.Actor, child, parent string) error {
	return db.update(func(tx *bolt.Tx) error {
		actor, err := mayTx(tx, actor, roster.OpManageGroups, nil)
		if err != nil {
			return err
		}
		c, p, nest, err := nestPairTx(tx, child, parent)
		if err != nil {
			return err
		}
		if slices.Contains(p.Children, c.ID) {
			return nil
		}
		if cycle := nest.Cycle(c.ID, p.ID); cycle != nil {
			return roster.FieldErrorf(roster.ECONFLICT, "group", "nesting %s in %s would make a cycle: %s (→ reads \"contains\")",
				c.Name, p.Name, nest.Path(cycle))
		}
		p.Children = append(p.Children, c.ID)
		slices.Sort(p.Children)
		if err := tx.Bucket(bucketGroups).Put(u64(p.ID), encodeGroup(p)); err != nil {
			return err
		}
		return writeAudit(tx, db.now(), actor, roster.ActionGroupNest, []string{c.Name, p.Name}, nil,
			fmt.Sprintf("%s nested in %s", c.Name, p.Name))
	})
}

// UnnestGroup takes the group child out of parent. ENOTFOUND when child
// is not directly in parent.
func (db *DB) UnnestGroup(actor roster.Actor, child, parent string) error {
	return db.update(func(tx *bolt.Tx) error {
		actor, err := mayTx(tx, actor, roster.OpManageGroups, nil)
		if err != nil {
			return err
		}
		c, p, _, err := nestPairTx(tx, child, parent)
		if err != nil {
			return err
		}
		i, found := slices.BinarySearch(p.Children, c.ID)
		if !found {
			return roster.FieldErrorf(roster.ENOTFOUND, "group", "%s is not nested in %s", c.Name, p.Name)
		}
		p.Children = slices.Delete(p.Children, i, i+1)
		if err := tx.Bucket(bucketGroups).Put(u64(p.ID), encodeGroup(p)); err != nil {
			return err
		}
		return writeAudit(tx, db.now(), actor, roster.ActionGroupUnnest, []string{c.Name, p.Name}, nil,
			fmt.Sprintf("%s taken out of %s", c.Name, p.Name))
	})
}

// migrateNestingTx rewrites every group record in version 3, which holds
// nested groups. Nothing needs it to read them; the schema's version moves
// so that a build which cannot read them refuses the file by its version
// instead of calling a record corrupt.
func migrateNestingTx(tx *bolt.Tx, _ *DB) error {
	groups, err := allGroupsTx(tx)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := tx.Bucket(bucketGroups).Put(u64(g.ID), encodeGroup(g)); err != nil {
			return err
		}
	}
	return nil
}

// nestPairTx loads the two groups of a nesting change and the tree as it is.
func nestPairTx(tx *bolt.Tx, child, parent string) (c, p *roster.Group, nest *roster.Nesting, err error) {
	if c, err = groupByNameTx(tx, child); err != nil {
		return nil, nil, nil, err
	}
	if p, err = groupByNameTx(tx, parent); err != nil {
		return nil, nil, nil, err
	}
	groups, err := allGroupsTx(tx)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, p, roster.NewNesting(groups), nil
}

// Nesting returns the group tree, for callers that show or use effective
// membership (the directory, the list's group filter, the group picker).
func (db *DB) Nesting(actor roster.Actor) (*roster.Nesting, error) {
	var nest *roster.Nesting
	err := db.view(func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpReadGroups, nil); err != nil {
			return err
		}
		var err error
		nest, err = nestingTx(tx)
		return err
	})
	return nest, err
}

// EffectiveGroups returns the ids of the user's effective groups: their
// own and every group containing one of them, ascending.
func (db *DB) EffectiveGroups(actor roster.Actor, userID uint64) ([]uint64, error) {
	var ids []uint64
	err := db.view(func(tx *bolt.Tx) error {
		_, u, err := userForTx(tx, actor, roster.OpReadUser, userID)
		if err != nil {
			return err
		}
		nest, err := nestingTx(tx)
		if err != nil {
			return err
		}
		ids = nest.Effective(u.GroupIDs)
		return nil
	})
	return ids, err
}

func nestingTx(tx *bolt.Tx) (*roster.Nesting, error) {
	groups, err := allGroupsTx(tx)
	if err != nil {
		return nil, err
	}
	return roster.NewNesting(groups), nil
}

func allGroupsTx(tx *bolt.Tx) ([]*roster.Group, error) {
	var groups []*roster.Group
	err := tx.Bucket(bucketGroups).ForEach(func(_, v []byte) error {
		g, err := decodeGroup(v)
		if err != nil {
			return err
		}
		groups = append(groups, g)
		return nil
	})
	return groups, err
}

// unnestEverywhereTx takes the group gid out of every group that holds it,
// for its deletion; it returns the parents' names.
func unnestEverywhereTx(tx *bolt.Tx, gid uint64) ([]string, error) {
	groups, err := allGroupsTx(tx)
	if err != nil {
		return nil, err
	}
	var parents []string
	for _, g := range groups {
		i, found := slices.BinarySearch(g.Children, gid)
		if !found {
			continue
		}
		g.Children = slices.Delete(g.Children, i, i+1)
		if err := tx.Bucket(bucketGroups).Put(u64(g.ID), encodeGroup(g)); err != nil {
			return nil, err
		}
		parents = append(parents, g.Name)
	}
	return parents, nil
}

// checkNestingTx reports children that name no group, children out of
// order, and cycles.
func checkNestingTx(tx *bolt.Tx, report func(string, ...any)) {
	groups, err := allGroupsTx(tx)
	if err != nil {
		return // checkGroupsTx reports the record
	}
	exists := make(map[uint64]bool, len(groups))
	for _, g := range groups {
		exists[g.ID] = true
	}
	for _, g := range groups {
		if !slices.IsSorted(g.Children) || len(slices.Compact(slices.Clone(g.Children))) != len(g.Children) {
			report("group %s: nested groups not in ascending order or repeated", g.Name)
		}
		for _, c := range g.Children {
			if !exists[c] {
				report("group %s holds missing group %d", g.Name, c)
			}
		}
	}
	nest := roster.NewNesting(groups)
	if cycle := nest.FindCycle(); cycle != nil {
		report("groups nest in a cycle: %s", nest.Path(cycle))
	}
}
