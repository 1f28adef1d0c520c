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
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jimlambrt/gldap"
	"github.com/roster-dev/roster/password"
	"github.com/roster-dev/roster/store"
)

// Result codes the directory answers with.
const (
	resultSuccess                    = gldap.ResultSuccess
	resultOperationsError            = gldap.ResultOperationsError
	resultProtocolError              = gldap.ResultProtocolError
	resultSizeLimitExceeded          = gldap.ResultSizeLimitExceeded
	resultNoSuchObject               = gldap.ResultNoSuchObject
	resultInvalidDNSyntax            = gldap.ResultInvalidDNSyntax
	resultInappropriateAuthenticaton = gldap.ResultInappropriateAuthentication
	resultInvalidCredentials         = gldap.ResultInvalidCredentials
	resultInsufficientAccessRights   = gldap.ResultInsufficientAccessRights
	resultBusy                       = gldap.ResultBusy
	resultUnwillingToPerform         = gldap.ResultUnwillingToPerform
	resultConstraintViolation        = gldap.ResultConstraintViolation
	resultOther                      = gldap.ResultOther
	resultConfidentialityRequired    = gldap.ResultConfidentialityRequired
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

	// IdleTimeout closes a client connection that sends nothing for this
	// long. Default 15 min.
	IdleTimeout time.Duration

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
}

// Server is the office directory: Roster's Active users and groups over
// LDAP, read from a store.DB.
//
// The protocol is spoken by gldap, which runs on a private loopback port.
// Clients connect to Roster's own listeners; a small front (front.go)
// relays each client connection to gldap message by message. The front
// exists because gldap v0.1.14 tells a handler neither the client's
// address (needed to rate-limit failed binds per address) nor the value of
// an extended request (needed for password modify and WhoAmI); the front
// reads those itself, and it also does TLS, so LDAPS and StartTLS work the
// same way.
type Server struct {
	db   *store.DB
	cfg  Config
	base DN
	log  *slog.Logger

	dir       atomic.Pointer[directory]
	refreshMu sync.Mutex // serialises reloads; guards seen
	seen      uint64     // the change counter the snapshot reflects

	gl     *gldap.Server
	glAddr string
	secret string // proves to gldap's bind handler that a connection is the front's

	mu        sync.Mutex
	sessions  map[int]*session    // by gldap connection id
	pending   map[string]*session // by front token, until gldap has seen the preamble
	conns     map[*session]struct{}
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
// gldap on a private loopback port and the snapshot refresher. Call Serve
// or ServeTLS with listeners, and Close at the end.
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
		secret:    hex.EncodeToString(secret),
		sessions:  map[int]*session{},
		pending:   map[string]*session{},
		conns:     map[*session]struct{}{},
		listeners: map[net.Listener]struct{}{},
		limits:    newLimiter(cfg.FailureWindow),
		checks:    make(chan struct{}, cfg.MaxConcurrentChecks),
		dummyHash: dummy,
		stop:      make(chan struct{}),
	}
	d, err := loadDirectory(db, base, cfg.TLS != nil)
	if err != nil {
		return nil, err
	}
	s.dir.Store(d)
	s.seen = d.changes
	if err := s.startGldap(); err != nil {
		return nil, err
	}
	s.wg.Add(1)
	go s.refreshLoop()
	return s, nil
}

// startGldap runs gldap on a free loopback port. gldap listens by itself
// and does not say which port it got, so pick one and retry on a clash.
func (s *Server) startGldap() error {
	var lastErr error
	for range 5 {
		gl, err := gldap.NewServer(gldap.WithLogger(hclog.New(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Off})),
			gldap.WithOnClose(s.gldapClosed))
		if err != nil {
			return fmt.Errorf("ldap: %w", err)
		}
		mux, err := gldap.NewMux()
		if err != nil {
			return fmt.Errorf("ldap: %w", err)
		}
		if err := errors.Join(
			mux.Bind(s.safe(s.handleBind)),
			mux.Search(s.safe(s.handleSearch)),
			mux.Modify(s.refuseWrite(gldap.ApplicationModifyResponse)),
			mux.Add(s.refuseWrite(gldap.ApplicationAddResponse)),
			mux.Delete(s.refuseWrite(gldap.ApplicationDelResponse)),
			mux.DefaultRoute(s.refuseWrite(gldap.ApplicationExtendedResponse)),
			gl.Router(mux),
		); err != nil {
			return fmt.Errorf("ldap routes: %w", err)
		}
		probe, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("ldap: %w", err)
		}
		addr := probe.Addr().String()
		probe.Close()
		runErr := make(chan error, 1)
		go func() { runErr <- gl.Run(addr) }()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case err := <-runErr:
				lastErr = err
			default:
			}
			if lastErr != nil {
				break
			}
			if gl.Ready() {
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err == nil {
					c.Close()
					s.gl, s.glAddr = gl, addr
					return nil
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
		_ = gl.Stop()
		if lastErr == nil {
			lastErr = errors.New("gldap did not start listening")
		}
	}
	return fmt.Errorf("ldap: start protocol server: %w", lastErr)
}

// refreshLoop reloads the snapshot when the database's change counter moves.
func (s *Server) refreshLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.refresh(false); err != nil {
				s.log.Warn("directory refresh", "err", err)
			}
		}
	}
}

// refresh reloads the snapshot if the database changed since it was taken,
// or always when force is set.
func (s *Server) refresh(force bool) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if !force {
		n, err := s.db.Changes()
		if err != nil {
			return err
		}
		if n == s.seen {
			return nil
		}
	}
	d, err := loadDirectory(s.db, s.base, s.cfg.TLS != nil)
	if err != nil {
		return err
	}
	s.dir.Store(d)
	s.seen = d.changes
	return nil
}

// loginRecorded tells the refresher that the change counter moved by the
// directory's own RecordLogin, which changes nothing the directory shows
// (the last-login time): without it every sign-in would reload the whole
// snapshot. It only skips the reload when that login is the one change
// since the snapshot; anything else is reloaded as usual.
func (s *Server) loginRecorded() {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if n, err := s.db.Changes(); err == nil && n == s.seen+1 {
		s.seen = n
	}
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

// Close stops the listeners, ends every connection and stops gldap.
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
		sess.closeConns()
	}
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	err := s.gl.Stop()
	s.laterWG.Wait()
	return err
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

// newToken returns a random hex string.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// frontPrefix starts the bind name of the front's preamble.
const frontPrefix = "roster-front:"

// gldapClosed forgets a gldap connection's session.
func (s *Server) gldapClosed(connID int) {
	s.mu.Lock()
	delete(s.sessions, connID)
	s.mu.Unlock()
}

// session returns the front session behind a gldap connection, or nil for a
// connection that did not come through the front.
func (s *Server) session(connID int) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[connID]
}

// adopt links gldap connection connID to the front session named in the
// preamble's bind name; it reports false for anything else.
func (s *Server) adopt(connID int, name string) bool {
	rest := strings.TrimPrefix(name, frontPrefix)
	secret, token, ok := strings.Cut(rest, ":")
	if !ok || !constantTimeEqual(secret, s.secret) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.pending[token]
	if sess == nil {
		return false
	}
	delete(s.pending, token)
	s.sessions[connID] = sess
	return true
}

// safe keeps a bug in a handler from taking the process down: gldap runs
// each request in a goroutine of its own, where its recovery does not
// reach. The connection is closed, as gldap does for a failed decode.
func (s *Server) safe(h gldap.HandlerFunc) gldap.HandlerFunc {
	return func(w *gldap.ResponseWriter, r *gldap.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("ldap handler panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if sess := s.session(r.ConnectionID()); sess != nil {
					sess.closeConns()
				}
			}
		}()
		h(w, r)
	}
}

// refuseWrite answers operations the directory does not offer (add,
// modify, delete…) with the response type app: it is read-only over LDAP.
func (s *Server) refuseWrite(app int) gldap.HandlerFunc {
	return func(w *gldap.ResponseWriter, r *gldap.Request) {
		resp := r.NewResponse(gldap.WithResponseCode(resultUnwillingToPerform), gldap.WithApplicationCode(app),
			gldap.WithDiagnosticMessage("the directory is read-only: change users in Roster"))
		_ = w.Write(resp)
	}
}
