package store_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/store"
)

var bkActor = roster.LocalActor("tester")

// bkOpen opens a new database in a temporary folder.
func bkOpen(t testing.TB) *store.DB {
	t.Helper()
	return storetest.Open(t)
}

// bkFill adds n demo users in a few groups.
func bkFill(t testing.TB, db *store.DB, n int) {
	t.Helper()
	if err := db.LoadDemo(bkActor, demo.Make(n, 4, 7), nil); err != nil {
		t.Fatal(err)
	}
}

func bkFileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// bkHelper starts this test binary again as a helper process in the given
// mode (see TestBackupHelperProcess). Its stdout lines arrive on lines;
// closing stdin asks it to stop.
type bkHelper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func bkStart(t *testing.T, mode string, env ...string) *bkHelper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBackupHelperProcess$", "-test.v=false")
	cmd.Env = append(os.Environ(), append(env, "ROSTER_BACKUP_HELPER="+mode)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &bkHelper{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			h.mu.Lock()
			h.lines = append(h.lines, sc.Text())
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-h.done
		_ = cmd.Wait()
	})
	return h
}

// Lines returns a copy of what the helper printed so far.
func (h *bkHelper) Lines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.lines)
}

// waitFor polls cond until it holds or 30 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestBackupHelperProcess is not a test: the tests below start the test
// binary again in one of these modes to act as another roster process.
func TestBackupHelperProcess(t *testing.T) {
	mode := os.Getenv("ROSTER_BACKUP_HELPER")
	if mode == "" {
		t.Skip("helper process for the backup tests")
	}
	db, err := store.Open(os.Getenv("ROSTER_HELPER_DB"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	stop := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stop)
	}()
	switch mode {
	case "writer":
		// Create users one transaction each, and say so after each commit.
		for i := 1; ; i++ {
			select {
			case <-stop:
				os.Exit(0)
			default:
			}
			name := fmt.Sprintf("writer%06d", i)
			if _, err := db.CreateUser(bkActor, roster.NewUser{Username: name, Name: "Writer", Email: name + "@example.com"}); err != nil {
				fmt.Println("error:", err)
				os.Exit(1)
			}
			fmt.Println(name)
		}
	case "backup":
		if _, err := db.Backup(bkActor, store.BackupOptions{Dest: os.Getenv("ROSTER_HELPER_DEST")}); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("done")
	case "announce":
		release, err := db.Announce("roster serve")
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		<-stop
		release()
	}
	os.Exit(0)
}

// Ensure backups taken while another process writes continuously are
// whole, pass the checks and hold every change committed before they
// began, and that the writer never fails because of them.
func TestBackupWhileAnotherProcessWrites(t *testing.T) {
	db := bkOpen(t)
	bkFill(t, db, 2000)
	w := bkStart(t, "writer", "ROSTER_HELPER_DB="+db.Path())
	waitFor(t, "the writer's first commits", func() bool { return len(w.Lines()) >= 20 })

	dir := t.TempDir()
	for round := range 5 {
		before := w.Lines()
		res, err := db.Backup(bkActor, store.BackupOptions{Dest: dir + "/"})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for _, l := range before {
			if strings.HasPrefix(l, "error:") {
				t.Fatalf("the writer failed: %s", l)
			}
		}
		if res.Users < 2000+len(before) {
			t.Fatalf("round %d: backup holds %d users, want at least %d", round, res.Users, 2000+len(before))
		}
		// Restore the copy into a database of its own and look for every
		// user committed before the backup began.
		other := bkOpen(t)
		if _, err := other.Restore(bkActor, res.Path); err != nil {
			t.Fatalf("round %d: restore the copy: %v", round, err)
		}
		if problems := other.Check(bkActor); len(problems) > 0 {
			t.Fatalf("round %d: restored copy fails the checks: %v", round, problems)
		}
		for _, name := range before {
			if _, err := other.FindUser(bkActor, name); err != nil {
				t.Fatalf("round %d: %s was committed before the backup began but is not in it: %v", round, name, err)
			}
		}
		n := len(w.Lines())
		waitFor(t, "the writer to go on writing", func() bool { return len(w.Lines()) >= n+5 })
	}
	w.stdin.Close()
	<-w.done
	if err := w.cmd.Wait(); err != nil {
		t.Fatalf("the writer failed while backups ran: %v (last line %q)", err, w.Lines()[len(w.Lines())-1])
	}
	if problems := db.Check(bkActor); len(problems) > 0 {
		t.Fatalf("live database fails the checks: %v", problems)
	}
}

// Ensure what was backed up is what comes back: users, groups, the audit
// log, and that the replaced file is kept and the restore audited.
func TestRestoreRoundTrip(t *testing.T) {
	db := bkOpen(t)
	bkFill(t, db, 300)
	if _, err := db.CreateGroup(bkActor, "auditors", "people who read logs"); err != nil {
		t.Fatal(err)
	}
	ada, err := db.CreateUser(bkActor, roster.NewUser{Username: "ada", Name: "Ada Lovelace", Email: "ada@example.com", Groups: []string{"auditors"}})
	if err != nil {
		t.Fatal(err)
	}
	wantUsers, _ := db.AllUsers(bkActor)
	wantGroups, _ := db.Groups(bkActor)
	wantAudit, _ := db.AuditEvents(bkActor, store.AuditFilter{})
	changesAtBackup, _ := db.Changes()

	res, err := db.Backup(bkActor, store.BackupOptions{Dest: filepath.Join(t.TempDir(), "copy.db")})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(res.Path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file mode: %v %v", fi.Mode(), err)
	}
	at, path, err := db.LastBackup()
	if err != nil || !at.Equal(res.Made) || path != res.Path {
		t.Fatalf("LastBackup = %v %q %v, want %v %q", at, path, err, res.Made, res.Path)
	}

	// Lose things: delete users, a group, add someone.
	if _, err := db.DeleteUsers(bkActor, []uint64{ada.ID, wantUsers[0].ID}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteGroup(bkActor, "auditors", true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(bkActor, roster.NewUser{Username: "mallory", Name: "Mallory", Email: "m@example.com"}); err != nil {
		t.Fatal(err)
	}
	changesBefore, _ := db.Changes()
	// A restore that died half-way left its file; this one clears it.
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := fmt.Sprintf("%s.restore-%d.tmp", db.Path(), dead.Process.Pid)
	if err := os.WriteFile(stale, []byte("half a database"), 0o600); err != nil {
		t.Fatal(err)
	}

	rr, err := db.Restore(bkActor, res.Path)
	if err != nil {
		t.Fatal(err)
	}
	gotUsers, _ := db.AllUsers(bkActor)
	gotGroups, _ := db.Groups(bkActor)
	if !reflect.DeepEqual(gotUsers, wantUsers) {
		t.Fatalf("users differ after restore: %d users, want %d", len(gotUsers), len(wantUsers))
	}
	if !reflect.DeepEqual(gotGroups, wantGroups) {
		t.Fatalf("groups differ after restore:\n got %v\nwant %v", gotGroups, wantGroups)
	}
	gotAudit, _ := db.AuditEvents(bkActor, store.AuditFilter{})
	if len(gotAudit) != len(wantAudit)+1 || !reflect.DeepEqual(gotAudit[1:], wantAudit) {
		t.Fatalf("audit log differs after restore: %d events, want %d + the restore", len(gotAudit), len(wantAudit))
	}
	ev := gotAudit[0]
	if ev.Action != roster.ActionRestore || ev.Actor != bkActor.String() ||
		!strings.Contains(ev.Details, res.Path) || !strings.Contains(ev.Details, res.Made.UTC().Format(time.RFC3339)) {
		t.Fatalf("restore audit event = %+v", ev)
	}
	if problems := db.Check(bkActor); len(problems) > 0 {
		t.Fatalf("restored database fails the checks: %v", problems)
	}
	// Every open TUI must see a change: the counter moves past both.
	if n, _ := db.Changes(); n <= changesBefore || n <= changesAtBackup {
		t.Fatalf("change counter %d after restore, was %d (and %d in the copy)", n, changesBefore, changesAtBackup)
	}
	if fi, err := os.Stat(db.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("restored database mode: %v %v", fi.Mode(), err)
	}

	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the dead restore's file is still there: %v", err)
	}

	// The replaced file is kept and holds what the restore rolled back.
	if !strings.HasPrefix(filepath.Base(rr.Kept), "roster.db.before-restore-") {
		t.Fatalf("kept file named %s", rr.Kept)
	}
	kept, err := store.Open(rr.Kept)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kept.FindUser(bkActor, "mallory"); err != nil {
		t.Fatalf("the kept file lacks the change made after the backup: %v", err)
	}
	if _, err := db.FindUser(bkActor, "mallory"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Fatalf("mallory after restore: %v", err)
	}
}

// Ensure damaged copies are refused with the reason, and that the live
// database is untouched.
func TestRestoreRefusesDamagedCopies(t *testing.T) {
	db := bkOpen(t)
	bkFill(t, db, 200)
	dir := t.TempDir()
	res, err := db.Backup(bkActor, store.BackupOptions{Dest: filepath.Join(dir, "good.db")})
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(at int) []byte {
		b := bytes.Clone(good)
		b[at] ^= 0x01
		return b
	}
	liveCopy, _ := os.ReadFile(db.Path())
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"empty", "empty or truncated", nil},
		{"truncated in half", "without the backup trailer", good[:len(good)/2]},
		{"trailer cut", "without the backup trailer", good[:len(good)-10]},
		{"first byte missing", "does not match its size", good[1:]},
		{"a bit flipped in the data", "checksum does not match", flip(len(good) / 2)},
		{"a bit flipped in a meta page", "checksum does not match", flip(40)},
		{"a bit flipped in the checksum", "checksum does not match", flip(len(good) - 1)},
		{"extended", "does not match its size", append(append(bytes.Clone(good[:len(good)-56]), 0), good[len(good)-56:]...)},
		{"text", "not a roster backup", []byte(strings.Repeat("not a database at all\n", 20))},
		{"plain bbolt file", "without the backup trailer", liveCopy},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".db")
			if err := os.WriteFile(path, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			before := bkFileSum(t, db.Path())
			_, err := db.Restore(bkActor, path)
			if err == nil {
				t.Fatal("restore accepted a damaged copy")
			}
			if roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error = %q (%s), want EINVALID naming the file and saying %q", err, roster.ErrorCode(err), c.want)
			}
			if bkFileSum(t, db.Path()) != before {
				t.Fatal("the live database changed")
			}
			left, _ := filepath.Glob(db.Path() + ".*")
			for _, l := range left {
				if !strings.HasSuffix(l, ".procs") {
					t.Fatalf("restore left %s behind", l)
				}
			}
		})
	}
	// The good one still restores.
	if _, err := db.Restore(bkActor, res.Path); err != nil {
		t.Fatal(err)
	}
}

// Ensure a backup process killed with SIGKILL leaves nothing under a
// final name, and that the next backup removes its temporary file.
func TestBackupKilledLeavesNoFinalFile(t *testing.T) {
	db := bkOpen(t)
	bkFill(t, db, 5000)
	killedMidway := false
	for attempt := 0; attempt < 8 && !killedMidway; attempt++ {
		dest := t.TempDir()
		h := bkStart(t, "backup", "ROSTER_HELPER_DB="+db.Path(), "ROSTER_HELPER_DEST="+dest)
		var temp string
		waitFor(t, "the helper's temporary file", func() bool {
			names, _ := filepath.Glob(filepath.Join(dest, ".roster-backup-*.tmp"))
			if len(names) > 0 {
				temp = names[0]
				return true
			}
			finals, _ := filepath.Glob(filepath.Join(dest, "roster-*.db"))
			return len(finals) > 0 // too late: it finished
		})
		if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-h.done
		_ = h.cmd.Wait()
		finals, _ := filepath.Glob(filepath.Join(dest, "roster-*.db"))
		if _, err := os.Stat(temp); temp != "" && err == nil {
			killedMidway = true
			if len(finals) > 0 {
				t.Fatalf("a backup killed midway left %v under a final name", finals)
			}
			// The next backup into the folder clears the dead one's file.
			if _, err := db.Backup(bkActor, store.BackupOptions{Dest: dest}); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(temp); !os.IsNotExist(err) {
				t.Fatalf("the killed backup's temporary file is still there: %v", err)
			}
		}
		// Whatever is under a final name is whole.
		for _, f := range finals {
			if _, err := bkOpen(t).Restore(bkActor, f); err != nil {
				t.Fatalf("%s is under a final name but not whole: %v", f, err)
			}
		}
	}
	if !killedMidway {
		t.Fatal("never managed to kill a backup half-way")
	}
}

// Ensure --keep removes the oldest backups beyond N and nothing else.
func TestBackupKeepRotation(t *testing.T) {
	db := bkOpen(t)
	bkFill(t, db, 20)
	dir := t.TempDir()
	for _, name := range []string{"notes.txt", "roster-latest.db", "roster-2020-01-01T0000Z.db.bak"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	clock := time.Date(2026, 11, 24, 3, 30, 0, 0, time.UTC)
	db.Now = func() time.Time { return clock }
	var removed []string
	for _, step := range []time.Duration{0, 24 * time.Hour, 24 * time.Hour, 10 * time.Second, 24 * time.Hour} {
		clock = clock.Add(step)
		res, err := db.Backup(bkActor, store.BackupOptions{Dest: dir, Keep: 3})
		if err != nil {
			t.Fatal(err)
		}
		if res.Warning != "" {
			t.Fatal(res.Warning)
		}
		removed = append(removed, res.Removed...)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{
		"notes.txt", "roster-2020-01-01T0000Z.db.bak",
		"roster-2026-11-26T0330Z-2.db", "roster-2026-11-26T0330Z.db", "roster-2026-11-27T0330Z.db",
		"roster-latest.db",
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("folder holds\n%v\nwant\n%v", names, want)
	}
	wantRemoved := []string{filepath.Join(dir, "roster-2026-11-24T0330Z.db"), filepath.Join(dir, "roster-2026-11-25T0330Z.db")}
	if !reflect.DeepEqual(removed, wantRemoved) {
		t.Fatalf("removed %v, want %v", removed, wantRemoved)
	}
}

// Ensure bad destinations are refused before anything is written.
func TestBackupRefusesBadDestinations(t *testing.T) {
	db := bkOpen(t)
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opts store.BackupOptions
		want string
	}{
		{store.BackupOptions{Dest: notes}, "not a roster backup"},
		{store.BackupOptions{Dest: db.Path()}, "the database itself"},
		{store.BackupOptions{Dest: filepath.Join(dir, "copy.db"), Keep: 2}, "needs a folder"},
		{store.BackupOptions{Dest: filepath.Join(dir, "missing", "copy.db")}, "does not exist"},
	} {
		_, err := db.Backup(bkActor, c.opts)
		if roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Backup(%+v) = %v, want EINVALID saying %q", c.opts, err, c.want)
		}
	}
	if b, _ := os.ReadFile(notes); string(b) != "precious" {
		t.Fatal("a refused backup changed the file")
	}
	// An older backup under the same name is replaced.
	copyPath := filepath.Join(dir, "copy.db")
	for range 2 {
		if _, err := db.Backup(bkActor, store.BackupOptions{Dest: copyPath}); err != nil {
			t.Fatal(err)
		}
	}
	// No destination: the folder next to the database.
	res, err := db.Backup(bkActor, store.BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(res.Path) != db.DefaultBackupDir() {
		t.Fatalf("default backup went to %s", res.Path)
	}
	if fi, err := os.Stat(db.DefaultBackupDir()); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("default backup folder: %v %v", fi.Mode(), err)
	}
}

// Ensure restore refuses while another process has announced itself,
// names it, and goes ahead once that process is gone (however it ended).
func TestRestoreRefusesWhileAnotherProcessIsPresent(t *testing.T) {
	db := bkOpen(t)
	bkFill(t, db, 10)
	res, err := db.Backup(bkActor, store.BackupOptions{Dest: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	h := bkStart(t, "announce", "ROSTER_HELPER_DB="+db.Path())
	waitFor(t, "the helper to announce itself", func() bool { return len(h.Lines()) > 0 })
	if l := h.Lines()[0]; l != "ready" {
		t.Fatalf("helper says %q", l)
	}
	others, err := db.Others()
	if err != nil || len(others) != 1 || others[0].PID != h.cmd.Process.Pid || others[0].What != "roster serve" {
		t.Fatalf("Others() = %+v, %v", others, err)
	}
	before := bkFileSum(t, db.Path())
	_, err = db.Restore(bkActor, res.Path)
	if roster.ErrorCode(err) != roster.ECONFLICT || !strings.Contains(err.Error(), "roster serve") ||
		!strings.Contains(err.Error(), fmt.Sprintf("pid %d", h.cmd.Process.Pid)) {
		t.Fatalf("restore while serve runs: %v", err)
	}
	if bkFileSum(t, db.Path()) != before {
		t.Fatal("the live database changed")
	}

	// This process's own announcement does not count.
	release, err := db.Announce("the terminal app")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if others, _ := db.Others(); len(others) != 1 {
		t.Fatalf("Others() lists this process: %+v", others)
	}

	// SIGKILL leaves the file behind, but not its lock.
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-h.done
	_ = h.cmd.Wait()
	if others, err := db.Others(); err != nil || len(others) != 0 {
		t.Fatalf("Others() after the helper died = %+v, %v", others, err)
	}
	if _, err := db.Restore(bkActor, res.Path); err != nil {
		t.Fatal(err)
	}
}
