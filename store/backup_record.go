package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Keys in the meta bucket that remember the last backup.
var (
	keyBackupAt    = []byte("last_backup_at")   // RFC 3339 time the copy was made
	keyBackupPath  = []byte("last_backup_path") // where it went
	keyBackupEvery = []byte("backup_every")     // the schedule's interval, in seconds
)

// DefaultBackupInterval is the interval a TUI assumes when no schedule
// has recorded one (see BackupInterval).
const DefaultBackupInterval = 24 * time.Hour

// recordBackup remembers the last backup in the meta bucket. It bumps the
// change counter so that open TUIs refresh their header. It tries again
// for up to wait while the database is busy: bbolt polls for the lock, so
// a steady stream of writers from other processes can outlast one second.
func (db *DB) recordBackup(made time.Time, path string, every, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := db.update(func(tx *bolt.Tx) error {
			if every > 0 {
				if err := tx.Bucket(bucketMeta).Put(keyBackupEvery, u64(uint64(every/time.Second))); err != nil {
					return err
				}
			}
			return putBackupTx(tx, made, path)
		})
		if roster.ErrorCode(err) != roster.EUNAVAILABLE || time.Now().After(deadline) {
			return err
		}
	}
}

func putBackupTx(tx *bolt.Tx, made time.Time, path string) error {
	meta := tx.Bucket(bucketMeta)
	if err := meta.Put(keyBackupAt, []byte(made.UTC().Format(time.RFC3339Nano))); err != nil {
		return err
	}
	return meta.Put(keyBackupPath, []byte(path))
}

// LastBackup returns when the last backup of this database was made and
// where it went, or the zero time when none has been recorded.
func (db *DB) LastBackup() (time.Time, string, error) {
	var at time.Time
	var path string
	err := db.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		v := meta.Get(keyBackupAt)
		if v == nil {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, string(v))
		if err != nil {
			return fmt.Errorf("last backup time %q: %w", v, err)
		}
		at, path = t, string(meta.Get(keyBackupPath))
		return nil
	})
	return at, path, err
}

// BackupInterval returns the interval of the backup schedule recorded by
// the last scheduled backup (`roster serve --backup-every`, `roster backup
// --every`), or 0 when none was. A TUI warns when LastBackup is older than
// this (or DefaultBackupInterval).
func (db *DB) BackupInterval() (time.Duration, error) {
	var every time.Duration
	err := db.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyBackupEvery); len(v) == 8 {
			every = time.Duration(binary.BigEndian.Uint64(v)) * time.Second
		}
		return nil
	})
	return every, err
}
