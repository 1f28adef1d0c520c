package tui

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/table"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster/demo"
	"github.com/roster-dev/roster/store"
)

// benchUsers is the size of the benchmark database.
const benchUsers = 100_000

var (
	benchOnce sync.Once
	benchDir  string
	benchDBs  = map[int]*store.DB{}
)

// TestMain removes the benchmark databases when the run ends. Times show
// in local time: every test here sees UTC, so that frames (the golden
// files) are the same on every machine; set before any test runs, as
// time.Local may not change under running code.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchDB returns a database of n demo users, made once per run.
func benchDB(b *testing.B, n int) *store.DB {
	b.Helper()
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "roster-tui-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
	})
	if db := benchDBs[n]; db != nil {
		return db
	}
	db, err := store.Open(filepath.Join(benchDir, itoa(n)+".db"))
	if err != nil {
		b.Fatal(err)
	}
	if err := db.LoadDemo(testActor, demo.Make(n, 16, 1), nil); err != nil {
		b.Fatal(err)
	}
	benchDBs[n] = db
	return db
}

// loadedModel is a root model with the database loaded, at 120×35, and
// the work done after the first frame (keys, the default order) finished.
func loadedModel(b *testing.B, db *store.DB) *Model {
	b.Helper()
	m := firstLoad(b, db)
	m.Update(namedMsg{m.c.snap})
	return m
}

// firstLoad is a root model at 120×35 as it draws its first frame: the
// keys and the default order may still be in the making.
func firstLoad(b *testing.B, db *store.DB) *Model {
	b.Helper()
	m := New(Options{DB: db, Actor: testActor, DarkBackground: true})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 35})
	snap, err := loadSnapshot(db, testActor)
	if err != nil {
		b.Fatal(err)
	}
	m.Update(loadedMsg{snap: snap})
	return m
}

// afterFirstFrame waits, off the clock, for the work a load leaves to the
// background after the first frame, so that it does not slow the next run.
func afterFirstFrame(b *testing.B, m *Model) {
	b.StopTimer()
	<-m.c.snap.named
	b.StartTimer()
}

// BenchmarkFirstFrame100k measures, from an opened 100,000-user store,
// reading every user and group, preparing the list and drawing the first
// frame: what the app does between start-up and showing the list. What
// it leaves to after the frame (keys, the default order) is not timed.
func BenchmarkFirstFrame100k(b *testing.B) {
	db := benchDB(b, benchUsers)
	b.ReportAllocs()
	for b.Loop() {
		m := firstLoad(b, db)
		if m.render() == "" {
			b.Fatal("empty frame")
		}
		afterFirstFrame(b, m)
	}
}

// BenchmarkFilterKeystroke100k measures one keystroke in the / filter over
// 100,000 users: typing a letter narrows, backspace widens again; both
// are timed, and the frame drawn after each.
func BenchmarkFilterKeystroke100k(b *testing.B) {
	m := loadedModel(b, benchDB(b, benchUsers))
	m.Update(keyMsg("/"))
	m.Update(keyMsg("a"))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		m.Update(keyMsg("n"))
		m.render()
		m.Update(keyMsg("backspace"))
		m.render()
		n += 2
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/1e6, "ms/keystroke")
}

// BenchmarkFilterFirstKeystroke100k measures the slow case of the filter:
// a letter typed into an empty filter, which scans all 100,000 users (the
// letters cycle through the alphabet, so the view cache rarely helps).
func BenchmarkFilterFirstKeystroke100k(b *testing.B) {
	m := loadedModel(b, benchDB(b, benchUsers))
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

func benchFrame(b *testing.B, n int) {
	m := loadedModel(b, benchDB(b, n))
	b.ReportAllocs()
	down, up := keyMsg("down"), keyMsg("up")
	i := 0
	for b.Loop() {
		if i%60 < 30 {
			m.Update(down)
		} else {
			m.Update(up)
		}
		i++
		m.render()
	}
}

// BenchmarkFrame100k measures a cursor move and a frame with 100,000 users.
func BenchmarkFrame100k(b *testing.B) { benchFrame(b, benchUsers) }

// BenchmarkFrame1k is BenchmarkFrame100k with 1,000 users: the frame
// should cost the same.
func BenchmarkFrame1k(b *testing.B) { benchFrame(b, 1000) }

// BenchmarkBubblesTableFrame100k is the same cursor move and frame with a
// plain bubbles/table holding the same 100,000 rows, for comparison.
func BenchmarkBubblesTableFrame100k(b *testing.B) {
	t := bubblesTable(b, benchDB(b, benchUsers))
	b.ReportAllocs()
	down, up := keyMsg("down"), keyMsg("up")
	i := 0
	for b.Loop() {
		if i%60 < 30 {
			t, _ = t.Update(down)
		} else {
			t, _ = t.Update(up)
		}
		i++
		_ = t.View()
	}
}

// bubblesTable is a bubbles/table holding db's users as the list shows them.
func bubblesTable(b *testing.B, db *store.DB) table.Model {
	snap, err := loadSnapshot(db, testActor)
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]table.Row, 0, len(snap.rows))
	for _, i := range snap.order(0, false) {
		u := snap.user(i)
		rows = append(rows, table.Row{u.Name, u.Username, u.Email, snap.groupNames(u), u.Role.String(), u.Status.String()})
	}
	return table.New(
		table.WithColumns([]table.Column{{Title: "Name", Width: 25}, {Title: "Username", Width: 16}, {Title: "E-mail", Width: 28},
			{Title: "Groups", Width: 15}, {Title: "Role", Width: 6}, {Title: "Status", Width: 8}}),
		table.WithRows(rows), table.WithHeight(30), table.WithFocused(true))
}

// BenchmarkMemory100k reports the heap a session holds with 100,000 users
// loaded and filtered.
func BenchmarkMemory100k(b *testing.B) {
	db := benchDB(b, benchUsers)
	var m *Model
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		m = loadedModel(b, db)
		m.Update(keyMsg("/"))
		m.Update(keyMsg("e"))
		m.render()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/(1<<20), "MB-heap")
	}
	runtime.KeepAlive(m)
}

// BenchmarkFrameSelected measures a cursor move and a frame with the
// Active tab filtering and 1, 1,000 or every user selected, at 1,000 and
// 100,000 users: the footer's count of the selection (and how much of it
// the filter hides) is never recounted per frame, and rows are drawn once
// per data change, so the cost should not grow with the users. Each
// run also moves and draws a bubbles/table holding the same rows, in
// alternate blocks so that a busy machine slows both alike; "x-table" is
// how many times slower the table's frame is.
func BenchmarkFrameSelected(b *testing.B) {
	for _, users := range []int{1000, benchUsers} {
		db := benchDB(b, users)
		t := bubblesTable(b, db)
		for _, sel := range []struct {
			name string
			n    int
		}{{"1", 1}, {"1000", 1000}, {"all", users}} {
			b.Run("users="+itoa(users)+"/selected="+sel.name, func(b *testing.B) {
				m := loadedModel(b, db)
				for i := 0; i < sel.n && i < len(m.c.snap.rows); i++ {
					m.users.selected[m.c.snap.rows[i].ID] = struct{}{}
				}
				m.users.selChanged()
				m.Update(keyMsg("3")) // the Active tab
				down, up := keyMsg("down"), keyMsg("up")
				var ours, theirs time.Duration
				var nOurs, nTheirs int
				i := 0
				for b.Loop() {
					k := down
					if i%60 >= 30 {
						k = up
					}
					// Blocks of frames, ours then the table's, with a
					// collection between them, so that neither pays for
					// the other's garbage (the table's is 50× ours).
					if i%benchBlock == 0 {
						runtime.GC()
					}
					start := time.Now()
					if (i/benchBlock)%2 == 0 {
						m.Update(k)
						m.render()
						ours += time.Since(start)
						nOurs++
					} else {
						t, _ = t.Update(k)
						_ = t.View()
						theirs += time.Since(start)
						nTheirs++
					}
					i++
				}
				if nOurs == 0 || nTheirs == 0 {
					return
				}
				ourFrame, tableFrame := float64(ours)/float64(nOurs), float64(theirs)/float64(nTheirs)
				b.ReportMetric(ourFrame, "ns/frame")
				b.ReportMetric(tableFrame, "ns/table-frame")
				b.ReportMetric(tableFrame/ourFrame, "x-table")
			})
		}
	}
}

// benchBlock is how many frames BenchmarkFrameSelected draws in a row
// before switching between the list and the table.
const benchBlock = 100
