package store

import (
	"fmt"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// RecordLogin sets the user's last login time and audits the sign-in.
// via names the door ("ssh", "ldap"), from the client's address.
func (db *DB) RecordLogin(uid uint64, via, from string) error {
	return db.update(func(tx *bolt.Tx) error {
		u, err := getUserTx(tx, uid)
		if err != nil {
			return err
		}
		now := db.now()
		u.LastLoginAt = now
		if err := putUserTx(tx, u); err != nil {
			return err
		}
		return writeAudit(tx, now, roster.Actor{Name: u.Username, UserID: u.ID, Role: u.Role}, roster.ActionLogin,
			[]string{u.Username}, []uint64{u.ID}, fmt.Sprintf("via %s from %s", via, from))
	})
}

// RecordLoginRefused audits a refused sign-in of a known user; the reason
// is for administrators, never for the client.
func (db *DB) RecordLoginRefused(uid uint64, via, from, reason string) error {
	return db.write(func(tx *bolt.Tx) error {
		u, err := getUserTx(tx, uid)
		if err != nil {
			return err
		}
		return writeAudit(tx, db.now(), roster.SystemActor(via), roster.ActionLoginRefused,
			[]string{u.Username}, []uint64{u.ID}, fmt.Sprintf("via %s from %s: %s", via, from, reason))
	})
}
