package store

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
)

// craftBackup makes the attacker's backup of issue 13 (break 6): a real
// backup with 20 bytes of one page changed (a key's offset sent far past
// the file) and the trailer's SHA-256 made again, so every check before
// bbolt's passes. It returns a copy on which bbolt's check dies of a fault.
func craftBackup(t *testing.T, db *DB) string {
	t.Helper()
	dir := t.TempDir()
	res, err := db.Backup(local, BackupOptions{Dest: dir + "/"})
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	size := len(orig)
	imageLen := int(binary.BigEndian.Uint64(orig[size-backupTrailerLen+8:]))
	const pageSize = 4096
	for p := 2; p < imageLen/pageSize; p++ {
		at := p * pageSize
		if binary.LittleEndian.Uint16(orig[at+8:]) != 0x02 { // leaf pages only
			continue
		}
		b := append([]byte(nil), orig...)
		// The first element: flags, pos (1.5 GB on), key size, value size,
		// and the next one's flags: 20 bytes.
		for i, v := range []uint32{0, 0x60000000, 8, 8, 0} {
			binary.LittleEndian.PutUint32(b[at+16+4*i:], v)
		}
		sum := sha256.Sum256(b[:size-backupTrailerLen])
		copy(b[size-sha256.Size:], sum[:])
		path := filepath.Join(dir, "crafted.rbak")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		image := filepath.Join(dir, "image.db")
		if err := os.WriteFile(image, b[:imageLen], 0o600); err != nil {
			t.Fatal(err)
		}
		for _, p := range boltCheck(image) {
			if errors.Is(p, errCheckCrashed) {
				return path
			}
		}
	}
	t.Fatal("no crafted page made bbolt's check crash")
	return ""
}

// Ensure restore and check refuse a crafted backup with the reason, and
// the process survives: before, bbolt's check died of SIGSEGV in-process.
func TestRestoreRefusesCraftedBackup(t *testing.T) {
	db := MustOpenDB(t)
	if err := db.LoadDemo(local, demo.Make(200, 4, 7), nil); err != nil {
		t.Fatal(err)
	}
	crafted := craftBackup(t, db)
	if _, err := InspectBackup(crafted); err != nil {
		t.Fatalf("the crafted copy should pass the checksum: %v", err)
	}
	before := snapshot(t, db)
	_, err := db.Restore(local, crafted)
	wantErr(t, err, roster.EINVALID, "")
	if !strings.Contains(err.Error(), "crashed") || !strings.Contains(err.Error(), "fault") {
		t.Errorf("refusal %q does not give the reason", err)
	}
	if after := snapshot(t, db); after != before {
		t.Fatal("a refused restore changed the database")
	}

	// `roster check` on such a file as the database: problems, no crash.
	b, err := os.ReadFile(crafted)
	if err != nil {
		t.Fatal(err)
	}
	imageLen := int(binary.BigEndian.Uint64(b[len(b)-backupTrailerLen+8:]))
	path := filepath.Join(t.TempDir(), "crafted.db")
	if err := os.WriteFile(path, b[:imageLen], 0o600); err != nil {
		t.Fatal(err)
	}
	bad := &DB{path: path, Now: db.Now}
	problems := bad.Check(local)
	if len(problems) == 0 || !errors.Is(problems[len(problems)-1], errCheckCrashed) {
		t.Fatalf("check of a crafted file: %v", problems)
	}
}

// Ensure a member may not restore, even through the store's API (issue 13,
// break 7), and an admin neither; the database stays as it was.
func TestRestoreNeedsTheOwner(t *testing.T) {
	c := newPowerCast(t)
	dir := t.TempDir()
	res, err := c.db.Backup(local, BackupOptions{Dest: dir + "/"})
	if err != nil {
		t.Fatal(err)
	}
	before := contentSnapshot(t, c.db)
	for _, a := range []roster.Actor{c.memb, c.admin} {
		_, err := c.db.Restore(a, res.Path)
		wantForbidden(t, a.Name+" restores", err, "needs the owner role")
	}
	if after := contentSnapshot(t, c.db); after != before {
		t.Fatal("a refused restore changed the database")
	}
	if _, err := c.db.Restore(c.owner, res.Path); err != nil {
		t.Fatalf("the owner restores: %v", err)
	}
}
