package ldap

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roster-dev/roster/password"
	"github.com/roster-dev/roster/store"
)

// Config sets up a directory Server. Only BaseDN is required.
type Config struct {
	// BaseDN is the directory's suffix, for example "dc=example,dc=com".
	BaseDN string

	// TLS, when set, enables StartTLS on plain listeners and is what
	// ServeTLS (LDAPS) listeners present.
	TLS *tls.Config

	// Log hears connections, refusals and errors; nil discards.
	Log *slog.Logger

	// Refresh is how often the server checks the database's change counter
	// and reloads its snapshot when it moved. Default 1 s.
	Refresh time.Duration

	// SignInEvery is how often repeated binds of one account from one
	// address are recorded as a sign-in (last login and an audit event).
	// Default 1 min.
	SignInEvery time.Duration

	// Failed binds: after MaxFailuresPerAccount failures for one account,
	// or MaxFailuresPerAddr from one client address, within FailureWindow,
	// binds are refused until the window has passed. Defaults 10, 50, 10 min.
	MaxFailuresPerAccount int
	MaxFailuresPerAddr    int
	FailureWindow         time.Duration

	// MaxConcurrentChecks bounds the argon2id checks running at once (each
	// takes the hash's memory, 19 MiB by default). Default: the CPU count.
	MaxConcurrentChecks int

	// SizeLimit caps the entries of a search that is not paged (0: none).
	SizeLimit int

	// IdleTimeout closes a bound client connection that sends nothing for
	// this long. Default 15 min.
	IdleTimeout time.Duration

	// BindTimeout closes a connection that has not bound this long after
	// it opened (it may read the root DSE meanwhile). Default 10 s.
	BindTimeout time.Duration

	// MaxUnboundPerAddr bounds the unbound connections from one client
	// address (default 64); MaxUnbound bounds them in all (default 512),
	// the oldest of the busiest address making way for a newcomer.
	MaxUnboundPerAddr int
	MaxUnbound        int

	// MaxRequestSize bounds one LDAP request in bytes; a client announcing
	// a larger one is disconnected before its body is read. Default 256 KiB.
	MaxRequestSize int

	// SearchFreshness is how old the snapshot may be, at most, compared
	// with the database when a search starts (default 100 ms): a search
	// checks the change counter when the last check is older. Binds
	// always check.
	SearchFreshness time.Duration

	// Observer hears binds and searches, for metrics; nil hears nothing.
	Observer Observer

	// RequireTLS refuses binds (and so everything else) on a connection
	// that is not encrypted: LDAPS, or plain LDAP after StartTLS.
	RequireTLS bool

	// MaxConns bounds the client connections open at once; more are closed
	// as soon as they are accepted. Default 1024.
	MaxConns int
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Refresh <= 0 {
		c.Refresh = time.Second
	}
	if c.SignInEvery <= 0 {
		c.SignInEvery = time.Minute
	}
	if c.MaxFailuresPerAccount <= 0 {
		c.MaxFailuresPerAccount = 10
	}
	if c.MaxFailuresPerAddr <= 0 {
		c.MaxFailuresPerAddr = 50
	}
	if c.FailureWindow <= 0 {
		c.FailureWindow = 10 * time.Minute
	}
	if c.MaxConcurrentChecks <= 0 {
		c.MaxConcurrentChecks = runtime.NumCPU()
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 15 * time.Minute
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 1024
	}
	if c.BindTimeout <= 0 {
		c.BindTimeout = 10 * time.Second
	}
	if c.MaxUnboundPerAddr <= 0 {
		c.MaxUnboundPerAddr = 64
	}
	if c.MaxUnbound <= 0 {
		c.MaxUnbound = 512
	}
	if c.MaxRequestSize <= 0 {
		c.MaxRequestSize = 256 << 10
	}
	if c.SearchFreshness <= 0 {
		c.SearchFreshness = 100 * time.Millisecond
	}
}

// Server is the office directory: Roster's Active users and groups over
// LDAP, read from a store.DB. It speaks the protocol itself (conn.go,
// message.go, ber.go): one goroutine reads a connection's requests, and
// each search runs in a goroutine of its own, so that an Abandon can stop
// it.
type Server struct {
	db   *store.DB
	cfg  Config
	base DN
	log  *slog.Logger

	dir       atomic.Pointer[directory]
	refreshMu sync.Mutex   // serialises reloads; guards seen
	seen      uint64       // the change counter the snapshot reflects
	news      newsSeen     // the store's news since seen was read (fresh.go); under refreshMu
	checked   atomic.Int64 // when the counter was last compared (unix ns)
	logins    ownLogins    // counter values moved by the directory's own login records
	loginMu   sync.Mutex   // keeps the directory's own login records apart (recordLogin)
	recent    recentLogins // when each account was last recorded from each address; under loginMu

	mu        sync.Mutex
	frontDoor // connections, guarded by mu
	listeners map[net.Listener]struct{}
	closed    bool

	limits    *limiter
	checks    chan struct{} // semaphore of argon2id checks
	dummyHash string        // verified against for unknown accounts, so timing tells nothing

	stop    chan struct{}
	wg      sync.WaitGroup
	laterWG sync.WaitGroup // work left to do after an answer (see later)
}

// New prepares a directory for db: it loads the first snapshot and starts
// the snapshot refresher. Call Serve or ServeTLS with listeners, and Close
// at the end.
func New(db *store.DB, cfg Config) (*Server, error) {
	cfg.defaults()
	if cfg.RequireTLS && cfg.TLS == nil {
		return nil, errors.New("requiring TLS needs a certificate (Config.TLS)")
	}
	base, err := ParseDN(cfg.BaseDN)
	if err != nil || len(base) == 0 {
		return nil, fmt.Errorf("base DN %q: want something like dc=example,dc=com", cfg.BaseDN)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("ldap: %w", err)
	}
	dummy, err := password.Hash(hex.EncodeToString(secret))
	if err != nil {
		return nil, err
	}
	s := &Server{
		db: db, cfg: cfg, base: base, log: cfg.Log,
		frontDoor: newFrontDoor(),
		listeners: map[net.Listener]struct{}{},
		limits:    newLimiter(cfg.FailureWindow),
		recent:    recentLogins{},
		checks:    make(chan struct{}, cfg.MaxConcurrentChecks),
		dummyHash: dummy,
		stop:      make(chan struct{}),
	}
	watch := db.Changed()
	d, err := loadDirectory(db, base, cfg.TLS != nil, nil)
	if err != nil {
		return nil, err
	}
	s.dir.Store(d)
	s.seen, s.news = d.changes, newsSeen{watch, time.Now()}
	s.checked.Store(time.Now().UnixNano())
	s.wg.Add(1)
	go s.refreshLoop()
	return s, nil
}

// Serve answers LDAP on l until Close; StartTLS is offered when Config.TLS
// is set. It returns nil after Close.
func (s *Server) Serve(l net.Listener) error { return s.serve(l, false) }

// ServeTLS answers LDAPS on l (which must be a plain TCP listener; the
// server does the TLS with Config.TLS) until Close.
func (s *Server) ServeTLS(l net.Listener) error {
	if s.cfg.TLS == nil {
		return errors.New("ldap: LDAPS needs a certificate (Config.TLS)")
	}
	return s.serve(tls.NewListener(l, s.cfg.TLS), true)
}

func (s *Server) serve(l net.Listener, isTLS bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return nil
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("ldap accept: %w", err)
		}
		delay = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handleConn(c, isTLS)
		}()
	}
}

// Close stops the listeners and ends every connection.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	for sess := range s.conns {
		sess.raw.Close()
	}
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	s.laterWG.Wait()
	return nil
}

// later runs fn in the background; Close waits for it. After Close it
// runs fn at once.
func (s *Server) later(fn func()) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		fn()
		return
	}
	s.laterWG.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.laterWG.Done()
		fn()
	}()
}
