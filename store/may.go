package store

import (
	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Every exported operation takes the actor and asks roster's power table,
// in the transaction that does the work, with the actor's role as the file
// has it now.

// mayTx resolves the actor and checks op on target (nil for none).
func mayTx(tx *bolt.Tx, actor roster.Actor, op roster.Op, target *roster.User) (roster.Actor, error) {
	a, err := resolveActorTx(tx, actor)
	if err != nil {
		return a, err
	}
	return a, a.May(op, target)
}

// userForTx loads the user id for op, checking the power on them. An actor
// whose reach is only themselves is refused before the lookup, so that the
// refusal does not tell whether the id exists.
func userForTx(tx *bolt.Tx, actor roster.Actor, op roster.Op, id uint64) (roster.Actor, *roster.User, error) {
	a, err := resolveActorTx(tx, actor)
	if err != nil {
		return a, nil, err
	}
	if a.IsLocal() || a.UserID != id {
		if !a.MayOthers(op) {
			return a, nil, a.RefuseOthers(op)
		}
	}
	u, err := getUserTx(tx, id)
	if err != nil {
		return a, nil, err
	}
	return a, u, a.May(op, u)
}

// resolveActorTx refreshes a Roster user's role from the database, so a
// session keeps no power its user has lost since it signed in.
func resolveActorTx(tx *bolt.Tx, a roster.Actor) (roster.Actor, error) {
	if a.IsLocal() {
		if a.Name == "" {
			return a, roster.Errorf(roster.EINTERNAL, "operation without an actor")
		}
		return a, nil
	}
	u, err := getUserTx(tx, a.UserID)
	if err != nil || u.Status != roster.StatusActive {
		return a, roster.Errorf(roster.EFORBIDDEN, "your account is no longer active")
	}
	a.Role, a.Name, a.Scope = u.Role, u.Username, nil
	if a.Role == roster.RoleMember {
		// A manager's reach is computed here, in the transaction it serves.
		if a.Scope, err = scopeTx(tx, u.ID); err != nil {
			return a, err
		}
	}
	return a, nil
}

// May asks the table whether actor, with the role the file gives them now,
// may perform op on the user targetID (0: no target). Adapters ask it
// what to offer; the operations check again themselves.
func (db *DB) May(actor roster.Actor, op roster.Op, targetID uint64) error {
	return db.view(func(tx *bolt.Tx) error {
		if targetID == 0 {
			_, err := mayTx(tx, actor, op, nil)
			return err
		}
		_, _, err := userForTx(tx, actor, op, targetID)
		return err
	})
}
