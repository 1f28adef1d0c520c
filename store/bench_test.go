package store

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
)

// benchUsers is the size of the benchmark database.
const benchUsers = 100_000

// loadBenchDB fills a database at path with benchUsers demo users, as
// `roster demo --users 100000` does.
func loadBenchDB(b *testing.B, path string) *DB {
	b.Helper()
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.LoadDemo(local, demo.Make(benchUsers, 8, 1), nil); err != nil {
		b.Fatal(err)
	}
	return db
}

// reportSize reports the file's size per user.
func reportSize(b *testing.B, db *DB) {
	b.Helper()
	fi, err := os.Stat(db.Path())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/benchUsers, "file-bytes/user")
}

// BenchmarkDemo100k measures `roster demo --users 100000` (target ≤ 10 s)
// and reports the database size per user.
func BenchmarkDemo100k(b *testing.B) {
	var db *DB
	for i := 0; b.Loop(); i++ {
		db = loadBenchDB(b, filepath.Join(b.TempDir(), "demo.db"))
	}
	reportSize(b, db)
}

// BenchmarkStore100k measures reads and a bulk change on one 100,000-user
// database, made once for the run (a benchmark with sub-benchmarks runs
// its own body once).
func BenchmarkStore100k(b *testing.B) {
	db := loadBenchDB(b, filepath.Join(b.TempDir(), "bench.db"))
	groups, err := db.Groups(local)
	if err != nil {
		b.Fatal(err)
	}
	var engineering uint64
	for _, g := range groups {
		if g.Name == "engineering" {
			engineering = g.ID
		}
	}
	if engineering == 0 {
		b.Fatal("no engineering group in the demo data")
	}

	// Loading all users for display (target ≤ 150 ms).
	b.Run("AllUsers", func(b *testing.B) {
		for b.Loop() {
			users, err := db.AllUsers(local)
			if err != nil {
				b.Fatal(err)
			}
			if len(users) != benchUsers {
				b.Fatalf("got %d users", len(users))
			}
		}
		reportSize(b, db)
	})

	// Loading everyone in the default order, as a screen opens (target ≤ 150 ms).
	b.Run("AllUsersSortedByName", func(b *testing.B) {
		for b.Loop() {
			users, err := db.AllUsers(local)
			if err != nil {
				b.Fatal(err)
			}
			SortUsers(users, roster.SortName, false)
		}
	})

	// A filtered, sorted list straight from the file (target ≤ 50 ms).
	filter := roster.UserFilter{Status: roster.StatusActive, GroupID: engineering, Search: "an"}
	b.Run("ListUsersFiltered", func(b *testing.B) {
		for b.Loop() {
			users, err := db.ListUsers(local, filter)
			if err != nil {
				b.Fatal(err)
			}
			if len(users) == 0 {
				b.Fatal("filter selected nobody")
			}
		}
	})

	// A text search alone: the raw prefilter skips most records undecoded.
	b.Run("ListUsersSearch", func(b *testing.B) {
		for b.Loop() {
			users, err := db.ListUsers(local, roster.UserFilter{Search: "Kowal"})
			if err != nil {
				b.Fatal(err)
			}
			if len(users) == 0 {
				b.Fatal("search found nobody")
			}
		}
	})

	// The same filter over users already in memory, as a screen does on
	// every keystroke.
	all, err := db.AllUsers(local)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("FilterInMemory", func(b *testing.B) {
		for b.Loop() {
			users := FilterUsers(all, filter)
			SortUsers(users, roster.SortName, false)
			if len(users) == 0 {
				b.Fatal("filter selected nobody")
			}
		}
	})
	b.Run("SortAllByName", func(b *testing.B) {
		users := make([]*roster.User, len(all))
		for b.Loop() {
			copy(users, all)
			SortUsers(users, roster.SortName, false)
		}
	})

	// Changing the status of 10,000 users in one call (target ≤ 300 ms):
	// each round flips the same users between disabled and active. The
	// time must not grow with the rounds (see audit_by_users in audit.go).
	var ids []uint64
	for _, u := range all {
		if u.Status == roster.StatusActive && u.Role == roster.RoleMember && len(ids) < 10_000 {
			ids = append(ids, u.ID)
		}
	}
	status := roster.StatusActive // where ids are now; -count reruns share the database
	b.Run("SetStatus10k", func(b *testing.B) {
		for b.Loop() {
			if status == roster.StatusActive {
				status = roster.StatusDisabled
			} else {
				status = roster.StatusActive
			}
			res, err := db.SetStatus(local, ids, status)
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Changed) != len(ids) {
				b.Fatalf("changed %d of %d", len(res.Changed), len(ids))
			}
		}
		reportSize(b, db)
	})
}
