// Package storetest gives tests a database: one helper for every package's
// tests, which checks the file when the test ends, so a test that leaves
// it inconsistent fails where it did so.
package storetest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Actor is the local actor tests use for setting up and checking.
var Actor = roster.LocalActor("tester")

// Open opens a new database in the test's temporary folder and registers
// Check for the end of the test.
func Open(t testing.TB) *store.DB {
	t.Helper()
	path := Path(t)
	db, err := store.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return db
}

// Path returns where a test's database lives (the file may not exist
// yet: a command under test creates it) and registers its Check for the
// end of the test, when the file exists by then.
func Path(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roster.db")
	// Registered after TempDir's removal, so it runs before it.
	t.Cleanup(func() { Check(t, path) })
	return path
}

// Check runs store.DB.Check on the file at path and fails the test with
// every problem found. A missing file is no problem.
func Check(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return
	}
	db, err := store.Open(path)
	if err != nil {
		t.Errorf("database check after the test: open: %v", err)
		return
	}
	if problems := db.Check(Actor); len(problems) > 0 {
		t.Errorf("database check after the test: %v", problems)
	}
}
