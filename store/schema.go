package store

import (
	"encoding/binary"
	"fmt"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Bucket names. A bucket added here is created on the next Open; only
// changes to existing data need a migration.
var (
	bucketMeta            = []byte("meta")
	bucketUsers           = []byte("users")
	bucketUsersByUsername = []byte("users_by_username")
	bucketUsersByEmail    = []byte("users_by_email")
	bucketGroups          = []byte("groups")
	bucketGroupsByName    = []byte("groups_by_name")
	bucketGroupMembers    = []byte("group_members")
	bucketAudit           = []byte("audit")
	bucketAuditByUser     = []byte("audit_by_user")
)

var allBuckets = [][]byte{
	bucketMeta, bucketUsers, bucketUsersByUsername, bucketUsersByEmail,
	bucketGroups, bucketGroupsByName, bucketGroupMembers, bucketAudit, bucketAuditByUser,
}

var (
	keySchema  = []byte("schema")
	keyChanges = []byte("changes")
)

// migrations[i] brings a database from schema version i to i+1.
var migrations = []func(tx *bolt.Tx, db *DB) error{
	0: func(tx *bolt.Tx, db *DB) error { return nil }, // buckets come from ensureBuckets
	1: func(tx *bolt.Tx, db *DB) error {
		// Version 2 adds the built-in group of the directory's service accounts.
		if tx.Bucket(bucketGroupsByName).Get([]byte(roster.DirectoryReaders)) != nil {
			return nil
		}
		_, err := createGroupTx(tx, db.now(), roster.DirectoryReaders,
			"Service accounts of the office's apps: they may search the whole directory.")
		return err
	},
	2: migratePosixTx,   // version 3: uidNumbers and gidNumbers for everyone (posix.go)
	3: migrateNestingTx, // version 4: group records that can hold nested groups (nesting.go)
	// Version 5 changes no record already written; it marks files that may
	// hold records an older roster cannot read (users with a given name and
	// surname, record v4; outbox jobs with keys; group managers), so that
	// an older build says "upgrade roster" instead of "corrupt".
	4: func(tx *bolt.Tx, db *DB) error { return nil },
}

// SchemaVersion is the schema this build writes.
var SchemaVersion = uint64(len(migrations))

// migrate creates missing buckets and runs the migrations the file needs.
func (db *DB) migrate(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	version := uint64(0)
	if v := meta.Get(keySchema); v != nil {
		version = binary.BigEndian.Uint64(v)
	}
	if version > SchemaVersion {
		return roster.Errorf(roster.EINVALID, "database schema version %d is newer than this roster understands (%d); upgrade roster", version, SchemaVersion)
	}
	from := version
	for ; version < SchemaVersion; version++ {
		if err := migrations[version](tx, db); err != nil {
			return fmt.Errorf("migrate schema %d→%d: %w", version, version+1, err)
		}
	}
	if from == version {
		return nil
	}
	if err := meta.Put(keySchema, u64(version)); err != nil {
		return err
	}
	if from > 0 {
		if err := writeAudit(tx, db.now(), roster.SystemActor("migrate"), roster.ActionSchemaUpdate, nil, nil,
			fmt.Sprintf("schema %d → %d", from, version)); err != nil {
			return err
		}
	}
	return bumpChanges(tx)
}

func bumpChanges(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	n := uint64(0)
	if v := meta.Get(keyChanges); v != nil {
		n = binary.BigEndian.Uint64(v)
	}
	return meta.Put(keyChanges, u64(n+1))
}

func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

func key2(a, b uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, a)
	binary.BigEndian.PutUint64(k[8:], b)
	return k
}
