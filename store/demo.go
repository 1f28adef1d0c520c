package store

import (
	"fmt"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	bolt "go.etcd.io/bbolt"
)

// LoadDemo writes a demo plan: missing groups, then the users in batches
// (one transaction each), then their statuses. progress, when set, hears
// the number of users written so far.
func (db *DB) LoadDemo(actor roster.Actor, p demo.Plan, progress func(done int)) error {
	err := db.update(func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpDemo, nil); err != nil {
			return err
		}
		for _, name := range p.Groups {
			if _, err := groupByNameTx(tx, name); err == nil {
				continue
			}
			if _, err := createGroupTx(tx, db.now(), name, "demo group"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	const batch = 20000
	for start := 0; start < len(p.Users); start += batch {
		end := min(start+batch, len(p.Users))
		users, err := db.CreateUsers(actor, p.Users[start:end])
		if err != nil {
			return fmt.Errorf("demo users %d–%d: %w", start+1, end, err)
		}
		byStatus := map[roster.Status][]uint64{}
		for i, u := range users {
			if st := p.Statuses[start+i]; st != roster.StatusPending {
				byStatus[st] = append(byStatus[st], u.ID)
			}
		}
		for _, st := range []roster.Status{roster.StatusActive, roster.StatusDisabled} {
			if _, err := db.SetStatus(actor, byStatus[st], st); err != nil {
				return err
			}
		}
		if progress != nil {
			progress(end)
		}
	}
	return nil
}
