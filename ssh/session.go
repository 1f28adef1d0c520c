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
	userID    uint64             // the signed-in user
	key       charmssh.PublicKey // the key the session signed in with
	lastInput atomic.Int64       // unix nanoseconds of the last byte the client sent

	mu      sync.Mutex
	actor   roster.Actor // the user, with the role the database gives now
	program *tea.Program
	shown   roster.Column // the kind of actor the program's app was made for (role, or group manager)
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

// setProgram records the session's program, made for the role shown. A
// role change noticed while it was being made is passed on at once.
func (l *liveSession) setProgram(p *tea.Program, shown roster.Column) {
	l.mu.Lock()
	l.program, l.shown = p, shown
	ended := l.reason != endNone
	actor := l.actor
	l.mu.Unlock()
	if ended {
		go stop(p)
		return
	}
	if actor.Column() != shown {
		l.follow(actor)
	}
}

// noteScope records the scope resolved for the session's first app, so
// that setProgram does not take the actor without it for a change.
func (l *liveSession) noteScope(actor roster.Actor) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.actor.UserID == actor.UserID && l.actor.Role == actor.Role {
		l.actor = actor
	}
}

// currentActor returns the session's user as the database last said.
func (l *liveSession) currentActor() roster.Actor {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.actor
}

// follow notes the user's role in the database, and tells the program
// to show the app of that role if it shows another.
func (l *liveSession) follow(actor roster.Actor) {
	l.mu.Lock()
	l.actor = actor
	p := l.program
	changed := p != nil && l.shown != actor.Column() && l.reason == endNone
	if changed {
		l.shown = actor.Column()
	}
	l.mu.Unlock()
	if changed {
		// Send waits for the program's loop; the watch must not.
		go p.Send(roleChangedMsg{actor: actor})
	}
}

func (l *liveSession) endReason() endReason {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

// registry holds the open sessions.
type registry struct {
	max, maxPerUser int
	ownerReserve    int // of max, only owners may take these

	mu      sync.Mutex
	live    map[charmssh.Session]*liveSession
	closing bool
	changed chan struct{} // closed and replaced when a session leaves
}

func newRegistry(max, maxPerUser, ownerReserve int) *registry {
	return &registry{max: max, maxPerUser: maxPerUser, ownerReserve: ownerReserve, live: map[charmssh.Session]*liveSession{}, changed: make(chan struct{})}
}

// refusal says why a session may not open.
type refusal int

const (
	refuseNone     refusal = iota
	refuseShutdown         // the server is stopping
	refuseFull             // the server has MaxSessions open
	refuseUserFull         // the user has MaxSessionsPerUser open
	refuseReserved         // only the slots kept for owners are left
)

// add registers a session, or says why it may not open. The per-user cap
// keeps one user from filling the server's slots, and the owners' reserve
// keeps members and admins together from locking the owners out.
func (r *registry) add(sess charmssh.Session) (*liveSession, refusal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return nil, refuseShutdown
	}
	actor, _ := actorOf(sess)
	if r.countUserLocked(actor.UserID) >= r.maxPerUser {
		return nil, refuseUserFull
	}
	if len(r.live) >= r.max {
		return nil, refuseFull
	}
	if actor.Role != roster.RoleOwner && len(r.live) >= r.max-r.ownerReserve {
		return nil, refuseReserved
	}
	l := &liveSession{sess: sess, userID: actor.UserID, actor: actor, shown: actor.Column(), key: sess.PublicKey()}
	l.touch()
	r.live[sess] = l
	return l, refuseNone
}

// countUserLocked counts the open sessions of one user; the caller holds mu.
func (r *registry) countUserLocked(userID uint64) int {
	n := 0
	for _, l := range r.live {
		if l.userID == userID {
			n++
		}
	}
	return n
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

// followEvery is how often the server looks for changes to the signed-in
// users: a session follows its user's role, and ends when the user is
// disabled or deleted or the key removed, within about this long. Each
// look reads the change counter; only a moved counter reads the users.
const followEvery = 250 * time.Millisecond

// watch ends idle sessions, and makes sessions follow their users in the
// database, until the server stops.
func (s *Server) watch() {
	idle := time.NewTicker(min(max(s.cfg.IdleTimeout/10, 10*time.Millisecond), 30*time.Second))
	defer idle.Stop()
	follow := time.NewTicker(followEvery)
	defer follow.Stop()
	var seen uint64
	for {
		select {
		case <-s.stopIdle:
			return
		case now := <-idle.C:
			s.sessions.endIdle(now, s.cfg.IdleTimeout)
		case <-follow.C:
			n, err := s.db.Changes()
			if err != nil || n == seen {
				continue
			}
			seen = n
			s.followUsers()
			s.followed.Store(n)
		}
	}
}

// lastFollowed returns the change counter the sessions last followed.
func (s *Server) lastFollowed() uint64 { return s.followed.Load() }

// followUsers ends the sessions whose key no longer signs in their user,
// and re-routes those whose user's role changed.
func (s *Server) followUsers() {
	for _, l := range s.sessions.all() {
		if l.key == nil {
			continue
		}
		u, _, err := s.db.UserByKey(l.key)
		switch {
		case roster.ErrorCode(err) == roster.ENOTFOUND, err == nil && (u.ID != l.userID || u.Status != roster.StatusActive):
			s.log.Info("ssh session ended: access revoked", "user", l.currentActor().Name)
			l.end(endRevoked)
		case err != nil:
			s.log.Error("ssh: check a session's access", "err", err)
		default:
			was := l.currentActor()
			if u.Role != was.Role {
				s.log.Info("ssh session follows a role change", "user", u.Username, "from", was.Role.String(), "to", u.Role.String())
			}
			l.follow(s.resolve(roster.Actor{Name: u.Username, UserID: u.ID, Role: u.Role}))
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
		l, refused := s.sessions.add(sess)
		if refused != refuseNone {
			s.refuse(sess, refused)
			return
		}
		defer s.sessions.remove(sess)
		defer s.observeSession()()
		remote := sess.RemoteAddr().String()
		s.conns.sessionOpened(remote)
		defer s.conns.sessionClosed(remote)
		s.recordLoginOnce(sess)
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

// refuse tells the client why its session may not open, and ends it.
func (s *Server) refuse(sess charmssh.Session, why refusal) {
	switch why {
	case refuseShutdown:
		fmt.Fprintln(sess.Stderr(), "roster: the server is shutting down; connect again in a moment.")
	case refuseUserFull:
		s.log.Warn("ssh session refused: the user's session limit reached", "limit", s.cfg.MaxSessionsPerUser, "name", sess.User())
		fmt.Fprintf(sess.Stderr(), "roster: you already have %s open, the most one user may have at once; close one and connect again.\n",
			plural(s.cfg.MaxSessionsPerUser, "session"))
	case refuseReserved:
		s.log.Warn("ssh session refused: only the sessions kept for owners are left", "limit", s.cfg.MaxSessions,
			"kept_for_owners", s.sessions.ownerReserve, "name", sess.User())
		fmt.Fprintf(sess.Stderr(), "roster: the server has every session open but the %d kept for owners; try again later.\n",
			s.sessions.ownerReserve)
	default:
		s.log.Warn("ssh session refused: session limit reached", "limit", s.cfg.MaxSessions, "name", sess.User())
		fmt.Fprintf(sess.Stderr(), "roster: the server already has %d sessions open, its limit; try again later.\n", s.cfg.MaxSessions)
	}
	_ = sess.Exit(1)
}

// programHandler builds the session's Bubble Tea program: the app acting
// as the signed-in user, in the client's terminal (size, $TERM and colour
// profile come from Wish's MakeOptions), with its input watched for the
// idle timeout.
func (s *Server) programHandler(sess charmssh.Session) *tea.Program {
	l := s.sessions.get(sess)
	if _, ok := actorOf(sess); l == nil || !ok {
		return nil
	}
	actor := s.resolve(l.currentActor())
	l.noteScope(actor)
	pty, _, _ := sess.Pty()
	m := newRouter(s.cfg.App, Session{Actor: actor, Width: pty.Window.Width, Height: pty.Window.Height,
		Term: pty.Term, Remote: sess.RemoteAddr().String()})
	opts := append(bm.MakeOptions(sess),
		// Replaces MakeOptions' input with the same session, watched.
		tea.WithInput(activityReader{r: sess, l: l}),
		// Signals belong to the server process, not to one session.
		tea.WithoutSignalHandler(),
	)
	p := tea.NewProgram(m, opts...)
	l.setProgram(p, actor.Column())
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

// resolve gives a member the scope of the groups they manage, so that a
// session follows being made or unmade a manager as it follows a role.
func (s *Server) resolve(a roster.Actor) roster.Actor {
	if a.Role != roster.RoleMember {
		return a
	}
	if r, err := s.db.Resolve(a); err == nil {
		return r
	}
	return a
}
