// Package ssh serves Roster's terminal app over SSH with Wish: it signs
// users in by the public keys registered on their Roster user, gives every
// session its own app acting as that user, and enforces the limits a
// server open to the network needs (failed sign-ins and connections still
// signing in per address, idle sessions, connections with no session,
// concurrent sessions in all with a reserve for owners, and connections
// per user). Sessions follow the
// database: they end when their user loses access, and switch app when
// their user's role changes.
package ssh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/wish/v2"
	"charm.land/wish/v2/accesscontrol"
	bm "charm.land/wish/v2/bubbletea"
	"charm.land/wish/v2/logging"
	rm "charm.land/wish/v2/recover"
	charmssh "github.com/charmbracelet/ssh"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	gossh "golang.org/x/crypto/ssh"
)

// Defaults of Config.
const (
	DefaultIdleTimeout   = 30 * time.Minute
	DefaultMaxSessions   = 50
	DefaultMaxPerUser    = 3
	DefaultMaxFailures   = 10
	DefaultFailureWindow = time.Minute
	DefaultHandshake     = 30 * time.Second
	DefaultOwnerReserve  = 2
	DefaultNoSession     = 30 * time.Second
	DefaultMaxPreAuth    = 10
)

// Session describes a signed-in SSH session to the App that runs in it.
type Session struct {
	Actor  roster.Actor // the signed-in user, with the role the database gives now
	Width  int          // the client's terminal size at the start
	Height int
	Term   string // the client's $TERM
	Remote string // the client's address
}

// App makes the model a session runs. It is called when the session
// starts, and again whenever the user's role changes in the database: the
// new model then replaces the old one in the same session.
type App func(Session) tea.Model

// Config configures a Server. Zero values take the defaults.
type Config struct {
	// HostKeyPath is the host's private key, generated on first start;
	// default: HostKeyFile in the database's folder.
	HostKeyPath string
	// IdleTimeout closes a session when no key was pressed for this long.
	IdleTimeout time.Duration
	// MaxSessions refuses sessions beyond this many at once.
	MaxSessions int
	// MaxSessionsPerUser refuses a user's sessions beyond this many at
	// once, so one user (or one stolen key) cannot take every slot.
	MaxSessionsPerUser int
	// OwnerReserve of the MaxSessions slots are kept for owners: members
	// and admins are refused once only these are left, so together they
	// cannot lock the owners out. Default DefaultOwnerReserve; negative:
	// none. It is at most MaxSessions-1, so everyone has a slot.
	OwnerReserve int
	// NoSessionTimeout closes a signed-in connection that has no session
	// with the app open for this long (none yet, or none since its last
	// one ended). Signed-in connections also count against
	// MaxSessionsPerUser, per user, so one user cannot hold hundreds.
	NoSessionTimeout time.Duration
	// MaxPreAuthPerAddr refuses a new connection from an address that has
	// this many connections not yet signed in.
	MaxPreAuthPerAddr int
	// MaxFailures connections from one address may fail to sign in in a
	// row; then the address earns one attempt back every
	// FailureWindow/MaxFailures and is refused until it has. (A client
	// that offers several keys before the right one does not fail.)
	MaxFailures   int
	FailureWindow time.Duration
	// HandshakeTimeout closes a connection that has not signed in by then.
	HandshakeTimeout time.Duration
	// Log hears connections, sign-ins and refusals; default: discard.
	Log *slog.Logger
	// Observer hears sessions open and close, for metrics; nil hears nothing.
	Observer SessionObserver
	// App is what each session runs; default: Roster's terminal app.
	App App
}

// Server is Roster's SSH server.
type Server struct {
	db      *store.DB
	cfg     Config
	log     *slog.Logger
	signer  gossh.Signer
	created bool
	srv     *charmssh.Server
	limiter *failureLimiter

	sessions *registry
	conns    *connTracker
	followed atomic.Uint64 // the change counter the sessions last followed
	stopIdle chan struct{}
	stopOnce sync.Once
}

// New prepares a server: it loads the host key, creating it on first
// start. Serve starts it.
func New(db *store.DB, cfg Config) (*Server, error) {
	if cfg.HostKeyPath == "" {
		cfg.HostKeyPath = filepath.Join(filepath.Dir(db.Path()), HostKeyFile)
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.MaxSessionsPerUser <= 0 {
		cfg.MaxSessionsPerUser = DefaultMaxPerUser
	}
	switch {
	case cfg.OwnerReserve == 0:
		cfg.OwnerReserve = DefaultOwnerReserve
	case cfg.OwnerReserve < 0:
		cfg.OwnerReserve = 0
	}
	cfg.OwnerReserve = min(cfg.OwnerReserve, cfg.MaxSessions-1)
	if cfg.NoSessionTimeout <= 0 {
		cfg.NoSessionTimeout = DefaultNoSession
	}
	if cfg.MaxPreAuthPerAddr <= 0 {
		cfg.MaxPreAuthPerAddr = DefaultMaxPreAuth
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	if cfg.FailureWindow <= 0 {
		cfg.FailureWindow = DefaultFailureWindow
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshake
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.App == nil {
		cfg.App = defaultApp(db)
	}
	signer, created, err := LoadHostKey(cfg.HostKeyPath)
	if err != nil {
		return nil, err
	}
	s := &Server{
		db: db, cfg: cfg, log: cfg.Log, signer: signer, created: created,
		limiter:  newFailureLimiter(cfg.MaxFailures, cfg.FailureWindow),
		sessions: newRegistry(cfg.MaxSessions, cfg.MaxSessionsPerUser, cfg.OwnerReserve),
		conns:    newConnTracker(cfg.MaxPreAuthPerAddr, cfg.MaxSessionsPerUser, cfg.NoSessionTimeout),
		stopIdle: make(chan struct{}),
	}
	s.conns.onNoSession = s.closeIdleConn
	s.srv, err = wish.NewServer(
		wish.WithVersion("Roster"),
		wish.WithPublicKeyAuth(s.handlePublicKey),
		// A backstop for dead connections; the idle rule people see (no
		// key pressed) is the sessions' own, the handshake has its own.
		wish.WithIdleTimeout(cfg.IdleTimeout+time.Minute),
		wish.WithMiddleware(s.middleware()...),
		charmssh.WrapConn(s.connGate),
		func(srv *charmssh.Server) error {
			srv.AddHostKey(signer)
			srv.ServerConfigCallback = func(charmssh.Context) *gossh.ServerConfig {
				return &gossh.ServerConfig{AuthLogCallback: s.authLog}
			}
			srv.ConnectionFailedCallback = s.connectionFailed
			return nil
		},
	)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	return s, nil
}

// middleware lists the Wish middleware chain. Wish runs the LAST one
// first, so read this list from the bottom up to follow a session.
func (s *Server) middleware() []wish.Middleware {
	return []wish.Middleware{
		// 7. Runs the app in the session's terminal: its size, colour
		//    profile ($TERM and the client's environment) and resizes.
		bm.MiddlewareWithProgramHandler(s.programHandler),
		// 6. Counts the session against the limit, watches it for
		//    idleness and shutdown, and tells the person why it ended.
		s.sessionMiddleware,
		// 5. Roster runs no commands: `ssh -t host ls` is refused.
		accesscontrol.Middleware(),
		// 4. Without a terminal there is nothing to show: one line, exit 1.
		s.requireTerminal,
		// 3. Checks again the key that really signed in (the auth callback
		//    may have seen others first), records the sign-in, and puts
		//    the actor in the context.
		s.authenticate,
		// 2. Logs each connection and its duration.
		logging.MiddlewareWithLogger(printfLogger{s.log}),
		// 1. A panic in one session ends that session, not the server.
		rm.MiddlewareWithLogger(printfLogger{s.log}),
	}
}

// Fingerprint returns the host key's SHA256 fingerprint.
func (s *Server) Fingerprint() string { return Fingerprint(s.signer) }

// HostKeyCreated reports whether New generated the host key.
func (s *Server) HostKeyCreated() bool { return s.created }

// OwnerReserve returns how many of the MaxSessions slots only owners
// may take.
func (s *Server) OwnerReserve() int { return s.sessions.ownerReserve }

// HostKeyPath returns where the host key lives.
func (s *Server) HostKeyPath() string { return s.cfg.HostKeyPath }

// Serve accepts connections on ln until Shutdown or Close. It returns
// charmssh.ErrServerClosed after Shutdown, like http.Server.
func (s *Server) Serve(ln net.Listener) error {
	go s.watch()
	return s.srv.Serve(ln)
}

// Shutdown stops accepting connections, tells every open session that the
// server is going away and ends it, waits until the sessions have said so
// (or ctx ends), and then closes the connections. Every change a session
// made is already committed: the store writes each in one transaction.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stopIdle) })
	s.sessions.closeAll(endShutdown)
	// Closes the listeners at once; it would then wait for clients to hang
	// up, which those holding a connection open without a session never do.
	drained := make(chan struct{})
	go func() { _ = s.srv.Shutdown(ctx); close(drained) }()
	err := s.sessions.waitEmpty(ctx)
	// Give clients a moment to hang up themselves (OpenSSH does once its
	// session ends) before closing what is left.
	select {
	case <-drained:
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
	if cerr := s.srv.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}

// Close closes the listener and every connection at once.
func (s *Server) Close() error {
	s.stopOnce.Do(func() { close(s.stopIdle) })
	return s.srv.Close()
}

// printfLogger lets Wish's middleware log through slog.
type printfLogger struct{ log *slog.Logger }

func (p printfLogger) Printf(format string, v ...any) {
	p.log.Info(strings.TrimSpace(fmt.Sprintf(format, v...)))
}
