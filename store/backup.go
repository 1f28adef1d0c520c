package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
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

// backupNameLayout names a backup in a folder by the time it was made (UTC).
const backupNameLayout = "roster-2006-01-02T1504Z.db"

// backupName matches the names Backup gives in a folder, with the number it
// adds when two backups are made in one minute. Rotation touches nothing else.
var backupName = regexp.MustCompile(`^roster-(\d{4}-\d{2}-\d{2}T\d{4}Z)(?:-(\d+))?\.db$`)

// backupTemp matches the temporary names of backups being written:
// .roster-backup-<pid>-<random>.tmp.
var backupTemp = regexp.MustCompile(`^\.roster-backup-(\d+)-[0-9a-f]+\.tmp$`)

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
	// The checksum reads the copy back, as the file holds it.
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(tmp, 0, imageLen)); err != nil {
		return nil, fmt.Errorf("read back %s: %w", tmpPath, err)
	}

	// The checks, on the copy as written, before it gets a final name.
	if err := checkCopy(tmpPath, "the new copy"); err != nil {
		return nil, err
	}
	c := &DB{path: tmpPath, Now: time.Now}
	if err := c.view(func(tx *bolt.Tx) error {
		d.Users, d.Groups = countTx(tx)
		return nil
	}); err != nil {
		return nil, err
	}
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

// hasBackupTrailer reports whether the file ends like a backup file.
func hasBackupTrailer(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < backupTrailerLen {
		return false
	}
	magic := make([]byte, len(backupMagic))
	_, err = f.ReadAt(magic, fi.Size()-backupTrailerLen)
	return err == nil && string(magic) == backupMagic
}

// createBackupTemp creates the file a backup is written to, mode 0600,
// hidden, named after this process so a later backup can remove it if
// this process dies.
func createBackupTemp(dir string) (string, *os.File, error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", nil, fmt.Errorf("random name: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf(".roster-backup-%d-%s.tmp", os.Getpid(), hex.EncodeToString(rnd[:])))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", nil, roster.Errorf(roster.EINVALID, "create backup file in %s: %v", dir, err)
	}
	return path, f, nil
}

// placeBackup gives the finished temporary file its final name: the file
// asked for, or a new name in the folder that no other backup has.
func placeBackup(tmpPath, dir, file string, made time.Time) (string, error) {
	if file != "" {
		final := filepath.Join(dir, file)
		if err := os.Rename(tmpPath, final); err != nil {
			return "", fmt.Errorf("rename backup into place: %w", err)
		}
		return final, nil
	}
	base := made.UTC().Format(backupNameLayout)
	for i := 1; i < 1000; i++ {
		name := base
		if i > 1 {
			name = strings.TrimSuffix(base, ".db") + "-" + strconv.Itoa(i) + ".db"
		}
		final := filepath.Join(dir, name)
		// A hard link never replaces a file, so two backups in the same
		// minute cannot overwrite each other.
		err := os.Link(tmpPath, final)
		if err == nil {
			os.Remove(tmpPath)
			return final, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		// A file system without hard links: check, then rename.
		if _, serr := os.Lstat(final); serr == nil {
			continue
		}
		if err := os.Rename(tmpPath, final); err != nil {
			return "", fmt.Errorf("rename backup into place: %w", err)
		}
		return final, nil
	}
	return "", roster.Errorf(roster.ECONFLICT, "too many backups named %s* in %s", strings.TrimSuffix(base, ".db"), dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// removeStaleTemps removes the temporary files of backups whose process
// has died (killed half-way, say).
func removeStaleTemps(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		m := backupTemp.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		if pid, err := strconv.Atoi(m[1]); err == nil && !processAlive(pid) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// processAlive reports whether a process with this id exists.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// rotateBackups removes the oldest backups in dir beyond keep, never the
// one just made (justMade), even when the clock went back. Only names that
// Backup gives are considered.
func rotateBackups(dir string, keep int, justMade string) ([]string, error) {
	all, err := ListBackups(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s for --keep: %w", dir, err)
	}
	var removed []string
	var errs []string
	kept := 1 // the one just made
	for _, b := range all {
		if filepath.Base(b.Path) == justMade {
			continue
		}
		if kept < keep {
			kept++
			continue
		}
		if err := os.Remove(b.Path); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		removed = append(removed, b.Path)
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("removing old backups: %s", strings.Join(errs, "; "))
	}
	return removed, nil
}

// BackupFile is a backup in a folder, known by its name.
type BackupFile struct {
	Path string
	Made time.Time // from the name: to the minute
	seq  int       // 2, 3… for further backups in the same minute
}

// ListBackups lists the backups Backup made in a folder, newest first,
// by their names (roster-2026-11-24T0330Z.db); it opens none of them.
func ListBackups(dir string) ([]BackupFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var all []BackupFile
	for _, e := range entries {
		m := backupName.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		at, err := time.Parse("2006-01-02T1504Z", m[1])
		if err != nil {
			continue
		}
		seq := 1
		if m[2] != "" {
			seq, _ = strconv.Atoi(m[2])
		}
		all = append(all, BackupFile{Path: filepath.Join(dir, e.Name()), Made: at, seq: seq})
	}
	slices.SortFunc(all, func(a, b BackupFile) int {
		if c := a.Made.Compare(b.Made); c != 0 {
			return -c
		}
		return b.seq - a.seq
	})
	return all, nil
}

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
