package ssh

import (
	"fmt"
	"net"

	"charm.land/wish/v2"
	charmssh "github.com/charmbracelet/ssh"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// permissionDenied is all a refused client learns.
const permissionDenied = "permission denied"

type ctxKey struct{ name string }

var (
	ctxKeyActor = &ctxKey{"roster-actor"}
	ctxKeyLogin = &ctxKey{"roster-login-recorded"}
)

// handlePublicKey decides whether a key may sign in as the SSH user name:
// the key must be registered on an active Roster user whose username is
// that name. Clients may offer several keys, and may ask about a key
// before proving they hold it, so this only says yes or no; authenticate
// acts on the key that really signed in.
func (s *Server) handlePublicKey(ctx charmssh.Context, key charmssh.PublicKey) bool {
	host := clientHost(ctx.RemoteAddr())
	if !s.limiter.allowed(host) {
		s.log.Warn("ssh sign-in refused: too many failures from this address", "from", host, "name", ctx.User())
		return false
	}
	u, _, reason, err := s.check(ctx.User(), key)
	if err != nil {
		s.log.Error("ssh sign-in: key lookup failed", "from", host, "err", err)
		return false
	}
	if reason == "" {
		return true
	}
	s.log.Info("ssh sign-in refused", "name", ctx.User(), "from", ctx.RemoteAddr().String(), "reason", reason)
	if u != nil {
		if err := s.db.RecordLoginRefused(u.ID, "ssh", ctx.RemoteAddr().String(), reason); err != nil {
			s.log.Error("ssh: record refused sign-in", "err", err)
		}
	}
	return false
}

// connectionFailed counts a connection that ended without signing in
// against its address. Counting connections, not keys, spares people whose
// agent offers other keys before the right one.
func (s *Server) connectionFailed(conn net.Conn, err error) {
	if s.conns.wasRefused(conn.RemoteAddr().String()) {
		return
	}
	s.limiter.failed(clientHost(conn.RemoteAddr()))
	s.log.Debug("ssh connection failed", "from", conn.RemoteAddr().String(), "err", err)
}

// check returns the key's user and a reason to refuse the sign-in as name
// ("" to allow). The user is nil for an unknown key. err is for failures
// of the lookup itself.
func (s *Server) check(name string, key charmssh.PublicKey) (*roster.User, *store.SSHKey, string, error) {
	u, k, err := s.db.UserByKey(key)
	switch {
	case roster.ErrorCode(err) == roster.ENOTFOUND:
		return nil, nil, "unknown key", nil
	case err != nil:
		return nil, nil, "", err
	case roster.NormalizeUsername(name) != u.Username:
		return u, k, fmt.Sprintf("key %s of %s offered for the name %q", k.Fingerprint, u.Username, name), nil
	case u.Status != roster.StatusActive:
		return u, k, fmt.Sprintf("the account is %s (key %s)", u.Status, k.Fingerprint), nil
	}
	return u, k, "", nil
}

// authenticate checks the key the connection really signed in with, as
// the handshake may have asked about other keys last, and makes sure
// nothing changed since (a disabled user, a removed key). It puts the
// actor in the context, and the sign-in to record once the app opens.
func (s *Server) authenticate(next charmssh.Handler) charmssh.Handler {
	return func(sess charmssh.Session) {
		key := sess.PublicKey()
		if key == nil {
			wish.Fatalln(sess, permissionDenied)
			return
		}
		u, k, reason, err := s.check(sess.User(), key)
		if err != nil || reason != "" {
			if err != nil {
				s.log.Error("ssh session: key lookup failed", "err", err)
			} else {
				s.log.Info("ssh session refused", "name", sess.User(), "from", sess.RemoteAddr().String(), "reason", reason)
			}
			wish.Fatalln(sess, permissionDenied)
			return
		}
		ctx := sess.Context()
		ctx.Lock()
		if ctx.Value(ctxKeyLogin) == nil {
			ctx.SetValue(ctxKeyLogin, &pendingLogin{user: u, key: k})
		}
		ctx.SetValue(ctxKeyActor, roster.Actor{Name: u.Username, UserID: u.ID, Role: u.Role})
		ctx.Unlock()
		next(sess)
	}
}

// pendingLogin is a connection's sign-in, recorded when its first app
// session opens. A connection that signs in and opens nothing (or is
// refused a session) writes nothing to the database or the audit log,
// so a flood of such connections cannot fill the log; the text log still
// hears every connection.
type pendingLogin struct {
	user     *roster.User
	key      *store.SSHKey
	recorded bool
}

// recordLoginOnce records the connection's sign-in, the first time one
// of its sessions opens the app.
func (s *Server) recordLoginOnce(sess charmssh.Session) {
	ctx := sess.Context()
	ctx.Lock()
	p, _ := ctx.Value(ctxKeyLogin).(*pendingLogin)
	first := p != nil && !p.recorded
	if first {
		p.recorded = true
	}
	ctx.Unlock()
	if first {
		s.recordLogin(p.user, p.key, sess.RemoteAddr().String())
	}
}

// recordLogin marks the key used and records the sign-in. Failing to write
// it is logged but does not lock the person out.
func (s *Server) recordLogin(u *roster.User, k *store.SSHKey, from string) {
	if err := s.db.KeyUsed(k.Fingerprint); err != nil {
		s.log.Error("ssh: mark key used", "err", err)
	}
	if err := s.db.RecordLogin(u.ID, "ssh", from+" with key "+k.Fingerprint); err != nil {
		s.log.Error("ssh: record sign-in", "err", err)
	}
	s.log.Info("ssh sign-in", "user", u.Username, "role", u.Role.String(), "from", from, "key", k.Fingerprint)
}

// actorOf returns the actor authenticate put in the session's context.
func actorOf(sess charmssh.Session) (roster.Actor, bool) {
	a, ok := sess.Context().Value(ctxKeyActor).(roster.Actor)
	return a, ok
}
