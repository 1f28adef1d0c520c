package store_test

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	"github.com/roster-dev/roster/store"
)

// BenchmarkBackup100k backs up a 100,000-user demo database while a writer
// on a second handle (its own file lock, as another process would have)
// commits back to back, and reports how long each backup took, how long it
// held the database, and how long the writer's commits took meanwhile.
func BenchmarkBackup100k(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "roster.db"))
	if err != nil {
		b.Fatal(err)
	}
	if err := db.LoadDemo(bkActor, demo.Make(100_000, 8, 1), nil); err != nil {
		b.Fatal(err)
	}
	writer, err := store.Open(db.Path())
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()

	var mu sync.Mutex
	var during, outside []time.Duration
	var failures int
	backingUp := false
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			overlapped := backingUp
			mu.Unlock()
			start := time.Now()
			err := writer.Audit(bkActor, "bench.write", nil, nil, "")
			took := time.Since(start)
			mu.Lock()
			if err != nil {
				failures++
			} else if overlapped || backingUp {
				during = append(during, took)
			} else {
				outside = append(outside, took)
			}
			mu.Unlock()
		}
	})

	// A second of writing alone, for the writer's usual commit time.
	waitUntil := time.Now().Add(time.Second)
	for time.Now().Before(waitUntil) {
		mu.Lock()
		n := len(outside)
		mu.Unlock()
		if n >= 200 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	var took, held time.Duration
	var size int64
	b.ResetTimer()
	for b.Loop() {
		mu.Lock()
		backingUp = true
		mu.Unlock()
		res, err := db.Backup(roster.LocalActor("bench"), store.BackupOptions{Dest: dir, Keep: 1})
		mu.Lock()
		backingUp = false
		mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
		if res.Users < 100_000 {
			b.Fatalf("backup holds %d users", res.Users)
		}
		took += res.Took
		held += res.Held
		size = res.Size
	}
	b.StopTimer()
	close(stop)
	wg.Wait()

	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	n := time.Duration(b.N)
	b.ReportMetric(ms(took/n), "backup-ms")
	b.ReportMetric(ms(held/n), "held-ms")
	b.ReportMetric(float64(size)/1e6, "MB")
	if len(during) > 0 {
		slices.Sort(during)
		b.ReportMetric(ms(during[len(during)/2]), "writer-p50-ms-during")
		b.ReportMetric(ms(during[len(during)-1]), "writer-max-ms-during")
	}
	if len(outside) > 0 {
		slices.Sort(outside)
		b.ReportMetric(ms(outside[len(outside)/2]), "writer-p50-ms-alone")
		b.ReportMetric(ms(outside[len(outside)-1]), "writer-max-ms-alone")
	}
	b.ReportMetric(float64(failures), "writer-failures")
}
