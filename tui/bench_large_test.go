package tui

import (
	"os"
	"strconv"
	"testing"

	"github.com/roster-dev/roster/store"
)

// largeDB is the database of the Large benchmarks: the file named by
// ROSTER_BENCH_DB (a copy of a `roster demo --users 1000000` file, say;
// it is only read), else ROSTER_BENCH_USERS demo users (default 100,000)
// made for the run.
func largeDB(b *testing.B) *store.DB {
	b.Helper()
	if path := os.Getenv("ROSTER_BENCH_DB"); path != "" {
		db, err := store.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	}
	n := benchUsers
	if v, err := strconv.Atoi(os.Getenv("ROSTER_BENCH_USERS")); err == nil && v > 0 {
		n = v
	}
	return benchDB(b, n)
}

// BenchmarkFirstFrameLarge is BenchmarkFirstFrame100k on largeDB: at a
// million users, the target is 2 s from process start to the list.
func BenchmarkFirstFrameLarge(b *testing.B) {
	db := largeDB(b)
	b.ReportAllocs()
	for b.Loop() {
		m := firstLoad(b, db)
		if m.render() == "" {
			b.Fatal("empty frame")
		}
		afterFirstFrame(b, m)
	}
}

// BenchmarkFilterFirstKeystrokeLarge is BenchmarkFilterFirstKeystroke100k
// on largeDB: at a million users, the target is 30 ms.
func BenchmarkFilterFirstKeystrokeLarge(b *testing.B) {
	m := loadedModel(b, largeDB(b))
	m.Update(keyMsg("/"))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Update(keyMsg(string(rune('a' + i%26))))
		m.render()
		b.StopTimer()
		m.Update(keyMsg("backspace"))
		b.StartTimer()
		i++
	}
}
