package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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
)

// The backup folder: temporary files, final names, rotation, listing.

// backupNameLayout names a backup in a folder by the time it was made (UTC).
const backupNameLayout = "roster-2006-01-02T1504Z.db"

// backupName matches the names Backup gives in a folder, with the number it
// adds when two backups are made in one minute. Rotation touches nothing else.
var backupName = regexp.MustCompile(`^roster-(\d{4}-\d{2}-\d{2}T\d{4}Z)(?:-(\d+))?\.db$`)

// backupTemp matches the temporary names of backups being written:
// .roster-backup-<pid>-<random>.tmp.
var backupTemp = regexp.MustCompile(`^\.roster-backup-(\d+)-[0-9a-f]+\.tmp$`)

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
