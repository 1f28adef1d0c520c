package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/roster-dev/roster"
)

// A backup file is a bbolt file followed by a description and a trailer:
//
//	image        the database as one read transaction saw it (bbolt Tx.WriteTo)
//	description  JSON (backupDescription)
//	trailer      56 bytes: magic "RSTRBAK1", image length, description
//	             length (both 8 bytes, big-endian), SHA-256 of image and
//	             description
//
// bbolt ignores bytes beyond the pages its meta page counts, so the file
// still opens as a plain bbolt database (for `bbolt check`, say), while the
// checksum lets restore tell a whole copy from a truncated or bit-flipped
// one: bbolt has no checksums of its own except on meta pages, and a flipped
// byte in a user's name would pass every structural check.
const (
	backupMagic      = "RSTRBAK1"
	backupTrailerLen = 8 + 8 + 8 + sha256.Size
	// maxDescriptionLen bounds what a damaged trailer can make us read.
	maxDescriptionLen = 1 << 20
)

// backupDescription is what a backup file says about itself.
type backupDescription struct {
	Format  int       `json:"format"`
	Made    time.Time `json:"made"`
	Source  string    `json:"source"`
	Host    string    `json:"host,omitempty"`
	Schema  uint64    `json:"schema"`
	Changes uint64    `json:"changes"`
	Users   int       `json:"users"`
	Groups  int       `json:"groups"`
}

// BackupInfo describes a verified backup file.
type BackupInfo struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`    // bytes of the whole file
	Made    time.Time `json:"made"`    // when the copy's read transaction began
	Source  string    `json:"source"`  // the database it was copied from
	Host    string    `json:"host"`    // the machine it was made on
	Schema  uint64    `json:"schema"`  // the copy's schema version
	Changes uint64    `json:"changes"` // the change counter in the copy
	Users   int       `json:"users"`
	Groups  int       `json:"groups"`

	imageLen int64
}

// appendTrailer writes the description and the trailer after an image of
// imageLen bytes whose SHA-256 is running in h.
func appendTrailer(w io.Writer, h hashWriter, imageLen int64, d *backupDescription) error {
	desc, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode backup description: %w", err)
	}
	h.Write(desc)
	t := make([]byte, 0, backupTrailerLen)
	t = append(t, backupMagic...)
	t = binary.BigEndian.AppendUint64(t, uint64(imageLen))
	t = binary.BigEndian.AppendUint64(t, uint64(len(desc)))
	t = h.Sum(t)
	if _, err := w.Write(desc); err != nil {
		return err
	}
	_, err = w.Write(t)
	return err
}

// hashWriter is the part of hash.Hash that appendTrailer uses.
type hashWriter interface {
	io.Writer
	Sum(b []byte) []byte
}

// damaged returns the error restore gives for a file that is not a whole
// roster backup.
func damaged(path, format string, args ...any) error {
	return roster.Errorf(roster.EINVALID, "%s is not a usable backup: %s", path, fmt.Sprintf(format, args...))
}

// readBackup checks a backup file's trailer and checksum, without trusting
// anything in it before the checksum matches, and returns its description.
func readBackup(path string) (*BackupInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, roster.Errorf(roster.ENOTFOUND, "%s does not exist", path)
		}
		return nil, roster.Errorf(roster.EINVALID, "open %s: %v", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, damaged(path, "it is not a regular file")
	}
	size := fi.Size()
	if size < backupTrailerLen {
		return nil, damaged(path, "it is only %d bytes long (empty or truncated)", size)
	}
	t := make([]byte, backupTrailerLen)
	if _, err := f.ReadAt(t, size-backupTrailerLen); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if string(t[:8]) != backupMagic {
		head := make([]byte, 4096)
		n, _ := f.ReadAt(head, 0)
		if looksLikeBolt(head[:n]) {
			return nil, damaged(path, "it is a bbolt database without the backup trailer: truncated, or not made by roster backup")
		}
		return nil, damaged(path, "it is not a roster backup (no bbolt header, no backup trailer)")
	}
	imageLen := int64(binary.BigEndian.Uint64(t[8:16]))
	descLen := int64(binary.BigEndian.Uint64(t[16:24]))
	if descLen > maxDescriptionLen || imageLen < 0 || descLen < 0 || imageLen+descLen+backupTrailerLen != size {
		return nil, damaged(path, "its trailer does not match its size of %d bytes (truncated, extended or damaged)", size)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, imageLen+descLen)); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !bytes.Equal(h.Sum(nil), t[24:]) {
		return nil, damaged(path, "its checksum does not match: the file was changed or damaged after it was made")
	}
	desc := make([]byte, descLen)
	if _, err := f.ReadAt(desc, imageLen); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var d backupDescription
	if err := json.Unmarshal(desc, &d); err != nil {
		return nil, damaged(path, "its description does not decode: %v", err)
	}
	if d.Format != 1 {
		return nil, damaged(path, "it has backup format %d, which this roster does not know; upgrade roster", d.Format)
	}
	return &BackupInfo{
		Path: path, Size: size, Made: d.Made, Source: d.Source, Host: d.Host, Schema: d.Schema,
		Changes: d.Changes, Users: d.Users, Groups: d.Groups, imageLen: imageLen,
	}, nil
}

// InspectBackup reads a backup file's description after checking its
// trailer and its checksum over the whole file; it does not open the copy
// as a database (Restore does that, and runs Check). It fails with
// ENOTFOUND or EINVALID saying what is wrong.
func InspectBackup(path string) (*BackupInfo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, roster.Errorf(roster.EINVALID, "backup path %q: %v", path, err)
	}
	return readBackup(abs)
}

// looksLikeBolt reports whether b starts with a bbolt meta page.
func looksLikeBolt(b []byte) bool {
	// page header (16 bytes), then the meta's magic 0xED0CDAED.
	return len(b) >= 20 && binary.LittleEndian.Uint32(b[16:20]) == 0xED0CDAED
}

// checkCopy runs Check on a file that is not the live database and turns
// its problems into one EINVALID error; it returns the users and groups
// the check counted.
func checkCopy(path, what string) (fileCounts, error) {
	problems, counts := childCheck(path, true)
	if len(problems) == 0 {
		return counts, nil
	}
	msg := problems[0].Error()
	if len(problems) > 1 {
		msg = fmt.Sprintf("%s (and %d more problem(s))", msg, len(problems)-1)
	}
	return counts, roster.Errorf(roster.EINVALID, "%s fails the database checks: %s", what, msg)
}
