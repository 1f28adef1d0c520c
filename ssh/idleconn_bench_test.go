package ssh

import (
	"runtime"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	gossh "golang.org/x/crypto/ssh"
)

// BenchmarkIdleSignedInConnections: one member tries to hold 500
// connections that sign in and open no app (each asks once for a session
// without a terminal, which is refused), with the default Config.
// It reports how many signed in, the heap and goroutines they added
// (client and server in this one process), and the sign-ins written to
// the audit log. Run with -benchtime 1x:
//
//	go test ./ssh -run '^$' -bench IdleSignedInConnections -benchtime 1x
func BenchmarkIdleSignedInConnections(b *testing.B) {
	const attempts = 500
	for range b.N {
		ts := startServer(b, Config{})
		mia, key := ts.addUser("mia", roster.RoleMember, roster.StatusActive)
		heap0, gor0 := heapAndGoroutines()
		var held []*gossh.Client
		for range attempts {
			c, err := ts.dial("mia", key)
			if err != nil {
				continue
			}
			held = append(held, c)
			if sess, err := c.NewSession(); err == nil {
				_ = sess.Shell()
				_ = sess.Wait()
			}
		}
		heap1, gor1 := heapAndGoroutines()
		evs, err := ts.db.AuditEvents(local, store.AuditFilter{UserID: mia.ID, Search: roster.ActionLogin})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(held)), "signed-in")
		b.ReportMetric(float64(heap1-heap0)/(1<<20), "heap-MB")
		b.ReportMetric(float64(gor1-gor0), "goroutines")
		b.ReportMetric(float64(len(evs)), "sign-in-events")
		for _, c := range held {
			c.Close()
		}
	}
}

// heapAndGoroutines returns the live heap after a collection, and the
// number of goroutines.
func heapAndGoroutines() (int64, int) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc), runtime.NumGoroutine()
}
