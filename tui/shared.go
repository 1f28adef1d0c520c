package tui

import (
	"sync"

	"github.com/roster-dev/roster"

	"github.com/roster-dev/roster/store"
	"golang.org/x/sync/singleflight"
)

// Shared lets several sessions on one database (the SSH server's) share
// one loaded copy of the users: each session keeps only its own view (the
// filter, the order as row indexes, the selection). A Shared is safe for
// concurrent use; give the same one to every session's Options.
type Shared struct {
	db    *store.DB
	group singleflight.Group

	mu   sync.Mutex
	snap *snapshot

	// The counter as last read, and the store's news channel taken before:
	// while changes are pushed and no news came, every session's look at
	// the counter is answered from here, not by a read of the file each.
	countMu sync.Mutex
	count   changesMsg
}

// changes answers a session's look at the change counter.
func (s *Shared) changes() changesMsg {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	if c := s.count; c.watch != nil && c.err == nil && s.db.Pushed() {
		select {
		case <-c.watch:
		default:
			return c // no news since it was read
		}
	}
	watch := s.db.Changed()
	n, err := s.db.Changes()
	s.count = changesMsg{n: n, err: err, watch: watch}
	return s.count
}

// sharedActor loads the shared copy.
var sharedActor = roster.SystemActor("ssh")

// NewShared returns a Shared for db.
func NewShared(db *store.DB) *Shared { return &Shared{db: db} }

// load returns the current snapshot: the cached one while the change
// counter has not moved, else a fresh one, loaded once however many
// sessions ask at the same time.
//
// The copy is loaded once for everyone, as Roster itself; each session's
// actor is asked first, with their role as it is now.
func (s *Shared) load(actor roster.Actor) (*snapshot, error) {
	if err := s.db.May(actor, roster.OpListUsers, 0); err != nil {
		return nil, err
	}
	n, err := s.db.Changes()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	snap := s.snap
	s.mu.Unlock()
	if snap != nil && snap.changes == n {
		return snap, nil
	}
	v, err, _ := s.group.Do("load", func() (any, error) {
		snap, err := loadSnapshot(s.db, sharedActor)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if s.snap == nil || snap.changes >= s.snap.changes {
			s.snap = snap
		}
		s.mu.Unlock()
		return snap, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*snapshot), nil
}
