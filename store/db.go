package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// LockTimeout is how long an operation waits for another process to let go
// of the database file before it gives up.
const LockTimeout = time.Second

// DB is a Roster database. It holds no open file between operations: each
// exported method opens the file, runs one transaction and closes it, so
// other roster processes get their turn; unless this process owns the file
// and is alone (see owner.go). A DB is safe for concurrent use.
type DB struct {
	path string

	own   *holder // set by Own: this process keeps the file open when alone
	guest guest   // this process's connection to another process that owns it
	news  news    // who waits for changes, and whether others' reach us (notify.go)

	// Now is the clock; tests set it to test expiry.
	Now func() time.Time

	// bbolt locks belong to an open file, so two opens inside one process
	// block each other like two processes would: serialise them here.
	// Readers share, writers are alone. With the owner's kept handle both
	// share (bbolt orders its own transactions); letting go of it is alone.
	mu sync.RWMutex
}

// DefaultPath returns $XDG_DATA_HOME/roster/roster.db, or
// ~/.local/share/roster/roster.db when XDG_DATA_HOME is unset.
func DefaultPath() (string, error) {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find home folder: %w", err)
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "roster", "roster.db"), nil
}

// Open prepares the database at path: it creates the folder (0700) and the
// file (0600) when missing, creates buckets and runs migrations, then closes
// the file again.
func Open(path string) (*DB, error) { return OpenClock(path, time.Now) }

// OpenClock is Open with the clock given: tests use it to open a file on
// a day an expiry date has come.
func OpenClock(path string, now func() time.Time) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("database path %q: %w", path, err)
	}
	db := &DB{path: abs, Now: now}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, roster.Errorf(roster.EUNAVAILABLE, "create database folder: %v", err)
	}
	// Most opens find the file up to date: check that under a shared lock,
	// so that opening for a read does not take the write lock and fsync.
	current, due := false, true // due: an expiry date may have come
	if fi, err := os.Stat(abs); err == nil && fi.Size() > 0 {
		if current, due, err = db.current(); err != nil {
			return nil, err
		}
	}
	if !current {
		if err := db.write(db.migrate); err != nil {
			return nil, err
		}
	}
	// A file created by an older build or another tool may be too open.
	if fi, err := os.Stat(abs); err == nil && fi.Mode().Perm()&0o077 != 0 {
		_ = os.Chmod(abs, 0o600)
	}
	// Every process that opens the file disables the accounts whose
	// expiry date has come, so a lone terminal app does it too.
	if due {
		if err := db.expireOnOpen(); err != nil {
			return nil, fmt.Errorf("disable expired accounts: %w", err)
		}
	}
	return db, nil
}

// current reports whether the file has every bucket and the schema this
// build writes, so that it needs no migration, and, in the same read,
// whether an expiry date has come (true when it cannot tell).
func (db *DB) current() (ok, due bool, err error) {
	due = true
	err = db.view(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return nil
			}
		}
		v := tx.Bucket(bucketMeta).Get(keySchema)
		ok = len(v) == 8 && binary.BigEndian.Uint64(v) == SchemaVersion
		due = len(dueIDsTx(tx, db.now())) > 0
		return nil
	})
	return ok, due, err
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

func (db *DB) now() time.Time { return db.Now().UTC().Round(0) }

// view runs fn in a read transaction on a read-only open of the file.
func (db *DB) view(fn func(tx *bolt.Tx) error) error {
	if f := db.kept(); f != nil {
		defer db.mu.RUnlock()
		return f.View(fn)
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	bdb, err := db.openFile(true)
	if err != nil {
		return err
	}
	defer bdb.Close()
	return bdb.View(fn)
}

// update runs fn in a write transaction and bumps the change counter.
func (db *DB) update(fn func(tx *bolt.Tx) error) error {
	return db.write(func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return bumpChanges(tx)
	})
}

// write runs fn in a write transaction; when the change counter moved,
// the news goes out once it is committed (notify.go).
func (db *DB) write(fn func(tx *bolt.Tx) error) error {
	moved := false
	err := db.commit(func(tx *bolt.Tx) error {
		before := counterOf(tx)
		if err := fn(tx); err != nil {
			return err
		}
		moved = counterOf(tx) != before
		return nil
	})
	if err == nil && moved {
		db.committed()
	}
	return err
}

func (db *DB) commit(fn func(tx *bolt.Tx) error) error {
	if f := db.kept(); f != nil {
		defer db.mu.RUnlock()
		return f.Update(fn)
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	bdb, err := db.openFile(false)
	if err != nil {
		return err
	}
	err = bdb.Update(fn)
	if cerr := bdb.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close database: %w", cerr)
	}
	return err
}

// openFile opens the file for one transaction, borrowing it from its
// owner when there is one (lease.go); closing the handle gives it back.
func (db *DB) openFile(readOnly bool) (f borrowedFile, err error) {
	f.loan = db.borrow()
	defer func() {
		if err != nil {
			f.loan.giveBack()
		}
	}()
	if readOnly {
		if _, err := os.Stat(db.path); err != nil {
			return f, roster.Errorf(roster.EUNAVAILABLE, "open database %s: %v", db.path, err)
		}
	}
	f.DB, err = bolt.Open(db.path, 0o600, &bolt.Options{Timeout: LockTimeout, ReadOnly: readOnly})
	if errors.Is(err, berrors.ErrTimeout) && f.loan == nil && db.visitOwner() {
		// serve took the file between our look for its socket and our
		// open (it was starting): now it lends it, or has let go.
		f.loan = db.borrow()
		f.DB, err = bolt.Open(db.path, 0o600, &bolt.Options{Timeout: LockTimeout, ReadOnly: readOnly})
	}
	if errors.Is(err, berrors.ErrTimeout) {
		return f, roster.Errorf(roster.EUNAVAILABLE, "database %s is busy: %s has held it for more than %s; try again when it is done",
			db.path, lockHolder(db.path), LockTimeout)
	} else if err != nil {
		return f, roster.Errorf(roster.EUNAVAILABLE, "open database %s: %v", db.path, err)
	}
	return f, nil
}

// Changes returns the change counter, which grows with every committed
// change. A TUI reads it to learn that another process changed something:
// at each news (Changed), and polling while changes are not Pushed.
func (db *DB) Changes() (uint64, error) {
	var n uint64
	err := db.view(func(tx *bolt.Tx) error {
		n = changesTx(tx)
		return nil
	})
	return n, err
}

// counterOf reads the change counter, 0 in a file not yet set up (a
// migration's write).
func counterOf(tx *bolt.Tx) uint64 {
	if tx.Bucket(bucketMeta) == nil {
		return 0
	}
	return changesTx(tx)
}
