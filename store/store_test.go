package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	bolt "go.etcd.io/bbolt"
)

// local is the actor of every test that does not test powers.
var local = roster.LocalActor("tester")

// MustOpenDB opens a fresh database in t.TempDir() with a clock that moves
// one second per call, so every change has its own time.
func MustOpenDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	db.Now = func() time.Time {
		clock = clock.Add(time.Second)
		return clock
	}
	t.Cleanup(func() {
		if problems := db.Check(local); len(problems) > 0 {
			t.Errorf("database check after the test: %v", problems)
		}
	})
	return db
}

// mustCreate adds a user or fails the test.
func mustCreate(t testing.TB, db *DB, username, name, email string, groups ...string) *roster.User {
	t.Helper()
	u, err := db.CreateUser(local, roster.NewUser{Username: username, Name: name, Email: email, Groups: groups})
	if err != nil {
		t.Fatalf("create %s: %v", username, err)
	}
	return u
}

// mustGroup adds a group or fails the test.
func mustGroup(t testing.TB, db *DB, name string) *roster.Group {
	t.Helper()
	g, err := db.CreateGroup(local, name, "")
	if err != nil {
		t.Fatalf("create group %s: %v", name, err)
	}
	return g
}

// wantErr fails unless err is a roster error with the code and field.
func wantErr(t testing.TB, err error, code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s on %q", code, field)
	}
	var e *roster.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want a *roster.Error", err, err)
	}
	if e.Code != code || e.Field != field {
		t.Fatalf("got code %q field %q (%v), want code %q field %q", e.Code, e.Field, err, code, field)
	}
}

// changes returns the change counter or fails.
func changes(t testing.TB, db *DB) uint64 {
	t.Helper()
	n, err := db.Changes()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// snapshot returns every key and value of the file's user, index, group and
// membership buckets, to compare before and after a refused operation.
func snapshot(t testing.TB, db *DB) string {
	t.Helper()
	var sb strings.Builder
	err := db.view(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			b := tx.Bucket(name)
			if b == nil {
				continue
			}
			sb.WriteString(string(name) + ":\n")
			_ = b.ForEach(func(k, v []byte) error {
				sb.WriteString(" " + string(k) + "=" + string(v) + "\n")
				return nil
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// rawUpdate changes the file with bbolt directly, around the store.
func rawUpdate(t testing.TB, db *DB, fn func(tx *bolt.Tx) error) {
	t.Helper()
	bdb, err := bolt.Open(db.Path(), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// Ensure a new file is 0600 in a 0700 folder, and that reopening keeps it.
func TestOpenCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "roster.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("file mode %o, want 600", got)
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if got := di.Mode().Perm(); got != 0o700 {
		t.Errorf("folder mode %o, want 700", got)
	}
	// Ensure a file made too open by another tool is tightened on open.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %o after reopen, want 600", fi.Mode().Perm())
	}
}

// Ensure the default path follows XDG_DATA_HOME, else ~/.local/share.
func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data/x")
	if p, err := DefaultPath(); err != nil || p != "/data/x/roster/roster.db" {
		t.Errorf("DefaultPath() = %q, %v", p, err)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/someone")
	if p, err := DefaultPath(); err != nil || p != "/home/someone/.local/share/roster/roster.db" {
		t.Errorf("DefaultPath() = %q, %v", p, err)
	}
}

// Ensure a relative path is made absolute, so a later chdir changes nothing.
func TestOpenRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	db, err := Open("rel.db")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(db.Path()) {
		t.Errorf("Path() = %q, want absolute", db.Path())
	}
}

// Ensure a missing file is reported as unavailable, not created, by reads.
func TestReadMissingFile(t *testing.T) {
	db := MustOpenDB(t)
	other := &DB{path: filepath.Join(t.TempDir(), "gone.db"), Now: time.Now}
	if _, err := other.AllUsers(local); roster.ErrorCode(err) != roster.EUNAVAILABLE {
		t.Errorf("AllUsers on a missing file: %v, want unavailable", err)
	}
	if _, err := os.Stat(other.path); !os.IsNotExist(err) {
		t.Errorf("a read created the file: %v", err)
	}
	_ = db
}

// Ensure an operation waits about LockTimeout for a held lock, then fails
// with EUNAVAILABLE naming the database, and succeeds once it is free.
func TestLockTimeout(t *testing.T) {
	db := MustOpenDB(t)
	bdb, err := bolt.Open(db.Path(), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = db.CreateUser(local, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@example.com"})
	waited := time.Since(start)
	if roster.ErrorCode(err) != roster.EUNAVAILABLE {
		t.Fatalf("create while locked: %v, want unavailable", err)
	}
	if !strings.Contains(err.Error(), "busy") || !strings.Contains(err.Error(), db.Path()) {
		t.Errorf("message %q should say the database is busy and name it", err)
	}
	if waited < LockTimeout/2 {
		t.Errorf("gave up after %s, want about %s", waited, LockTimeout)
	}
	if err := bdb.Close(); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, db, "ada", "Ada", "ada@example.com")
}

// Ensure an empty file (made by touch) becomes a database, and opening an
// up-to-date file writes nothing.
func TestOpenEmptyAndCurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatalf("open an empty file: %v", err)
	}
	n := changes(t, db)
	before, _ := os.ReadFile(path)
	if _, err := Open(path); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if changes(t, db) != n || string(before) != string(after) {
		t.Error("opening an up-to-date file wrote to it")
	}
	// A file that is not a database is refused, not overwritten.
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(junk); err == nil {
		t.Error("opened a junk file")
	}
	if b, _ := os.ReadFile(junk); !strings.HasPrefix(string(b), "not a database") {
		t.Error("the junk file was overwritten")
	}
}

// Ensure one DB serves many goroutines at once: writers take turns, readers
// share, and every write lands.
func TestConcurrentUse(t *testing.T) {
	db := MustOpenDB(t)
	var clock sync.Mutex
	now := db.Now
	db.Now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now() }
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				name := fmt.Sprintf("w%d-%d", w, i)
				if _, err := db.CreateUser(local, roster.NewUser{Username: name, Name: name, Email: name + "@example.com"}); err != nil {
					errs <- err
				}
			}
		})
		wg.Go(func() {
			for range 10 {
				if _, err := db.ListUsers(local, roster.UserFilter{Search: "w"}); err != nil {
					errs <- err
				}
				if _, err := db.Changes(); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if all, _ := db.AllUsers(local); len(all) != 40 {
		t.Errorf("%d users, want 40", len(all))
	}
}

// Ensure LoadDemo writes the plan: its groups (reusing existing ones), its
// users with their final statuses, and reports progress.
func TestLoadDemo(t *testing.T) {
	db := MustOpenDB(t)
	mustGroup(t, db, "engineering")
	plan := demo.Make(500, 4, 3)
	var progress []int
	if err := db.LoadDemo(local, plan, func(done int) { progress = append(progress, done) }); err != nil {
		t.Fatal(err)
	}
	if len(progress) == 0 || progress[len(progress)-1] != 500 {
		t.Errorf("progress %v", progress)
	}
	all, err := db.AllUsers(local)
	if err != nil || len(all) != 500 {
		t.Fatalf("%d users, %v", len(all), err)
	}
	want := map[roster.Status]int{}
	for _, st := range plan.Statuses {
		want[st]++
	}
	got := CountByStatus(all)
	for _, st := range roster.Statuses {
		if got[st] != want[st] || got[st] == 0 {
			t.Errorf("%s: %d, want %d (and some)", st, got[st], want[st])
		}
	}
	groups, _ := db.Groups(local)
	if len(groups) != 5 { // four demo groups and the built-in one
		t.Errorf("groups %d", len(groups))
	}
	// Loading the same plan again conflicts and adds nobody.
	if err := db.LoadDemo(local, plan, nil); roster.ErrorCode(err) != roster.ECONFLICT {
		t.Errorf("second load: %v", err)
	}
	if again, _ := db.AllUsers(local); len(again) != 500 {
		t.Errorf("%d users after a refused load", len(again))
	}
}
