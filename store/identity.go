package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

var keyID = []byte("id")

// ID returns the database's identity: 16 random bytes in hex, made the
// first time it is asked for and kept in the file, so that a health check
// can tell this database from another at the same path (or the same
// database at another path). A backup carries the identity of the database
// it copies, and a restore brings it back.
func (db *DB) ID() (string, error) {
	var id string
	err := db.view(func(tx *bolt.Tx) error {
		id = string(tx.Bucket(bucketMeta).Get(keyID))
		return nil
	})
	if err != nil || id != "" {
		return id, err
	}
	// Not a change anyone needs to see: write, not update.
	err = db.write(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyID); v != nil {
			id = string(v)
			return nil
		}
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("database identity: %w", err)
		}
		id = hex.EncodeToString(b)
		return meta.Put(keyID, []byte(id))
	})
	return id, err
}

// SchemaVersionOf returns the schema version recorded in the file.
func (db *DB) SchemaVersionOf() (uint64, error) {
	var v uint64
	err := db.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta).Get(keySchema); len(b) == 8 {
			v = binary.BigEndian.Uint64(b)
		}
		return nil
	})
	return v, err
}
