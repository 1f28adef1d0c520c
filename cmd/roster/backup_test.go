package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/store"
)

// bkRun runs roster with args against db and returns the exit code and output.
func bkRun(t *testing.T, db string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"--db", db}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// Ensure backup and restore work end to end from the command line.
func TestBackupRestoreCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "roster.db")
	if code, _, stderr := bkRun(t, db, "demo", "--users", "40"); code != 0 {
		t.Fatal(stderr)
	}
	dir := t.TempDir()
	code, stdout, stderr := bkRun(t, db, "backup", dir, "--keep", "3", "--json")
	if code != 0 {
		t.Fatalf("backup: %d %s", code, stderr)
	}
	var out backupOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("backup --json printed %q: %v", stdout, err)
	}
	if filepath.Dir(out.Path) != dir || out.Users != 40 || out.Size == 0 || out.Removed == nil {
		t.Fatalf("backup --json = %+v", out)
	}
	if fi, err := os.Stat(out.Path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi.Mode(), err)
	}
	// The plain output names the path, the size, the users and the time.
	code, stdout, _ = bkRun(t, db, "backup", filepath.Join(dir, "plain.db"))
	if code != 0 || !strings.Contains(stdout, "plain.db") || !strings.Contains(stdout, "40 users") || !strings.Contains(stdout, "kB") {
		t.Fatalf("backup printed %q", stdout)
	}

	if code, _, stderr := bkRun(t, db, "groups", "add", "after-backup"); code != 0 {
		t.Fatal(stderr)
	}

	// Not on a terminal, restore wants --yes.
	code, _, stderr = bkRun(t, db, "restore", out.Path)
	if code != 2 || !strings.Contains(stderr, "--yes") {
		t.Fatalf("restore without --yes: %d %q", code, stderr)
	}
	// A damaged copy is refused with the reason.
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("junk", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = bkRun(t, db, "restore", "--yes", junk)
	if code != 1 || !strings.Contains(stderr, "is not a usable backup") {
		t.Fatalf("restore of junk: %d %q", code, stderr)
	}

	code, stdout, stderr = bkRun(t, db, "restore", "--yes", out.Path)
	if code != 0 || !strings.Contains(stdout, "before-restore") {
		t.Fatalf("restore: %d %q %q", code, stdout, stderr)
	}
	if _, stdout, _ := bkRun(t, db, "groups", "list"); strings.Contains(stdout, "after-backup") {
		t.Fatal("the group made after the backup survived the restore")
	}
	_, stdout, _ = bkRun(t, db, "audit", "--json", "-n", "1")
	if !strings.Contains(stdout, `"database.restore"`) || !strings.Contains(stdout, filepath.Base(out.Path)) {
		t.Fatalf("newest audit event: %s", stdout)
	}
}

// Ensure `roster serve --backup-dir` makes a backup at once when none was
// made yet, and stops cleanly.
func TestServeMakesBackups(t *testing.T) {
	db := filepath.Join(t.TempDir(), "roster.db")
	if code, _, stderr := bkRun(t, db, "demo", "--users", "10"); code != 0 {
		t.Fatal(stderr)
	}
	dir := filepath.Join(t.TempDir(), "backups")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	var errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--db", db, "serve", "--http", "127.0.0.1:0", "--backup-dir", dir, "--backup-every", "1h", "--backup-keep", "2"},
			strings.NewReader(""), &bytes.Buffer{}, &errb)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		names, _ := filepath.Glob(filepath.Join(dir, "roster-*.db"))
		if len(names) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("no backup appeared; serve said:\n%s", errb.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "backup made") {
		t.Fatalf("serve's log lacks the backup:\n%s", errb.String())
	}
	// The TUI learns when the last backup was made and the schedule.
	sdb, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	last, path, err := sdb.LastBackup()
	if err != nil || last.IsZero() || filepath.Dir(path) != dir {
		t.Fatalf("LastBackup = %v %q %v", last, path, err)
	}
	if every, err := sdb.BackupInterval(); err != nil || every != time.Hour {
		t.Fatalf("BackupInterval = %v %v", every, err)
	}
}
