package store

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// BackupOptions say where a backup goes and how many to keep.
type BackupOptions struct {
	// Dest is a file or a folder. A folder (one that exists, or a path
	// ending in a slash) gets a file named after the time of the copy,
	// roster-2026-11-24T0330Z.db. Empty means DefaultBackupDir.
	Dest string
	// Keep, when above zero, removes the oldest backups in the folder
	// beyond the newest Keep. It needs a folder.
	Keep int
	// Every, when above zero, is the interval of the schedule that makes
	// this backup; it is recorded so that a TUI can warn when the next
	// one is overdue (see BackupInterval).
	Every time.Duration
}

// BackupResult describes a backup just made.
type BackupResult struct {
	BackupInfo
	// Took is the time the whole backup took: copy, sync, checks, rename.
	Took time.Duration `json:"took_ns"`
	// Held is how long the copy held the database's shared lock, during
	// which writers wait.
	Held time.Duration `json:"held_ns"`
	// Removed lists the older backups that --keep removed.
	Removed []string `json:"removed,omitempty"`
	// Warning says what went wrong after the copy was safely in place
	// (recording it in the database, removing old copies).
	Warning string `json:"warning,omitempty"`
}

// DefaultBackupDir is the folder backups go to when no destination is
// given: "backups" next to the database file.
func (db *DB) DefaultBackupDir() string {
	return filepath.Join(filepath.Dir(db.path), "backups")
}

// Backup copies the database from one read transaction while other
// processes keep working: they wait for the lock only while the pages are
// copied, never for the sync or the checks. The copy is written to a
// temporary name in the target folder, synced, put through Check, given a
// checksum trailer, renamed into place with mode 0600 and the folder is
// synced, so a file under the final name is always whole. Then the time
// of the backup is recorded in the database (see LastBackup) and, with
// Keep, older copies are removed.
//
// Errors: EINVALID for a bad destination or a copy that fails the checks,
// EUNAVAILABLE when the database stays locked.
//
// A backup holds every password hash and the dev mailbox: it needs
// OpBackup (owners, and Roster's own schedule).
func (db *DB) Backup(actor roster.Actor, opts BackupOptions) (*BackupResult, error) {
	start := time.Now()
	if opts.Keep < 0 {
		return nil, roster.Errorf(roster.EINVALID, "keep must be 0 or more")
	}
	dest := opts.Dest
	if dest == "" {
		dest = db.DefaultBackupDir() + string(filepath.Separator)
	}
	dir, file, err := db.backupTarget(dest)
	if err != nil {
		return nil, err
	}
	if opts.Keep > 0 && file != "" {
		return nil, roster.Errorf(roster.EINVALID, "keep needs a folder as destination, not the file %s", dest)
	}
	removeStaleTemps(dir)

	tmpPath, tmp, err := createBackupTemp(dir)
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmpPath)
		}
	}()

	// The copy: the only part that holds the database, so it does nothing
	// but copy pages into the file (the page cache, really).
	host, _ := os.Hostname()
	d := backupDescription{Format: 1, Source: db.path, Host: host}
	var imageLen int64
	held, err := db.viewWaiting(BackupLockWait, func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpBackup, nil); err != nil {
			return err
		}
		d.Made = db.now()
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keySchema); len(v) == 8 {
			d.Schema = binary.BigEndian.Uint64(v)
		}
		if v := meta.Get(keyChanges); len(v) == 8 {
			d.Changes = binary.BigEndian.Uint64(v)
		}
		var err error
		imageLen, err = tx.WriteTo(tmp)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("copy database: %w", err)
	}
	// The checksum reads the copy back, as the file holds it, while the
	// checks run on the copy as written (in a child process: the two
	// take a core each), before it gets a final name.
	// The copy's pages go to the disk meanwhile (the sync after the
	// trailer then has little left to write).
	h := sha256.New()
	hashed, synced := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := io.Copy(h, io.NewSectionReader(tmp, 0, imageLen))
		hashed <- err
	}()
	go func() { synced <- tmp.Sync() }()
	counts, checkErr := checkCopy(tmpPath, "the new copy")
	if err := <-hashed; err != nil {
		return nil, fmt.Errorf("read back %s: %w", tmpPath, err)
	}
	if err := <-synced; err != nil {
		return nil, fmt.Errorf("sync %s: %w", tmpPath, err)
	}
	if checkErr != nil {
		return nil, checkErr
	}
	d.Users, d.Groups = counts.Users, counts.Groups
	if _, err := tmp.Seek(imageLen, io.SeekStart); err != nil {
		return nil, fmt.Errorf("write %s: %w", tmpPath, err)
	}
	if err := appendTrailer(tmp, h, imageLen, &d); err != nil {
		return nil, fmt.Errorf("write %s: %w", tmpPath, err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", tmpPath, err)
	}
	size, _ := tmp.Seek(0, io.SeekCurrent)
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", tmpPath, err)
	}

	final, err := placeBackup(tmpPath, dir, file, d.Made)
	if err != nil {
		return nil, err
	}
	done = true
	if err := syncDir(dir); err != nil {
		return nil, err
	}

	res := &BackupResult{
		BackupInfo: BackupInfo{
			Path: final, Size: size, Made: d.Made, Source: d.Source, Host: d.Host, Schema: d.Schema,
			Changes: d.Changes, Users: d.Users, Groups: d.Groups, imageLen: imageLen,
		},
		Held: held,
	}
	var warnings []string
	if err := db.recordBackup(d.Made, final, opts.Every, BackupLockWait); err != nil {
		warnings = append(warnings, fmt.Sprintf("the backup is whole, but recording it in the database failed: %s", roster.ErrorMessage(err)))
	}
	if opts.Keep > 0 {
		removed, err := rotateBackups(dir, opts.Keep, filepath.Base(final))
		res.Removed = removed
		if err != nil {
			warnings = append(warnings, err.Error())
		}
	}
	res.Warning = strings.Join(warnings, "; ")
	res.Took = time.Since(start)
	return res, nil
}

// backupTarget resolves a destination into its folder and, for a file
// destination, the file's name ("" for a folder).
func (db *DB) backupTarget(dest string) (dir, file string, err error) {
	abs, err := filepath.Abs(dest)
	if err != nil {
		return "", "", roster.Errorf(roster.EINVALID, "backup path %q: %v", dest, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case err == nil && fi.IsDir():
		return abs, "", nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", "", roster.Errorf(roster.EINVALID, "backup path %s: %v", abs, err)
	case strings.HasSuffix(dest, "/") || strings.HasSuffix(dest, string(filepath.Separator)):
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return "", "", roster.Errorf(roster.EINVALID, "create backup folder: %v", err)
		}
		return abs, "", nil
	}
	dir, file = filepath.Dir(abs), filepath.Base(abs)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", "", roster.Errorf(roster.EINVALID, "backup folder %s does not exist", dir)
	}
	if fi != nil { // the file exists: replace only an older backup
		if live, err := os.Stat(db.path); err == nil && os.SameFile(fi, live) {
			return "", "", roster.Errorf(roster.EINVALID, "%s is the database itself; give another file or a folder", abs)
		}
		if !fi.Mode().IsRegular() || (fi.Size() > 0 && !hasBackupTrailer(abs)) {
			return "", "", roster.Errorf(roster.EINVALID, "%s exists and is not a roster backup; refusing to overwrite it", abs)
		}
	}
	return dir, file, nil
}
