package ldap

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
)

// How long a bind waits for a free password-check slot before it is
// answered "busy".
const checkWait = 10 * time.Second

// handleBind answers a bind request: a simple bind with LDAP version 3
// (or 2). SASL is refused with authMethodNotSupported.
func (s *Server) handleBind(sess *session, req request) {
	answer := func(code int, diag string) {
		_ = sess.write(encodeResult(req.id, opBindResponse, result{code: code, diag: diag}), true)
	}
	f, err := req.op.children()
	if err != nil || len(f) != 3 || f[0].id != berInteger || f[1].id != berOctetString {
		s.log.Info("ldap: malformed bind request", "from", sess.remote)
		s.setBound(sess, 0)
		answer(resultProtocolError, "malformed bind request")
		return
	}
	if v, err := f[0].integer(); err != nil || v != 3 && v != 2 {
		s.setBound(sess, 0)
		answer(resultProtocolError, "only LDAP version 3 is supported")
		return
	}
	switch f[2].id {
	case ctx0: // simple
	case classContext | constructed | 3: // SASL
		s.setBound(sess, 0)
		answer(resultAuthMethodNotSupported, "only simple binds are supported")
		return
	default:
		s.setBound(sess, 0)
		answer(resultProtocolError, "malformed bind request")
		return
	}
	code, diag := s.bind(sess, f[1].str(), f[2].str())
	s.observeBind(code == resultSuccess)
	answer(code, diag)
}

// bind checks a name and password for sess and binds it on success.
func (s *Server) bind(sess *session, name, pw string) (int, string) {
	s.setBound(sess, 0) // a bind starts from scratch, whatever its outcome
	// See every change committed before this bind began (fresh.go).
	if err := s.refresh(false); err != nil {
		s.log.Warn("directory refresh", "err", err)
	}
	switch {
	case name == "" && pw == "":
		// Anonymous (RFC 4513 section 5.1.1): allowed, as in slapd, but it
		// reads only the root DSE and cn=Subschema (clients such as
		// ldapsearch -x bind so before reading them).
		return resultSuccess, ""
	case pw == "":
		return resultUnwillingToPerform, "unauthenticated bind (a name without a password) is not allowed"
	}
	if s.cfg.RequireTLS && !sess.tls.Load() {
		return resultConfidentialityRequired, "this directory requires TLS: use LDAPS or StartTLS before you bind"
	}
	username, byDN := s.usernameFromBindName(name)
	// Failures count per account and address together: ten wrong
	// passwords for uid=svc from one address lock uid=svc out from that
	// address only, never from the app's.
	account := "account:" + fold(name)
	if byDN {
		account = "account:" + username
	}
	account += "|" + sess.addr
	addr := "addr:" + sess.addr
	now := time.Now()
	if s.limits.blocked(addr, s.cfg.MaxFailuresPerAddr, now) || s.limits.blocked(account, s.cfg.MaxFailuresPerAccount, now) {
		s.log.Warn("ldap bind refused: too many failures", "from", sess.remote)
		return resultInvalidCredentials, "too many failed sign-ins; wait a few minutes and try again"
	}

	var u *roster.User
	if username != "" {
		u, _ = s.db.FindUser(ldapActor, username)
	}
	hash := s.dummyHash
	reason := ""
	switch {
	case u == nil:
		reason = "unknown"
	case u.Status == roster.StatusPending:
		reason = "account pending"
	case u.Status == roster.StatusDisabled:
		reason = "account disabled"
	case u.PasswordHash == "":
		reason = "no password set"
	default:
		hash = u.PasswordHash
	}
	ok, err := s.verify(hash, pw)
	if err == errBusy {
		return resultBusy, "the directory is busy; try again"
	}
	if err != nil {
		s.log.Error("ldap bind: password check", "err", err)
		ok = false
	}
	if reason == "" && !ok {
		reason = "wrong password"
	}
	if reason != "" {
		s.limits.fail(addr, now)
		s.limits.fail(account, now)
		if u != nil {
			// Audit after answering, so that the time of the answer does
			// not tell a known account (an audit write) from an unknown one.
			s.later(func() {
				if err := s.db.RecordLoginRefused(u.ID, "ldap", sess.remote, reason); err != nil {
					s.log.Error("ldap bind: audit refusal", "err", err)
				}
			})
		} else {
			s.log.Info("ldap bind refused: unknown account", "from", sess.remote)
		}
		return resultInvalidCredentials, ""
	}
	s.limits.reset(account)
	s.recordLogin(u.ID, sess.remote)
	s.setBound(sess, u.ID)
	return resultSuccess, ""
}

var errBusy = context.DeadlineExceeded

// verify checks pw against hash with a slot of the check semaphore, so a
// flood of binds cannot take more than MaxConcurrentChecks × the hash's
// memory.
func (s *Server) verify(hash, pw string) (bool, error) {
	t := time.NewTimer(checkWait)
	defer t.Stop()
	select {
	case s.checks <- struct{}{}:
	case <-t.C:
		return false, errBusy
	}
	defer func() { <-s.checks }()
	return password.Verify(hash, pw)
}

// usernameFromBindName reads the username out of a bind name:
// "uid=NAME,ou=people,BASE" (any letter case), or a bare username. byDN is
// false (and username empty) for anything else.
func (s *Server) usernameFromBindName(name string) (username string, byDN bool) {
	if !strings.ContainsAny(name, "=,") {
		u := roster.NormalizeUsername(name)
		if roster.ValidateUsername(u) == nil {
			return u, true
		}
		return "", false
	}
	dn, err := ParseDN(name)
	if err != nil || len(dn) < 2 || len(dn[0]) != 1 {
		return "", false
	}
	d := s.dir.Load()
	if canonicalType(strings.ToLower(dn[0][0].Type)) != "uid" || dn[1:].Norm() != d.peopleNorm {
		return "", false
	}
	u := roster.NormalizeUsername(dn[0][0].Value)
	if roster.ValidateUsername(u) != nil {
		return "", false
	}
	return u, true
}

// limiter counts failures per key in a sliding window.
type limiter struct {
	mu     sync.Mutex
	window time.Duration
	fails  map[string][]time.Time
}

func newLimiter(window time.Duration) *limiter {
	return &limiter{window: window, fails: map[string][]time.Time{}}
}

// blocked reports whether key has max or more failures in the window.
func (l *limiter) blocked(key string, max int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, now)) >= max
}

// fail records a failure for key.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = append(l.recent(key, now), now)
	if len(l.fails) > 100000 {
		// Forget keys with no failure in the window, so a spray of names
		// cannot grow the map without end.
		for k := range l.fails {
			if len(l.recent(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
}

// reset forgets key's failures.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

// recent drops key's failures older than the window and returns the rest.
// The list is capped so one key's memory stays small.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) > 1000 {
		ts = ts[len(ts)-1000:]
	}
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}
