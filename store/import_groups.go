package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// An import's groups section (roster.GroupRecord): the groups it names are
// created when missing (with their description) before the users are
// written; once the users are, the groups are nested in their parents and
// given their managers, who may be users of the same file. A nesting that
// would make a cycle fails the whole import, naming the cycle.

// importGroupSectionTx creates the section's missing groups.
func importGroupSectionTx(tx *bolt.Tx, db *DB, actor roster.Actor, section []roster.GroupRecord) ([]string, error) {
	var created []string
	now := db.now()
	for _, r := range section {
		if _, err := groupByNameTx(tx, r.Name); err == nil {
			continue
		}
		g, err := createGroupTx(tx, now, strings.TrimSpace(r.Name), strings.TrimSpace(r.Description))
		if err != nil {
			return nil, fmt.Errorf("groups section: %s: %w", r.Name, err)
		}
		created = append(created, g.Name)
	}
	if len(created) > 0 {
		if err := writeAudit(tx, now, actor, roster.ActionGroupCreate, created, nil,
			fmt.Sprintf("created %d groups from an import's groups section", len(created))); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// linkGroupSectionTx nests the section's groups and makes their managers;
// links that exist already are left as they are. It audits each change
// as the commands do (group.nest, group.managers.add).
func linkGroupSectionTx(tx *bolt.Tx, db *DB, actor roster.Actor, section []roster.GroupRecord) error {
	now := db.now()
	for _, r := range section {
		for _, parent := range r.Parents {
			c, p, nest, err := nestPairTx(tx, r.Name, parent)
			if err != nil {
				return fmt.Errorf("groups section: %s in %s: %w", r.Name, parent, err)
			}
			if slices.Contains(p.Children, c.ID) {
				continue
			}
			if cycle := nest.Cycle(c.ID, p.ID); cycle != nil {
				return roster.FieldErrorf(roster.ECONFLICT, "group", "groups section: nesting %s in %s would make a cycle: %s",
					c.Name, p.Name, nest.Path(cycle))
			}
			p.Children = append(p.Children, c.ID)
			slices.Sort(p.Children)
			if err := tx.Bucket(bucketGroups).Put(u64(p.ID), encodeGroup(p)); err != nil {
				return err
			}
			if err := writeAudit(tx, now, actor, roster.ActionGroupNest, []string{c.Name, p.Name}, nil,
				fmt.Sprintf("%s nested in %s by import", c.Name, p.Name)); err != nil {
				return err
			}
		}
		for _, username := range r.Managers {
			g, err := groupByNameTx(tx, r.Name)
			if err != nil {
				return err
			}
			u, err := findUserTx(tx, username)
			if err != nil {
				return fmt.Errorf("groups section: manager of %s: %w", r.Name, err)
			}
			key := key2(u.ID, g.ID)
			if tx.Bucket(bucketManagers).Get(key) != nil {
				continue
			}
			if err := tx.Bucket(bucketManagers).Put(key, nil); err != nil {
				return err
			}
			if err := writeAudit(tx, now, actor, roster.ActionManagerAdd, []string{g.Name, u.Username}, []uint64{u.ID},
				fmt.Sprintf("%s manages %s by import", u.Username, g.Name)); err != nil {
				return err
			}
		}
	}
	return nil
}
