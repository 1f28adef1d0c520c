package ldap

import (
	"net"
	"sync"
	"time"
)

// Freshness: the snapshot follows the database's change counter, which
// every committed change moves, whichever process made it. A bind compares
// the counter before it looks at anything (so it sees every change
// committed before it began); a search does when the last comparison is
// older than Config.SearchFreshness; and refreshLoop does every
// Config.Refresh for connections that sit idle.
//
// While the store pushes changes (store.DB.Pushed: `roster serve` owns the
// file and every other roster process tells it of its commits), none of
// them reads the counter unless news came since the last read (watch)
// or the read is older than Config.Refresh: refreshLoop reloads at the
// news, and binds and searches cost no file open. A guest's write returns only once the owner has heard of it, so a
// bind still sees every change committed before it began.
//
// The directory's own sign-ins move the counter too (RecordLogin writes
// the last-login time, which nothing in the directory shows). Reloading
// for those would reload the whole snapshot at every bind, so the counter
// values they produced are remembered (ownLogins) and skipped over.

// ownLogins remembers the change-counter values produced by the
// directory's own login records.
type ownLogins struct {
	mu     sync.Mutex
	values map[uint64]struct{}
}

func (o *ownLogins) add(v uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.values == nil {
		o.values = map[uint64]struct{}{}
	}
	o.values[v] = struct{}{}
}

// covers reports whether every value in (from, to] is one of ours, and
// forgets the values up to to.
func (o *ownLogins) covers(from, to uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if to-from > uint64(len(o.values)) {
		return false
	}
	for v := from + 1; v <= to; v++ {
		if _, ok := o.values[v]; !ok {
			return false
		}
	}
	o.forget(to)
	return true
}

// forget drops the values up to and including to.
func (o *ownLogins) forget(to uint64) {
	for v := range o.values {
		if v <= to {
			delete(o.values, v)
		}
	}
}

func (o *ownLogins) forgetUpTo(to uint64) {
	o.mu.Lock()
	o.forget(to)
	o.mu.Unlock()
}

// refreshLoop reloads the snapshot when the database's change counter moves.
func (s *Server) refreshLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Refresh)
	defer t.Stop()
	failed := false
	for {
		var news <-chan struct{} // nil (never ready) unless pushed
		if !failed && s.db.Pushed() {
			s.refreshMu.Lock()
			news = s.news.watch
			s.refreshMu.Unlock()
		}
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-news:
		}
		// After a failure, wait for the ticker: the news stays ready.
		err := s.refresh(false)
		if failed = err != nil; failed {
			s.log.Warn("directory refresh", "err", err)
		}
	}
}

// refresh reloads the snapshot if the database changed since it was taken
// (other than by the directory's own login records), or always when force
// is set. It waits for a reload another goroutine is doing.
func (s *Server) refresh(force bool) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	return s.refreshLocked(force)
}

func (s *Server) refreshLocked(force bool) error {
	now := time.Now().UnixNano()
	watch := s.db.Changed() // before the counter and the load
	if !force {
		if s.quiet() {
			s.checked.Store(now)
			return nil
		}
		// Read the counter when none of the directory's own login records
		// is half done, so that each is either known as ours or not yet
		// there.
		s.loginMu.Lock()
		n, err := s.db.Changes()
		s.loginMu.Unlock()
		if err != nil {
			return err
		}
		s.checked.Store(now)
		if n == s.seen || n > s.seen && s.logins.covers(s.seen, n) {
			s.seen, s.news = n, newsSeen{watch, time.Now()}
			return nil
		}
	}
	d, err := loadDirectory(s.db, s.base, s.cfg.TLS != nil, s.dir.Load())
	if err != nil {
		return err
	}
	s.dir.Store(d)
	s.seen, s.news = d.changes, newsSeen{watch, time.Now()}
	s.checked.Store(now)
	s.logins.forgetUpTo(d.changes)
	return nil
}

// newsSeen is the store's news channel taken before the counter was last
// read, and when that was.
type newsSeen struct {
	watch  <-chan struct{}
	readAt time.Time
}

// quiet reports that the store pushes changes and none came since the
// counter was last read, less than Config.Refresh ago: the snapshot is
// current without a look. (Once per Refresh the counter is read anyway,
// for a writer that does not push: a roster built before pushes.)
func (s *Server) quiet() bool {
	if s.news.watch == nil || !s.db.Pushed() || time.Since(s.news.readAt) >= s.cfg.Refresh {
		return false
	}
	select {
	case <-s.news.watch:
		return false
	default:
		return true
	}
}

// freshForSearch makes sure the snapshot is at most SearchFreshness older
// than the database. When another goroutine is already reloading, the
// search goes on with the snapshot it has rather than queue behind it.
func (s *Server) freshForSearch() {
	if time.Now().UnixNano()-s.checked.Load() < int64(s.cfg.SearchFreshness) {
		return
	}
	if !s.refreshMu.TryLock() {
		return
	}
	defer s.refreshMu.Unlock()
	if err := s.refreshLocked(false); err != nil {
		s.log.Warn("directory refresh", "err", err)
	}
}

// recordLogin records a successful bind in the store and remembers the
// change-counter value it produced, when that can be told for sure: the
// counter is read before and after, under a lock that keeps the
// directory's own logins apart, and a move of exactly one is ours.
//
// An account that binds again and again from one address (an app's
// service account, nslcd) is recorded once per Config.SignInEvery: its last
// sign-in stays true to that, and neither the audit log nor the file
// takes a write (and an fsync, under this lock) per bind.
func (s *Server) recordLogin(uid uint64, remote string) {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	if !s.recent.due(uid, remote, time.Now(), s.cfg.SignInEvery) {
		return
	}
	before, err1 := s.db.Changes()
	if err := s.db.RecordLogin(uid, "ldap", remote); err != nil {
		s.log.Error("ldap bind: record login", "err", err)
		return
	}
	after, err2 := s.db.Changes()
	if err1 == nil && err2 == nil && after == before+1 {
		s.logins.add(after)
	}
}

// recentLogins remembers when each (account, address) was last recorded.
type recentLogins map[loginFrom]time.Time

type loginFrom struct {
	uid  uint64
	host string
}

// due reports whether a bind of uid from remote is to be recorded now,
// every being the interval, and if so remembers it. Entries older than
// every are dropped when the map grows, so a flood of addresses cannot
// grow it for long.
func (r recentLogins) due(uid uint64, remote string, now time.Time, every time.Duration) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	k := loginFrom{uid, host}
	if t, ok := r[k]; ok && now.Sub(t) < every {
		return false
	}
	if len(r) >= 4096 {
		for k, t := range r {
			if now.Sub(t) >= every {
				delete(r, k)
			}
		}
	}
	r[k] = now
	return true
}
