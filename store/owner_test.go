package store

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// keeps reports whether db, an owner, holds the file open right now.
func keeps(db *DB) bool {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.own != nil && db.own.file != nil
}

// waitKeeps waits until db's kept handle is as wanted (a guest's leaving
// reaches the owner asynchronously).
func waitKeeps(t *testing.T, db *DB, want bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := db.Changes(); err != nil { // an operation (re)takes the file when alone
			t.Fatal(err)
		}
		if keeps(db) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("owner keeps the file: %v, want %v", keeps(db), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Ensure the owner keeps the file open while alone, lets go while another
// DB on the same file (another process, in real use) is its guest, and
// takes it again when the guest leaves; every write is seen by both.
func TestOwnerLetsGuestsIn(t *testing.T) {
	owner := MustOpenDB(t)
	owns, err := owner.Own()
	if err != nil || !owns {
		t.Fatalf("Own = %v, %v", owns, err)
	}
	t.Cleanup(func() { owner.Disown() })
	actor := roster.LocalActor("test")
	if _, err := owner.CreateUser(actor, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	if !keeps(owner) {
		t.Fatal("the owner does not keep the file open while alone")
	}
	if fi, err := os.Stat(owner.ownerSocket()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v, %v; want mode 0600", fi, err)
	}

	// Without its owner letting go, this open would wait for the lock and fail.
	guest, err := Open(owner.Path())
	if err != nil {
		t.Fatalf("a guest opens the owned file: %v", err)
	}
	// The guest borrows the file per transaction: idle, it leaves the
	// owner the file; inside a transaction of its own, the owner has let go.
	waitKeeps(t, owner, true)
	if err := guest.view(func(*bolt.Tx) error {
		if keeps(owner) {
			t.Error("the owner keeps the file during a guest's transaction")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := guest.CreateUser(actor, roster.NewUser{Username: "bob", Name: "Bob", Email: "bob@example.com"}); err != nil {
		t.Fatalf("guest writes: %v", err)
	}
	if _, err := owner.CreateUser(actor, roster.NewUser{Username: "cy", Name: "Cy", Email: "cy@example.com"}); err != nil {
		t.Fatalf("owner writes beside its guest: %v", err)
	}
	for _, db := range []*DB{owner, guest} {
		if users, err := db.AllUsers(actor); err != nil || len(users) != 3 {
			t.Fatalf("%d users, %v; want 3", len(users), err)
		}
	}
	if err := guest.Close(); err != nil {
		t.Fatal(err)
	}
	waitKeeps(t, owner, true)
	if users, err := owner.AllUsers(actor); err != nil || len(users) != 3 {
		t.Fatalf("after the guest left: %d users, %v", len(users), err)
	}
}

// Ensure a second owner on a live one stays a guest, and a socket left by
// a killed owner (no one listening) is taken over, never waited on.
func TestOwnerOnlyOne(t *testing.T) {
	first := MustOpenDB(t)
	if owns, err := first.Own(); err != nil || !owns {
		t.Fatalf("first Own = %v, %v", owns, err)
	}
	second, err := Open(first.Path())
	if err != nil {
		t.Fatal(err)
	}
	if owns, err := second.Own(); err != nil || owns {
		t.Fatalf("second Own = %v, %v; want false: the first is alive", owns, err)
	}
	second.Close()
	if err := first.Disown(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(first.ownerSocket()); !os.IsNotExist(err) {
		t.Fatalf("the socket outlives Disown: %v", err)
	}

	// A killed owner leaves its socket file behind, with nobody on it.
	stale := MustOpenDB(t)
	ln, err := net.Listen("unix", stale.ownerSocket())
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(stale.ownerSocket()); err != nil {
		t.Fatalf("no stale socket to test with: %v", err)
	}
	other, err := Open(stale.Path()) // finds nobody on it and carries on
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Changes(); err != nil {
		t.Fatal(err)
	}
	if owns, err := stale.Own(); err != nil || !owns {
		t.Fatalf("Own over a dead socket = %v, %v", owns, err)
	}
	stale.Disown()
	other.Close()
}

// Ensure what opens the file on its own in the owner's process (the
// check's child, restore, backup) works while the owner keeps it.
func TestOwnerLetsGoForItsOwnWork(t *testing.T) {
	db := MustOpenDB(t)
	if owns, err := db.Own(); err != nil || !owns {
		t.Fatalf("Own = %v, %v", owns, err)
	}
	t.Cleanup(func() { db.Disown() })
	actor := roster.LocalActor("test")
	if _, err := db.CreateUser(actor, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	if problems := db.Check(actor); len(problems) != 0 {
		t.Fatalf("check under the owner: %v", problems)
	}
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	if _, err := db.Backup(actor, BackupOptions{Dest: copyPath}); err != nil {
		t.Fatalf("backup under the owner: %v", err)
	}
	if _, err := db.CreateUser(actor, roster.NewUser{Username: "bob", Name: "Bob", Email: "bob@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Restore(actor, copyPath); err != nil {
		t.Fatalf("restore under the owner: %v", err)
	}
	users, err := db.AllUsers(actor)
	if err != nil || len(users) != 1 {
		t.Fatalf("after restore: %d users, %v; want the backup's 1", len(users), err)
	}
	waitKeeps(t, db, true)
}

// Ensure a guest built before loans (it never says "L") keeps the owner
// letting go for as long as it is connected, and that a guest asking for
// loans out of turn or beyond maxLoans is dropped and its pins given back.
func TestOwnerLendsOnlyToThoseWhoAsk(t *testing.T) {
	owner := MustOpenDB(t)
	if owns, err := owner.Own(); err != nil || !owns {
		t.Fatalf("Own = %v, %v", owns, err)
	}
	t.Cleanup(func() { owner.Disown() })
	connect := func() net.Conn {
		c, err := net.Dial("unix", owner.ownerSocket())
		if err != nil {
			t.Fatal(err)
		}
		hello := make([]byte, 5)
		if _, err := io.ReadFull(c, hello); err != nil || string(hello) != "ok\n+L" {
			t.Fatalf("hello %q, %v", hello, err)
		}
		return c
	}
	old := connect() // says nothing, as an older roster does
	for range 3 {
		waitKeeps(t, owner, false)
	}
	old.Close()
	waitKeeps(t, owner, true)

	// Loans before "L", a "done" without a loan, too many loans: dropped.
	for _, bytes := range []string{"b", "Le", "L" + strings.Repeat("b", maxLoans+1)} {
		c := connect()
		if _, err := io.WriteString(c, bytes); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("%q: the owner did not drop the guest: %v", bytes, err)
		}
		c.Close()
		waitKeeps(t, owner, true) // every pin it held given back
	}
}
