// Package web is Roster's invitation site: the page behind the link in an
// invitation or reset mail, where a person sets a password and their
// account becomes Active, and the "forgot password" form.
//
// It is plain net/http and html/template with its stylesheet embedded; it
// runs no script in the browser. Every response carries a strict
// Content-Security-Policy, no-referrer, no-store and DENY framing; forms
// are guarded by http.CrossOriginProtection and a signed double-submit
// token; requests are rate-limited per client address and per link.
package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/roster-dev/roster/password"
	"github.com/roster-dev/roster/store"
)

// DefaultAddr is where the site listens unless told otherwise: loopback,
// behind a TLS reverse proxy.
const DefaultAddr = "127.0.0.1:8080"

// maxBody bounds a form submission; the largest form holds a 128-character
// password twice.
const maxBody = 16 << 10

// Resetter queues a password-reset mail for the Active user with the given
// e-mail address, and does nothing for any other address. It returns an
// error only when it could not find out (a database failure); the site
// answers the same way in every case. *mail.Mailer implements it (over
// (*store.DB).RequestReset with its templates).
type Resetter interface {
	RequestReset(ctx context.Context, email string) error
}

// Server is the invitation site. Set its fields before the first call to
// Handler, Start or Serve.
type Server struct {
	// DB holds the users and their one-time links.
	DB *store.DB
	// Resets sends "forgot password" mail; nil means the form answers as
	// usual but sends nothing (and logs a warning).
	Resets Resetter
	// Org is the organisation's name, shown on every page.
	Org string
	// BaseURL is the public address of the site ("https://accounts.example.com",
	// maybe with a path) when it runs behind a reverse proxy. Its origin is
	// trusted for form posts, its path prefixes the pages' links, and an
	// https address marks the CSRF cookie Secure.
	BaseURL string
	// TrustProxy makes the site take the client's address from the last
	// entry of X-Forwarded-For when the connection comes from loopback
	// (a reverse proxy on the same machine).
	TrustProxy bool
	// Limits are the rate limits; the zero value means DefaultLimits.
	Limits Limits
	// Log receives one line per password set, refused link or refused
	// form; never a token or a password.
	Log *slog.Logger
	// Observer hears every request's route and status, for metrics; nil
	// hears nothing.
	Observer RequestObserver
	// Hash turns a new password into its PHC string; nil means
	// password.Hash (argon2id with the default costs).
	Hash func(pw string) (string, error)

	once          sync.Once
	initErr       error
	handler       http.Handler
	pages         *pages
	secret        []byte
	root          string // path prefix of every link, ending in "/"
	secureCookies bool
	addrLimit     *limiter
	tokenLimit    *limiter
	resetLimit    *limiter
	hashSlots     chan struct{} // argon2id hashes at once (memory: 19 MiB each)

	bgCtx    context.Context // cancelled by Shutdown; bounds background reset requests
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
	bgSlots  chan struct{}

	mu  sync.Mutex
	srv *http.Server
}

// New returns a Server for db with default settings.
func New(db *store.DB) *Server {
	return &Server{DB: db}
}

// init fills defaults and builds the handler, once.
func (s *Server) init() error {
	s.once.Do(func() { s.initErr = s.setup() })
	return s.initErr
}

func (s *Server) setup() error {
	if s.DB == nil {
		return errors.New("web: no database")
	}
	if s.Org == "" {
		s.Org = "Roster"
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Hash == nil {
		s.Hash = password.Hash
	}
	if s.Limits == (Limits{}) {
		s.Limits = DefaultLimits
	}
	s.root = "/"
	cop := http.NewCrossOriginProtection()
	if s.BaseURL != "" {
		u, err := url.Parse(s.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("web: base URL %q is not an http(s) address", s.BaseURL)
		}
		s.root = strings.TrimSuffix(u.Path, "/") + "/"
		s.secureCookies = u.Scheme == "https"
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return fmt.Errorf("web: %w", err)
		}
	}
	s.secret = make([]byte, 32)
	if _, err := rand.Read(s.secret); err != nil {
		return fmt.Errorf("web: secret: %w", err)
	}
	p, err := loadPages()
	if err != nil {
		return err
	}
	s.pages = p
	now := time.Now
	s.addrLimit = newLimiter(s.Limits.PerAddr, s.Limits.Off, now)
	s.tokenLimit = newLimiter(s.Limits.PerToken, s.Limits.Off, now)
	s.resetLimit = newLimiter(s.Limits.ResetPerAddr, s.Limits.Off, now)
	s.hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	s.bgSlots = make(chan struct{}, 16)
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())

	cop.SetDenyHandler(http.HandlerFunc(s.handleCrossOrigin))
	s.handler = s.observed(s.secure(cop.Handler(s.routes())))
	return nil
}

// routes registers every route of the site, in one place.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.limited(s.handleIndex))
	mux.HandleFunc("GET /invite/{token}", s.limited(s.handleLink))
	mux.HandleFunc("POST /invite/{token}", s.limited(s.handleSetPassword))
	mux.HandleFunc("GET /reset/{token}", s.limited(s.handleLink))
	mux.HandleFunc("POST /reset/{token}", s.limited(s.handleSetPassword))
	mux.HandleFunc("GET /reset", s.limited(s.handleResetForm))
	mux.HandleFunc("POST /reset", s.limited(s.handleResetRequest))
	mux.HandleFunc("GET /static/style.css", s.handleStyle)
	mux.HandleFunc("GET /favicon.ico", s.handleNoContent)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /", s.limited(s.handleNotFound))
	return mux
}

// secure sets the security headers on every response, before any handler
// (or the cross-origin check) can write.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		next.ServeHTTP(w, r)
	})
}

// limited applies the per-address rate limit.
func (s *Server) limited(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := s.addrLimit.allow(limitKey(s.clientAddr(r))); !ok {
			s.tooMany(w, r, wait)
			return
		}
		next(w, r)
	}
}

// Handler returns the site's http.Handler, for tests and for embedding in
// another server.
func (s *Server) Handler() (http.Handler, error) {
	if err := s.init(); err != nil {
		return nil, err
	}
	return s.handler, nil
}

// Start listens on addr ("127.0.0.1:8080"; port 0 picks a free one) and
// serves in the background until Shutdown. It returns the address it
// listens on. When the address is taken (errors.Is(err,
// syscall.EADDRINUSE)), another process, such as a `roster serve`,
// probably serves the site already: a TUI can then leave it be.
func (s *Server) Start(addr string) (net.Addr, error) {
	if err := s.init(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("web: listen on %s: %w", addr, err)
	}
	srv := s.httpServer()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Log.Error("invitation site stopped", "err", err)
		}
	}()
	return ln.Addr(), nil
}

// Serve serves on ln until Shutdown; it then returns http.ErrServerClosed.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.init(); err != nil {
		return err
	}
	return s.httpServer().Serve(ln)
}

// Run serves on addr until ctx is cancelled, then shuts down within 10
// seconds. A clean stop returns nil.
func (s *Server) Run(ctx context.Context, addr string) error {
	a, err := s.Start(addr)
	if err != nil {
		return err
	}
	s.Log.Info("invitation site listening", "addr", a.String(), "base_url", s.BaseURL)
	if s.secureCookies && !s.TrustProxy && !s.Limits.Off {
		s.Log.Warn("the base URL is https but the proxy is not trusted: every client counts as the proxy's address " +
			"for the rate limits; give --trust-proxy when a reverse proxy on this machine forwards to the site")
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Shutdown(sctx)
}

func (s *Server) httpServer() *http.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		s.srv = &http.Server{
			Handler: s.handler,
			// Slow clients may not hold connections open for long.
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       15 * time.Second,
			// A submission may wait for a free argon2id slot under load.
			WriteTimeout:   30 * time.Second,
			IdleTimeout:    120 * time.Second,
			MaxHeaderBytes: 16 << 10,
			ErrorLog:       slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
		}
	}
	return s.srv
}

// Shutdown stops accepting connections, waits for requests in flight and
// background reset requests to finish (or ctx to end), and returns.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
	}
	if s.bgCancel != nil {
		done := make(chan struct{})
		go func() { s.bg.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			s.bgCancel()
			<-done
		}
	}
	return err
}
