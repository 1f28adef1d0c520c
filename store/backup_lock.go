package store

import (
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// BackupLockWait is how long a backup waits for its turn on a busy
// database. A backup is not interactive, so it waits longer than
// LockTimeout.
const BackupLockWait = 30 * time.Second

// viewWaiting runs fn in a read transaction like view, but queues for the
// shared lock in the kernel (a blocking flock on a descriptor of its own)
// for up to wait, instead of bbolt's polling every 50 ms, which a writer
// that commits back to back can starve. It returns how long the lock was
// held.
func (db *DB) viewWaiting(wait time.Duration, fn func(tx *bolt.Tx) error) (time.Duration, error) {
	db.pin() // it opens the file itself
	defer db.unpin()
	loan := db.borrow() // from serve, when this is its guest
	defer loan.giveBack()
	db.mu.RLock()
	defer db.mu.RUnlock()
	lock, err := waitSharedLock(db.path, wait)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	defer lock.Close()
	// Shared locks do not conflict, so bbolt's own succeeds at once.
	bdb, err := db.openFile(true)
	if err != nil {
		return 0, err
	}
	err = bdb.View(fn)
	bdb.Close()
	return time.Since(start), err
}

// waitSharedLock opens path and takes a shared flock on it, waiting in the
// kernel for up to wait. Closing the file releases the lock.
func waitSharedLock(path string, wait time.Duration) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, roster.Errorf(roster.EUNAVAILABLE, "open database %s: %v", path, err)
	}
	got := make(chan error, 1)
	go func() {
		for {
			err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH)
			if !errors.Is(err, syscall.EINTR) {
				got <- err
				return
			}
		}
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case err := <-got:
		if err != nil {
			f.Close()
			return nil, roster.Errorf(roster.EUNAVAILABLE, "lock database %s: %v", path, err)
		}
		return f, nil
	case <-timer.C:
		// The flock call cannot be interrupted: close the file when it
		// returns, which drops the lock if it got it.
		go func() { <-got; f.Close() }()
		return nil, roster.Errorf(roster.EUNAVAILABLE, "database %s is busy: %s has held it for more than %s",
			path, lockHolder(path), wait)
	}
}
