package tui

import (
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/store"
)

// Ensure the shared sessions' look at the change counter, answered from a
// cache while changes are pushed, still sees each change another process
// commits (the cache is dropped at the store's news).
func TestSharedChangesFollowPushes(t *testing.T) {
	db := storetest.Open(t)
	if owns, err := db.Own(); err != nil || !owns {
		t.Fatalf("Own = %v, %v", owns, err)
	}
	t.Cleanup(func() { db.Disown() })
	other, err := store.Open(db.Path()) // another process, serve's guest
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	s := NewShared(db)
	first := s.changes()
	if first.err != nil {
		t.Fatal(first.err)
	}
	if again := s.changes(); again.n != first.n || again.watch != first.watch {
		t.Fatalf("no news, yet the counter was read again: %+v then %+v", first, again)
	}
	for i, name := range []string{"ada", "bob"} {
		if _, err := other.CreateUser(roster.LocalActor("test"), roster.NewUser{Username: name, Name: name, Email: name + "@example.com"}); err != nil {
			t.Fatal(err)
		}
		// The guest's write returns once the owner has heard of it.
		if got := s.changes(); got.err != nil || got.n != first.n+uint64(i)+1 {
			t.Fatalf("after write %d: counter %d, %v; want %d", i+1, got.n, got.err, first.n+uint64(i)+1)
		}
	}
}
