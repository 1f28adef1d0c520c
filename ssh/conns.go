package ssh

import (
	"fmt"
	"net"
	"sync"
	"time"

	charmssh "github.com/charmbracelet/ssh"
	"github.com/roster-dev/roster"
	gossh "golang.org/x/crypto/ssh"
)

// connTracker follows every connection from accept to close, so that no
// kind of connection can pile up: before sign-in they are capped per
// address, signed in they are capped per user, and a signed-in connection
// that runs no app (no session with a terminal) is closed after
// NoSessionTimeout. A connection's key is its remote address (ip:port),
// which is unique among open TCP connections.
type connTracker struct {
	maxPreAuth  int           // connections per address not yet signed in
	maxPerUser  int           // signed-in connections per user
	noSession   time.Duration // how long a signed-in connection may run no app
	onNoSession func(c *trackedConn)

	mu      sync.Mutex
	conns   map[string]*trackedConn
	preAuth map[string]int  // by host
	perUser map[string]int  // by normalised username
	refused map[string]bool // remote addresses refused at sign-in, until connectionFailed asks
}

// trackedConn is one open connection.
type trackedConn struct {
	net.Conn
	remote, host string

	// Guarded by the tracker's mu.
	user     string // "" until signed in
	sessions int    // open sessions with the app
	idle     *time.Timer
	closed   bool
}

func newConnTracker(maxPreAuth, maxPerUser int, noSession time.Duration) *connTracker {
	return &connTracker{maxPreAuth: maxPreAuth, maxPerUser: maxPerUser, noSession: noSession,
		conns: map[string]*trackedConn{}, preAuth: map[string]int{}, perUser: map[string]int{}, refused: map[string]bool{}}
}

// accept registers a new connection, or returns nil when its address
// already has maxPreAuth connections that have not signed in.
func (t *connTracker) accept(conn net.Conn) *trackedConn {
	host := clientHost(conn.RemoteAddr())
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.preAuth[host] >= t.maxPreAuth {
		return nil
	}
	t.preAuth[host]++
	c := &trackedConn{Conn: conn, remote: conn.RemoteAddr().String(), host: host}
	t.conns[c.remote] = c
	return c
}

// signedIn moves a connection from its address's count to its user's, and
// reports false when the user already has maxPerUser connections. A
// signed-in connection starts with no app, so the no-session clock runs.
func (t *connTracker) signedIn(remote, username string) (*trackedConn, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.conns[remote]
	if c == nil || c.closed || c.user != "" {
		return c, c != nil && !c.closed
	}
	t.preAuth[c.host]--
	c.user = username
	t.perUser[username]++
	if t.perUser[username] > t.maxPerUser {
		if len(t.refused) >= maxTrackedAddrs { // never asked about: a bound, not a leak
			clear(t.refused)
		}
		t.refused[remote] = true
		return c, false
	}
	t.armLocked(c)
	return c, true
}

// armLocked starts the no-session clock; the caller holds mu.
func (t *connTracker) armLocked(c *trackedConn) {
	if c.idle != nil {
		c.idle.Stop()
	}
	c.idle = time.AfterFunc(t.noSession, func() {
		t.mu.Lock()
		idle := !c.closed && c.sessions == 0
		t.mu.Unlock()
		if idle && t.onNoSession != nil {
			t.onNoSession(c)
		}
	})
}

// sessionOpened stops the no-session clock of the connection at remote.
func (t *connTracker) sessionOpened(remote string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.conns[remote]; c != nil {
		c.sessions++
		if c.idle != nil {
			c.idle.Stop()
		}
	}
}

// sessionClosed starts the clock again when the connection's last
// session ends: a connection kept open after its app (a multiplexing
// client) is closed like one that never opened one.
func (t *connTracker) sessionClosed(remote string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.conns[remote]; c != nil && !c.closed {
		c.sessions--
		if c.sessions == 0 {
			t.armLocked(c)
		}
	}
}

// wasRefused reports whether the connection at remote was closed on
// purpose at sign-in (over the user's cap), so it is not counted as a
// failed sign-in against its address. It is asked once per connection.
func (t *connTracker) wasRefused(remote string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.refused[remote]
	delete(t.refused, remote)
	return r
}

// counts returns the connections not signed in from host, and those
// signed in as username.
func (t *connTracker) counts(host, username string) (preAuth, user int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.preAuth[host], t.perUser[username]
}

// Close closes the connection and releases its place, once.
func (c *trackedConn) close(t *connTracker) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	if c.idle != nil {
		c.idle.Stop()
	}
	if c.user == "" {
		t.preAuth[c.host]--
		if t.preAuth[c.host] <= 0 {
			delete(t.preAuth, c.host)
		}
	} else {
		t.perUser[c.user]--
		if t.perUser[c.user] <= 0 {
			delete(t.perUser, c.user)
		}
	}
	delete(t.conns, c.remote)
}

// trackedNetConn releases the connection's place when the server closes it.
type trackedNetConn struct {
	*trackedConn
	t    *connTracker
	once sync.Once
}

func (n *trackedNetConn) Close() error {
	err := n.trackedConn.Conn.Close()
	n.once.Do(func() { n.trackedConn.close(n.t) })
	return err
}

// connGate is the server's hook for each new connection: it refuses an
// address with too many connections that have not signed in, and closes
// a connection that has not signed in within HandshakeTimeout. (The
// server's own idle timeout is reset by every byte and would let a
// trickle through.)
func (s *Server) connGate(ctx charmssh.Context, conn net.Conn) net.Conn {
	c := s.conns.accept(conn)
	if c == nil {
		s.log.Warn("ssh connection refused: too many connections from this address are signing in",
			"from", conn.RemoteAddr().String(), "limit", s.cfg.MaxPreAuthPerAddr)
		return nil
	}
	time.AfterFunc(s.cfg.HandshakeTimeout, func() {
		if ctx.Value(charmssh.ContextKeyConn) == nil {
			s.log.Info("ssh connection closed: no sign-in in time", "from", c.remote, "after", s.cfg.HandshakeTimeout)
			_ = conn.Close()
		}
	})
	return &trackedNetConn{trackedConn: c, t: s.conns}
}

// authLog hears every sign-in attempt's outcome; a nil err is a
// connection that has just signed in (a key the client proved it holds).
// The name was checked to be the key's user, so connections are counted
// per name. Over the user's cap the client is told why in a banner, and
// the connection is closed before it can open anything.
func (s *Server) authLog(meta gossh.ConnMetadata, method string, err error) {
	if err != nil {
		return
	}
	name := roster.NormalizeUsername(meta.User())
	c, ok := s.conns.signedIn(meta.RemoteAddr().String(), name)
	if ok || c == nil {
		return
	}
	s.log.Warn("ssh connection refused: the user's connection limit reached", "name", name,
		"from", c.remote, "limit", s.cfg.MaxSessionsPerUser)
	if b, isBanner := meta.(interface{ SendAuthBanner(string) error }); isBanner {
		_ = b.SendAuthBanner(fmt.Sprintf("roster: you already have %s open, the most one user may have at once; close one and connect again.\n",
			plural(s.cfg.MaxSessionsPerUser, "connection")))
	}
	_ = c.Conn.Close()
}

// closeIdleConn closes a signed-in connection that ran no app for
// NoSessionTimeout.
func (s *Server) closeIdleConn(c *trackedConn) {
	s.log.Info("ssh connection closed: signed in but opened no session in time", "from", c.remote, "after", s.cfg.NoSessionTimeout)
	_ = c.Conn.Close()
}
