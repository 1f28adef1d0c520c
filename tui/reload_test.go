package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
)

// Ensure a change that comes while a load runs is loaded once that load
// is in: the running load may have read the file before the change, and
// with changes pushed no poll comes for half a minute.
func TestChangeDuringLoadLoadsAgain(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	m := New(Options{DB: db, Actor: testActor, DarkBackground: true})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 35})
	inFlight := m.loadCmd()() // read before the change
	m.loading = true
	if _, err := db.CreateUser(testActor, roster.NewUser{Username: "late", Name: "Late Comer", Email: "late@example.com"}); err != nil {
		t.Fatal(err)
	}
	// The news of the change arrives while the old load is still out.
	n, err := db.Changes()
	if err != nil {
		t.Fatal(err)
	}
	if _, cmd := m.Update(changesMsg{n: n}); cmd == nil {
		t.Fatal("no watch after the news")
	}
	_, cmd := m.Update(inFlight)
	if strings.Contains(m.render(), "Late Comer") {
		t.Fatal("the load read before the change shows it")
	}
	for cmd != nil { // run what the model asked for until the fresh load is in
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			cmd = nil
			for _, c := range b {
				if c == nil {
					continue
				}
				if l, ok := c().(loadedMsg); ok {
					_, cmd = m.Update(l)
				}
			}
			continue
		}
		if l, ok := msg.(loadedMsg); ok {
			m.Update(l)
		}
		cmd = nil
	}
	if !strings.Contains(m.render(), "Late Comer") {
		t.Fatalf("the change that came during the load is not shown:\n%s", m.render())
	}
}
