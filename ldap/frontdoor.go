package ldap

import (
	"slices"
	"time"
)

// The front door: what a connection may cost before it has bound. An
// unbound connection must bind within Config.BindTimeout; one address may
// hold at most Config.MaxUnboundPerAddr unbound connections (more are
// closed as they arrive), and when Config.MaxUnbound are open in all, a
// newcomer takes the place of the oldest unbound connection of the address
// holding the most, so a flood from one address never shuts out another.
// Requests larger than Config.MaxRequestSize end the connection before
// their body is read (readMessage).

// admit registers a new connection, or reports false when it must be
// closed at once.
func (s *Server) admit(sess *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if len(s.conns) >= s.cfg.MaxConns {
		s.logThrottled("conns", "ldap: too many connections; closing a new one", "from", sess.remote, "max", s.cfg.MaxConns)
		return false
	}
	if len(s.unbound[sess.addr]) >= s.cfg.MaxUnboundPerAddr {
		s.logThrottled("addr:"+sess.addr, "ldap: too many unbound connections from one address; closing a new one",
			"from", sess.addr, "max", s.cfg.MaxUnboundPerAddr)
		return false
	}
	if s.unboundTotal >= s.cfg.MaxUnbound {
		s.evictUnbound()
	}
	s.conns[sess] = struct{}{}
	s.addUnbound(sess)
	return true
}

// forget drops a closed connection.
func (s *Server) forget(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, sess)
	s.removeUnbound(sess)
}

// setBound records who a connection is bound as (0: nobody) and moves it
// out of (or back into) the unbound count.
func (s *Server) setBound(sess *session, uid uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := sess.bound()
	sess.setBound(uid)
	switch {
	case uid != 0:
		s.removeUnbound(sess)
	case was != 0:
		// A bound connection whose new bind failed is unbound again, with a
		// fresh deadline from now.
		sess.unboundSince.Store(time.Now().UnixNano())
		if _, open := s.conns[sess]; open {
			s.addUnbound(sess)
		}
	}
}

func (s *Server) addUnbound(sess *session) {
	if sess.unbound {
		return
	}
	sess.unbound = true
	s.unbound[sess.addr] = append(s.unbound[sess.addr], sess)
	s.unboundTotal++
}

func (s *Server) removeUnbound(sess *session) {
	if !sess.unbound {
		return
	}
	sess.unbound = false
	list := s.unbound[sess.addr]
	if i := slices.Index(list, sess); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(s.unbound, sess.addr)
	} else {
		s.unbound[sess.addr] = list
	}
	s.unboundTotal--
}

// evictUnbound closes the oldest unbound connection of the address that
// holds the most.
func (s *Server) evictUnbound() {
	var worst string
	for addr, list := range s.unbound {
		if len(list) > len(s.unbound[worst]) {
			worst = addr
		}
	}
	list := s.unbound[worst]
	if len(list) == 0 {
		return
	}
	victim := list[0]
	s.removeUnbound(victim)
	victim.raw.Close()
	s.logThrottled("evict:"+worst, "ldap: unbound connections at their limit; closed the oldest from the busiest address",
		"from", worst, "max", s.cfg.MaxUnbound)
}

// logThrottled logs a warning at most once a second per key, so that a
// flood of refusals is told without flooding the log. Callers hold s.mu.
func (s *Server) logThrottled(key, msg string, args ...any) {
	now := time.Now()
	if last, ok := s.logged[key]; ok && now.Sub(last) < time.Second {
		s.suppressed[key]++
		return
	}
	if n := s.suppressed[key]; n > 0 {
		args = append(args, "suppressed", n)
		delete(s.suppressed, key)
	}
	if len(s.logged) > 10000 {
		clear(s.logged)
	}
	s.logged[key] = now
	s.log.Warn(msg, args...)
}

// frontDoor holds the server's connection bookkeeping (guarded by
// Server.mu).
type frontDoor struct {
	conns        map[*session]struct{}
	unbound      map[string][]*session // by address, oldest first
	unboundTotal int
	logged       map[string]time.Time
	suppressed   map[string]int
}

func newFrontDoor() frontDoor {
	return frontDoor{conns: map[*session]struct{}{}, unbound: map[string][]*session{},
		logged: map[string]time.Time{}, suppressed: map[string]int{}}
}
