package tui

import (
	"slices"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	"github.com/roster-dev/roster/store"
)

// holdSorts holds back the background sort of the next snapshot made
// (later ones go ahead) until the returned release is called.
func holdSorts(t *testing.T) (release func()) {
	gate := make(chan struct{})
	var once, first sync.Once
	beforeBackgroundSort = func(*snapshot) {
		held := false
		first.Do(func() { held = true })
		if held {
			<-gate
		}
	}
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(func() {
		release()
		beforeBackgroundSort = func(*snapshot) {}
	})
	return release
}

func demoDB(t *testing.T, n int) *store.DB {
	db := mustOpenDB(t)
	if err := db.LoadDemo(testActor, demo.Make(n, 8, 5), nil); err != nil {
		t.Fatal(err)
	}
	addUser(t, db, "zoe", "Zoë Ångström", "zoe@example.com")
	addUser(t, db, "aaron", "Aaron", "aaron@example.com")
	return db
}

// Ensure the first screenful, found without sorting, is the start of the
// whole order, while the sort is held back and once it is done.
func TestFirstRowsAreTheStartOfTheOrder(t *testing.T) {
	parallelMin = 64
	t.Cleanup(func() { parallelMin = 1 << 15 })
	db := demoDB(t, 3000)
	release := holdSorts(t)
	snap, err := loadSnapshot(db, testActor)
	if err != nil {
		t.Fatal(err)
	}
	if snap.namedReady() {
		t.Fatal("the order was built while held back")
	}
	got := map[int][]int32{}
	for _, n := range []int{0, 1, 35, 700, 5000} {
		got[n] = slices.Clone(snap.firstRows(n))
	}
	release()
	<-snap.named
	whole := snap.order(roster.SortName, false)
	for n, rows := range got {
		if want := whole[:min(n, len(whole))]; !slices.Equal(rows, want) {
			t.Errorf("first %d rows differ from the order's", n)
		}
		if again := snap.firstRows(n); !slices.Equal(again, rows) {
			t.Errorf("first %d rows, once sorted, differ", n)
		}
	}
}

// loadedWhileHeld is a model at 120×35 showing db's first load, whose
// background sort is held back.
func loadedWhileHeld(t *testing.T, db *store.DB) (*Model, *snapshot) {
	m := New(Options{DB: db, Actor: testActor, DarkBackground: true})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 35})
	msg := m.loadCmd()().(loadedMsg)
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	m.Update(msg)
	if !m.users.partial {
		t.Fatal("the first frame waited for the whole order")
	}
	return m, msg.snap
}

// Ensure a filter typed before the background sort is done acts on the
// whole list, in order: the list then is what a finished load shows.
func TestKeystrokeBeforeBackgroundSort(t *testing.T) {
	db := demoDB(t, 3000)
	holdSorts(t)
	m, snap := loadedWhileHeld(t, db)
	first := m.render()
	if !strings.Contains(first, "Aaron") || !strings.Contains(first, "3002 shown") {
		t.Fatalf("first frame:\n%s", first)
	}
	// The sort is still held: the keys must wait for it (the key's own
	// goroutine builds it) and see everything.
	m.Update(keyMsg("/"))
	m.Update(keyMsg("a"))
	m.Update(keyMsg("n"))
	if m.users.partial {
		t.Fatal("still partial after typing")
	}
	var want []int32
	for _, i := range snap.order(roster.SortName, false) {
		u := snap.user(i)
		if strings.Contains(strings.ToLower(u.Name)+"\x00"+u.Username+"\x00"+strings.ToLower(u.Email), "an") ||
			strings.Contains(u.Role.String(), "an") {
			want = append(want, i)
		}
	}
	if !slices.Equal(m.users.view, want) || len(want) < 100 {
		t.Fatalf("filtered view has %d rows, want %d", len(m.users.view), len(want))
	}
	// A model loaded with the sort done shows the same frame.
	done := New(Options{DB: db, Actor: testActor, DarkBackground: true})
	done.Update(tea.WindowSizeMsg{Width: 120, Height: 35})
	full := done.loadCmd()().(loadedMsg)
	<-full.snap.named
	done.Update(full)
	done.Update(keyMsg("/"))
	done.Update(keyMsg("a"))
	done.Update(keyMsg("n"))
	if a, b := m.render(), done.render(); a != b {
		t.Errorf("frames differ:\n%s\n----\n%s", a, b)
	}
}

// Ensure a change that lands while the first load's sort is still held
// back is shown, and that the held sort's late news does not bring the
// old list back.
func TestRefreshDuringBackgroundSort(t *testing.T) {
	db := demoDB(t, 3000)
	release := holdSorts(t)
	m, old := loadedWhileHeld(t, db)
	addUser(t, db, "aardvark", "Aa Aardvark", "aa@example.com")
	n, err := db.Changes()
	if err != nil {
		t.Fatal(err)
	}
	cmd := func() tea.Cmd { _, c := m.Update(changesMsg{n: n}); return c }()
	if cmd == nil {
		t.Fatal("no reload after the change")
	}
	m.Update(loadedFrom(t, cmd)) // the reload (its own sort is not held)
	if m.c.snap == old || !strings.Contains(m.render(), "Aa Aardvark") {
		t.Fatalf("the change is not shown:\n%s", m.render())
	}
	release()
	<-old.named
	m.Update(namedMsg{old}) // late, for the old snapshot
	if m.c.snap == old || !strings.Contains(m.render(), "Aa Aardvark") || !strings.Contains(m.render(), "3003 shown") {
		t.Fatalf("the old list came back:\n%s", m.render())
	}
}

// Ensure a preloaded first load is the one the app shows first, and that
// later loads read the database again.
func TestPreloadedFirstLoad(t *testing.T) {
	db := mustOpenDB(t)
	addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	p := Preload(db, testActor)
	<-waitLoaded(p)
	addUser(t, db, "bob", "Bob Preloaded-Later", "bob@example.com")
	m := New(Options{DB: db, Actor: testActor, DarkBackground: true, Preloaded: p})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 35})
	m.Update(m.loadCmd()())
	if f := m.render(); !strings.Contains(f, "Ada Lovelace") || strings.Contains(f, "Bob Preloaded-Later") {
		t.Fatalf("first frame is not the preloaded load:\n%s", f)
	}
	m.Update(m.loadCmd()())
	if f := m.render(); !strings.Contains(f, "Bob Preloaded-Later") {
		t.Fatalf("the next load read the preloaded one again:\n%s", f)
	}
}

// waitLoaded is closed once p's load is done, leaving its result in place.
func waitLoaded(p *Preloaded) chan struct{} {
	done := make(chan struct{})
	go func() {
		msg := <-p.done
		p.done <- msg
		close(done)
	}()
	return done
}

// loadedFrom runs cmd, or the commands of its batch, until one gives a
// loadedMsg (the others, such as the watch for news, are left running).
func loadedFrom(t *testing.T, cmd tea.Cmd) loadedMsg {
	t.Helper()
	got := make(chan loadedMsg, 1)
	var run func(tea.Cmd)
	run = func(c tea.Cmd) {
		switch msg := c().(type) {
		case loadedMsg:
			got <- msg
		case tea.BatchMsg:
			for _, c := range msg {
				if c != nil {
					go run(c)
				}
			}
		}
	}
	go run(cmd)
	return <-got
}
