package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// RestoreResult says what a restore did.
type RestoreResult struct {
	// Backup describes the copy that was restored.
	Backup BackupInfo
	// Kept is where the replaced database file now is.
	Kept string
}

// Restore replaces the database with a backup made by Backup.
//
// It verifies the copy before touching anything: the checksum over the
// whole file (a truncated, extended or bit-flipped copy is refused), then
// it writes the copy to a temporary file next to the database, migrates it
// to this roster's schema and runs Check on it. It refuses while another
// roster process has announced itself (see Announce), naming it. Then,
// holding the database's lock, it records the restore in the new file (an
// audit event saying what was restored and when the copy was made; a change
// counter above the old one, so every open TUI reloads), keeps the replaced
// file as <db>.before-restore-<time>, and renames the new file into place,
// so the database path always holds either the old or the new database.
//
// A change another process commits while the lock is handed over lands in
// the kept file, like every change made since the copy.
//
// Errors: ENOTFOUND (no such file), EINVALID (a damaged copy, or one from a
// newer roster), ECONFLICT (another roster process is running),
// EUNAVAILABLE (the database stays locked).
func (db *DB) Restore(actor roster.Actor, path string) (*RestoreResult, error) {
	// Asked first so that a refused actor learns nothing about the file,
	// and again under the live lock, where it counts.
	if err := db.view(func(tx *bolt.Tx) error {
		_, err := mayTx(tx, actor, roster.OpRestore, nil)
		return err
	}); err != nil {
		return nil, err
	}
	info, err := InspectBackup(path)
	if err != nil {
		return nil, err
	}
	path = info.Path
	if info.Schema > SchemaVersion {
		return nil, roster.Errorf(roster.EINVALID, "%s has schema version %d, newer than this roster understands (%d); upgrade roster", path, info.Schema, SchemaVersion)
	}
	if err := db.refuseIfOthers(); err != nil {
		return nil, err
	}

	restored := false
	defer func() {
		if restored {
			db.committed() // after the lock below is let go
		}
	}()
	removeStaleRestores(db.path)
	tmpPath := fmt.Sprintf("%s.restore-%d.tmp", db.path, os.Getpid())
	if err := copyImage(path, tmpPath, info.imageLen); err != nil {
		return nil, err
	}
	placed := false
	defer func() {
		if !placed {
			os.Remove(tmpPath)
		}
	}()
	// bbolt's check, in a child process, before anything here opens the
	// copy for writing: a crafted copy must be refused, not crash us.
	if problems := boltCheck(tmpPath); len(problems) > 0 {
		return nil, roster.Errorf(roster.EINVALID, "%s fails the database checks: %v", path, problems[0])
	}
	staged := &DB{path: tmpPath, Now: db.Now}
	if err := staged.write(staged.migrate); err != nil {
		return nil, roster.Errorf(roster.EINVALID, "%s cannot be brought to this roster's schema: %s", path, roster.ErrorMessage(err))
	}
	if _, err := checkCopy(tmpPath, path); err != nil {
		return nil, err
	}

	// Hold the live file's lock from here to the rename, so that no
	// writer is half-way through a commit when the files change places.
	db.pin() // an owner lets go of its handle on the file being replaced
	defer db.unpin()
	db.mu.Lock()
	defer db.mu.Unlock()
	live, err := db.lockLive()
	if err != nil {
		return nil, err
	}
	defer live.Close()
	var liveChanges uint64
	var liveMarks idMarks
	if err := live.View(func(tx *bolt.Tx) error {
		var err error
		if actor, err = mayTx(tx, actor, roster.OpRestore, nil); err != nil {
			return err
		}
		if b := tx.Bucket(bucketMeta); b != nil {
			if v := b.Get(keyChanges); len(v) == 8 {
				liveChanges = binary.BigEndian.Uint64(v)
			}
			liveMarks = marksTx(tx)
		}
		return nil
	}); err != nil {
		if roster.ErrorCode(err) == roster.EFORBIDDEN {
			return nil, err
		}
		return nil, fmt.Errorf("read database: %w", err)
	}

	now := db.now()
	kept := db.path + ".before-restore-" + now.Format("2006-01-02T150405.000Z")
	err = staged.write(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		n := uint64(0)
		if v := meta.Get(keyChanges); len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		if err := meta.Put(keyChanges, u64(max(n, liveChanges)+1)); err != nil {
			return err
		}
		if err := putBackupTx(tx, info.Made, path); err != nil {
			return err
		}
		if err := keepMarksTx(tx, liveMarks); err != nil {
			return err
		}
		return writeAudit(tx, now, actor, roster.ActionRestore, nil, nil, restoreDetails(info, kept))
	})
	if err != nil {
		return nil, fmt.Errorf("record restore: %w", err)
	}

	if err := keepOld(db.path, kept); err != nil {
		return nil, err
	}
	if err := os.Rename(tmpPath, db.path); err != nil {
		os.Remove(kept)
		return nil, fmt.Errorf("put restored database in place: %w", err)
	}
	placed, restored = true, true
	if err := syncDir(filepath.Dir(db.path)); err != nil {
		return nil, err
	}
	return &RestoreResult{Backup: *info, Kept: kept}, nil
}

// restoreDetails is the audit event's text.
func restoreDetails(info *BackupInfo, kept string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "restored %s, a copy made %s", info.Path, info.Made.UTC().Format(time.RFC3339))
	if info.Host != "" {
		fmt.Fprintf(&b, " on %s", info.Host)
	}
	fmt.Fprintf(&b, " of %s (%d users, %d groups); the replaced file is kept as %s", info.Source, info.Users, info.Groups, kept)
	return b.String()
}

// refuseIfOthers returns ECONFLICT naming the roster processes that use
// the database.
func (db *DB) refuseIfOthers() error {
	others, err := db.Others()
	if err != nil {
		return err
	}
	if len(others) == 0 {
		return nil
	}
	names := make([]string, len(others))
	for i, p := range others {
		names[i] = p.String()
	}
	return roster.Errorf(roster.ECONFLICT, "another roster process has the database open: %s; stop it and try again", strings.Join(names, "; "))
}

// lockLive opens the live database for writing, which takes its exclusive
// lock, and names the holder when it stays busy.
func (db *DB) lockLive() (*bolt.DB, error) {
	bdb, err := bolt.Open(db.path, 0o600, &bolt.Options{Timeout: LockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, roster.Errorf(roster.EUNAVAILABLE, "database %s is busy: %s has held it for more than %s; try again when it is done",
			db.path, lockHolder(db.path), LockTimeout)
	} else if err != nil {
		return nil, roster.Errorf(roster.EUNAVAILABLE, "open database %s: %v", db.path, err)
	}
	return bdb, nil
}

// copyImage copies the first n bytes of a backup (the bbolt file, without
// its trailer) to a new file, mode 0600, and syncs it.
func copyImage(from, to string, n int64) error {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("open %s: %w", from, err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", to, err)
	}
	if _, err := io.Copy(dst, io.NewSectionReader(src, 0, n)); err != nil {
		dst.Close()
		os.Remove(to)
		return fmt.Errorf("copy %s: %w", from, err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(to)
		return fmt.Errorf("sync %s: %w", to, err)
	}
	return dst.Close()
}

// keepOld gives the database file a second name, so that it survives the
// rename that replaces it. A hard link keeps the same file; where links
// are not allowed, it is copied.
func keepOld(path, kept string) error {
	err := os.Link(path, kept)
	if err == nil {
		return nil
	}
	if !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.ENOTSUP) && !errors.Is(err, syscall.EXDEV) {
		return fmt.Errorf("keep the replaced database as %s: %w", kept, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("keep the replaced database: %w", err)
	}
	if err := copyImage(path, kept, fi.Size()); err != nil {
		return fmt.Errorf("keep the replaced database: %w", err)
	}
	return nil
}

// removeStaleRestores removes the files of restores whose process died
// before it put the copy in place.
func removeStaleRestores(path string) {
	names, _ := filepath.Glob(path + ".restore-*.tmp")
	for _, name := range names {
		var pid int
		if _, err := fmt.Sscanf(strings.TrimPrefix(name, path+".restore-"), "%d.tmp", &pid); err == nil && !processAlive(pid) {
			os.Remove(name)
		}
	}
}
