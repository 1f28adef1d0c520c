package ssh

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	bm "charm.land/wish/v2/bubbletea"
	charmssh "github.com/charmbracelet/ssh"
	"github.com/roster-dev/roster"
)

// Why the server ended a session.
type endReason int

const (
	endNone     endReason = iota
	endIdle               // no key pressed for the idle timeout
	endShutdown           // the server is stopping
	endRevoked            // the user was disabled or deleted, or the key removed
)

// liveSession is one open app session.
type liveSession struct {
	sess      charmssh.Session
	actor     roster.Actor
	key       charmssh.PublicKey // the key the session signed in with
	lastInput atomic.Int64       // unix nanoseconds of the last byte the client sent

	mu      sync.Mutex
	program *tea.Program
	reason  endReason
}

func (l *liveSession) touch() { l.lastInput.Store(time.Now().UnixNano()) }

// quitGrace is how long a program gets to quit cleanly before it is killed.
const quitGrace = 5 * time.Second

// end asks the session's program to quit, once, for reason.
func (l *liveSession) end(reason endReason) {
	l.mu.Lock()
	if l.reason != endNone {
		l.mu.Unlock()
		return
	}
	l.reason = reason
	p := l.program
	l.mu.Unlock()
	if p != nil {
		go stop(p)
	}
}

// stop quits p, and kills it if it has not quit after quitGrace. Quit
// blocks until the program takes the message, so it runs on its own.
func stop(p *tea.Program) {
	done := make(chan struct{})
	go func() { p.Quit(); p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(quitGrace):
		p.Kill()
	}
}

func (l *liveSession) setProgram(p *tea.Program) {
	l.mu.Lock()
	l.program = p
	ended := l.reason != endNone
	l.mu.Unlock()
	if ended {
		go stop(p)
	}
}

func (l *liveSession) endReason() endReason {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

// registry holds the open sessions.
type registry struct {
	max int

	mu      sync.Mutex
	live    map[charmssh.Session]*liveSession
	closing bool
	changed chan struct{} // closed and replaced when a session leaves
}

func newRegistry(max int) *registry {
	return &registry{max: max, live: map[charmssh.Session]*liveSession{}, changed: make(chan struct{})}
}

// add registers a session, or returns nil and the reason it may not open.
func (r *registry) add(sess charmssh.Session) (*liveSession, endReason, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return nil, endShutdown, false
	}
	if len(r.live) >= r.max {
		return nil, endNone, false
	}
	actor, _ := actorOf(sess)
	l := &liveSession{sess: sess, actor: actor, key: sess.PublicKey()}
	l.touch()
	r.live[sess] = l
	return l, endNone, true
}

func (r *registry) remove(sess charmssh.Session) {
	r.mu.Lock()
	delete(r.live, sess)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// waitEmpty waits until no session is open, or ctx ends.
func (r *registry) waitEmpty(ctx context.Context) error {
	for {
		r.mu.Lock()
		n, changed := len(r.live), r.changed
		r.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (r *registry) get(sess charmssh.Session) *liveSession {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.live[sess]
}

// count returns the number of open sessions.
func (r *registry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.live)
}

// closeAll ends every session and refuses new ones.
func (r *registry) closeAll(reason endReason) {
	r.mu.Lock()
	r.closing = true
	all := make([]*liveSession, 0, len(r.live))
	for _, l := range r.live {
		all = append(all, l)
	}
	r.mu.Unlock()
	for _, l := range all {
		l.end(reason)
	}
}

// endIdle ends the sessions whose last input is older than timeout.
func (r *registry) endIdle(now time.Time, timeout time.Duration) {
	r.mu.Lock()
	var idle []*liveSession
	for _, l := range r.live {
		if now.Sub(time.Unix(0, l.lastInput.Load())) >= timeout {
			idle = append(idle, l)
		}
	}
	r.mu.Unlock()
	for _, l := range idle {
		l.end(endIdle)
	}
}

// all returns the open sessions.
func (r *registry) all() []*liveSession {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*liveSession, 0, len(r.live))
	for _, l := range r.live {
		out = append(out, l)
	}
	return out
}

// revokeEvery is how often the server looks for changes that take a
// signed-in user's access away.
const revokeEvery = time.Second

// watch ends idle sessions, and sessions whose user lost access (disabled,
// deleted, the key removed), until the server stops.
func (s *Server) watch() {
	idle := time.NewTicker(min(max(s.cfg.IdleTimeout/10, 10*time.Millisecond), 30*time.Second))
	defer idle.Stop()
	revoke := time.NewTicker(revokeEvery)
	defer revoke.Stop()
	var seen uint64
	for {
		select {
		case <-s.stopIdle:
			return
		case now := <-idle.C:
			s.sessions.endIdle(now, s.cfg.IdleTimeout)
		case <-revoke.C:
			n, err := s.db.Changes()
			if err != nil || n == seen {
				continue
			}
			seen = n
			s.endRevoked()
		}
	}
}

// endRevoked ends the sessions whose key no longer signs in their user.
func (s *Server) endRevoked() {
	for _, l := range s.sessions.all() {
		if l.key == nil {
			continue
		}
		u, _, err := s.db.UserByKey(l.key)
		switch {
		case roster.ErrorCode(err) == roster.ENOTFOUND, err == nil && (u.ID != l.actor.UserID || u.Status != roster.StatusActive):
			s.log.Info("ssh session ended: access revoked", "user", l.actor.Name)
			l.end(endRevoked)
		case err != nil:
			s.log.Error("ssh: check a session's access", "err", err)
		}
	}
}

// requireTerminal answers a session without a terminal (`ssh -T`, or a
// command) with one line saying how to connect, and exit status 1.
func (s *Server) requireTerminal(next charmssh.Handler) charmssh.Handler {
	return func(sess charmssh.Session) {
		if _, _, ok := sess.Pty(); ok {
			next(sess)
			return
		}
		fmt.Fprintf(sess.Stderr(), "roster: this is Roster's terminal app; it needs a terminal and runs no commands. Connect with: %s\n",
			connectHint(sess))
		_ = sess.Exit(1)
	}
}

// connectHint is the command that opens the app: "ssh -t -p 2222 ada@HOST".
func connectHint(sess charmssh.Session) string {
	port := ""
	if tcp, ok := sess.LocalAddr().(*net.TCPAddr); ok && tcp.Port != 22 {
		port = fmt.Sprintf("-p %d ", tcp.Port)
	}
	return fmt.Sprintf("ssh -t %s%s@HOST", port, sess.User())
}

// sessionMiddleware counts the session against the limit, registers it
// for the idle watch and shutdown, and once the app has ended says why the
// server ended it.
func (s *Server) sessionMiddleware(next charmssh.Handler) charmssh.Handler {
	return func(sess charmssh.Session) {
		l, why, ok := s.sessions.add(sess)
		if !ok {
			if why == endShutdown {
				fmt.Fprintln(sess.Stderr(), "roster: the server is shutting down; connect again in a moment.")
			} else {
				s.log.Warn("ssh session refused: session limit reached", "limit", s.cfg.MaxSessions, "name", sess.User())
				fmt.Fprintf(sess.Stderr(), "roster: the server already has %d sessions open, its limit; try again later.\n", s.cfg.MaxSessions)
			}
			_ = sess.Exit(1)
			return
		}
		defer s.sessions.remove(sess)
		next(sess)
		switch l.endReason() {
		case endIdle:
			fmt.Fprintf(sess, "roster: closed after %s without a key press. Connect again to go on.\n", humanDuration(s.cfg.IdleTimeout))
			_ = sess.Exit(1)
		case endShutdown:
			fmt.Fprintln(sess, "roster: the server is shutting down; your saved changes are kept. Connect again in a moment.")
			_ = sess.Exit(1)
		case endRevoked:
			fmt.Fprintln(sess, "roster: your account is no longer active, or your key was removed; signed out.")
			_ = sess.Exit(1)
		default:
			_ = sess.Exit(0)
		}
	}
}

// programHandler builds the session's Bubble Tea program: the app acting
// as the signed-in user, in the client's terminal (size, $TERM and colour
// profile come from Wish's MakeOptions), with its input watched for the
// idle timeout.
func (s *Server) programHandler(sess charmssh.Session) *tea.Program {
	l := s.sessions.get(sess)
	actor, ok := actorOf(sess)
	if l == nil || !ok {
		return nil
	}
	pty, _, _ := sess.Pty()
	m := s.cfg.App(Session{Actor: actor, Width: pty.Window.Width, Height: pty.Window.Height,
		Term: pty.Term, Remote: sess.RemoteAddr().String()})
	opts := append(bm.MakeOptions(sess),
		// Replaces MakeOptions' input with the same session, watched.
		tea.WithInput(activityReader{r: sess, l: l}),
		// Signals belong to the server process, not to one session.
		tea.WithoutSignalHandler(),
	)
	p := tea.NewProgram(m, opts...)
	l.setProgram(p)
	return p
}

// activityReader notes the time of every read that brought input.
type activityReader struct {
	r io.Reader
	l *liveSession
}

func (a activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.l.touch()
	}
	return n, err
}

// humanDuration reads 30m as "30 minutes", 90s as "1m30s".
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute")
	case d >= time.Second && d%time.Second == 0 && d < time.Minute:
		return plural(int(d/time.Second), "second")
	}
	return d.String()
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
