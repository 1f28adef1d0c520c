package ldap

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// writeTimeout bounds how long a client may take to accept an answer; one
// that stops reading is dropped rather than holding its goroutines.
const writeTimeout = time.Minute

// maxOutstanding bounds the searches one connection runs at once; the
// connection reads no further request until one of them ends.
const maxOutstanding = 8

// session is one client connection: its address, whether it is encrypted,
// who it is bound as, and the searches it has running.
type session struct {
	remote string // host:port of the client
	addr   string // host only, the key of per-address limits
	opened time.Time
	// unboundSince is when the connection was opened, or last lost its
	// bind (unix nanoseconds): it must bind within BindTimeout of it.
	unboundSince atomic.Int64

	raw  net.Conn // the accepted connection; closing it ends the session
	conn net.Conn // raw, or the TLS connection over it after StartTLS
	r    *bufio.Reader

	wmu sync.Mutex // serialises writes to the client
	w   *bufio.Writer
	tls atomic.Bool // LDAPS, or after StartTLS

	mu       sync.Mutex
	boundID  uint64                 // 0 when not bound
	running  map[int64]*atomic.Bool // searches by message id: set to abandon
	searches sync.WaitGroup
	slots    chan struct{}
	work     chan func()   // to an idle search goroutine (see run)
	workers  atomic.Int32  // search goroutines of the session
	closed   chan struct{} // closed when the session has ended

	unbound bool // counted as unbound by the server (guarded by Server.mu)
}

// run hands f to an idle search goroutine of the session, or starts one.
// The goroutines stay for the session's life, so a search starts on a
// stack already grown rather than growing a new one every time (a
// tenth of a search's CPU). Their number is bounded: past
// 2 × maxOutstanding, f waits for one to be idle.
func (sess *session) run(f func()) {
	select {
	case sess.work <- f:
		return
	default:
	}
	if sess.workers.Add(1) <= 2*maxOutstanding {
		go sess.worker(f)
		return
	}
	sess.workers.Add(-1)
	sess.work <- f
}

func (sess *session) worker(f func()) {
	for {
		f()
		select {
		case f = <-sess.work:
		case <-sess.closed:
			return
		}
	}
}

func (sess *session) bound() uint64 {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	return sess.boundID
}

func (sess *session) setBound(id uint64) {
	sess.mu.Lock()
	sess.boundID = id
	sess.mu.Unlock()
}

// write sends one whole message to the client; flush says no more follow
// at once.
func (sess *session) write(msg []byte, flush bool) error {
	sess.wmu.Lock()
	defer sess.wmu.Unlock()
	_ = sess.raw.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := sess.w.Write(msg); err != nil {
		return err
	}
	if flush {
		return sess.w.Flush()
	}
	return nil
}

// handleConn serves one client connection until either side closes it.
func (s *Server) handleConn(c net.Conn, isTLS bool) {
	sess := &session{remote: c.RemoteAddr().String(), raw: c, conn: c, opened: time.Now(),
		running: map[int64]*atomic.Bool{}, slots: make(chan struct{}, maxOutstanding),
		work: make(chan func()), closed: make(chan struct{})}
	sess.tls.Store(isTLS)
	sess.unboundSince.Store(sess.opened.UnixNano())
	sess.addr = sess.remote
	if host, _, err := net.SplitHostPort(sess.remote); err == nil {
		sess.addr = host
	}
	if !s.admit(sess) {
		c.Close()
		return
	}
	defer func() {
		c.Close()
		sess.searches.Wait()
		close(sess.closed)
		s.forget(sess)
	}()
	if tc, ok := c.(*tls.Conn); ok {
		_ = tc.SetDeadline(sess.opened.Add(s.cfg.BindTimeout))
		if err := tc.Handshake(); err != nil {
			s.log.Debug("ldaps handshake", "from", sess.remote, "err", err)
			return
		}
		_ = tc.SetDeadline(time.Time{})
	}
	sess.r = bufio.NewReader(c)
	sess.w = bufio.NewWriter(c)
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("ldap: request handler panic; connection closed", "from", sess.remote, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	s.clientLoop(sess)
}

// clientLoop reads the client's requests and answers each one, until the
// client leaves, breaks the protocol or times out.
func (s *Server) clientLoop(sess *session) {
	for {
		if sess.bound() == 0 {
			// An unbound connection must bind within BindTimeout of its
			// opening, whatever it does meanwhile (read the root DSE…).
			_ = sess.conn.SetReadDeadline(time.Unix(0, sess.unboundSince.Load()).Add(s.cfg.BindTimeout))
		} else {
			_ = sess.conn.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
		}
		msg, err := readMessage(sess.r, s.cfg.MaxRequestSize)
		if err != nil {
			s.readFailed(sess, err)
			return
		}
		req, err := decodeRequest(msg)
		if err != nil {
			s.log.Warn("ldap: undecodable request; connection closed", "from", sess.remote, "bytes", len(msg))
			_ = sess.write(noticeOfDisconnection(resultProtocolError, "malformed LDAP message"), true)
			return
		}
		if !s.dispatch(sess, req) {
			return
		}
	}
}

// readFailed logs why a connection ends while reading a request, and tells
// the client where LDAP allows it.
func (s *Server) readFailed(sess *session, err error) {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed):
		s.log.Debug("ldap: client closed the connection", "from", sess.remote)
	case errors.Is(err, errTooLarge):
		s.log.Warn("ldap: request over the size limit; connection closed", "from", sess.remote, "err", err)
		_ = sess.write(noticeOfDisconnection(resultProtocolError, "request too large"), true)
	case errors.Is(err, errNotLDAP):
		s.log.Warn("ldap: bytes that are not an LDAP message; connection closed", "from", sess.remote)
		_ = sess.write(noticeOfDisconnection(resultProtocolError, "not an LDAP message"), true)
	case errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded):
		if sess.bound() == 0 {
			s.log.Info("ldap: no bind in time; connection closed", "from", sess.remote, "after", s.cfg.BindTimeout)
		} else {
			s.log.Debug("ldap: idle connection closed", "from", sess.remote)
		}
	case errors.Is(err, io.ErrUnexpectedEOF):
		s.log.Info("ldap: connection ended inside a request", "from", sess.remote)
	default:
		s.log.Debug("ldap: read", "from", sess.remote, "err", err)
	}
}

// dispatch answers one request; false ends the connection.
func (s *Server) dispatch(sess *session, req request) bool {
	op := req.op.tag()
	if resp, ok := responseFor(op); ok {
		for _, c := range req.controls {
			if c.critical && !supportedControl(op, c.oid) {
				_ = sess.write(encodeResult(req.id, resp, result{code: resultUnavailableCritical,
					diag: "unsupported critical control " + c.oid}), true)
				return true
			}
		}
	}
	switch op {
	case opBindRequest:
		sess.searches.Wait() // a bind starts from scratch: nothing may run under the old identity
		s.handleBind(sess, req)
	case opUnbindRequest:
		s.log.Debug("ldap: unbind", "from", sess.remote)
		return false
	case opSearchRequest:
		s.startSearch(sess, req)
	case opCompareRequest:
		s.handleCompare(sess, req)
	case opModifyRequest, opAddRequest, opDelRequest, opModDNRequest:
		resp, _ := responseFor(op)
		_ = sess.write(encodeResult(req.id, resp, result{code: resultUnwillingToPerform,
			diag: "the directory is read-only: change users in Roster"}), true)
	case opAbandonRequest:
		s.abandon(sess, req)
	case opExtendedRequest:
		return s.handleExtended(sess, req)
	default:
		s.log.Warn("ldap: unknown operation; connection closed", "from", sess.remote, "tag", op)
		_ = sess.write(noticeOfDisconnection(resultProtocolError, fmt.Sprintf("unknown operation [APPLICATION %d]", op)), true)
		return false
	}
	return true
}

// supportedControl reports whether a critical control on operation op is
// one the directory honours.
func supportedControl(op byte, oid string) bool {
	switch oid {
	case oidPaging:
		return op == opSearchRequest
	case oidManageDsaIT:
		return true // no referrals here: honoured by doing nothing
	}
	return false
}

// abandon stops the search with the id the request names, if it runs.
func (s *Server) abandon(sess *session, req request) {
	if req.op.id&constructed != 0 {
		return // malformed: an abandon gets no answer in any case
	}
	id, err := req.op.integer()
	if err != nil {
		return
	}
	sess.mu.Lock()
	if flag := sess.running[id]; flag != nil {
		flag.Store(true)
	}
	sess.mu.Unlock()
}

// handleExtended answers StartTLS, password modify and WhoAmI, and refuses
// the rest; false ends the connection.
func (s *Server) handleExtended(sess *session, req request) bool {
	fields, err := req.op.children()
	if err != nil || len(fields) == 0 || fields[0].id != ctx0 {
		s.log.Info("ldap: malformed extended request", "from", sess.remote)
		_ = sess.write(extendedResult(req.id, resultProtocolError, "malformed extended request", "", nil, false), true)
		return true
	}
	name := fields[0].str()
	var value []byte
	hasValue := false
	if len(fields) > 1 && fields[1].id == classContext|1 {
		value, hasValue = fields[1].content, true
	}
	switch name {
	case oidStartTLS:
		sess.searches.Wait()
		if err := s.startTLS(sess, req.id); err != nil {
			s.log.Info("ldap: StartTLS failed; connection closed", "from", sess.remote, "err", err)
			return false
		}
		return true
	case oidWhoAmI:
		authz := ""
		if uid := sess.bound(); uid != 0 {
			if u := s.dir.Load().user(uid); u != nil {
				authz = "dn:" + u.dn
			}
		}
		_ = sess.write(extendedResult(req.id, resultSuccess, "", "", []byte(authz), true), true)
	case oidPasswordModify:
		code, diag := s.passwordModify(sess, value, hasValue)
		_ = sess.write(extendedResult(req.id, code, diag, "", nil, false), true)
	default:
		s.log.Info("ldap: unknown extended operation refused", "from", sess.remote, "oid", name)
		_ = sess.write(extendedResult(req.id, resultProtocolError, "unsupported extended operation "+name, "", nil, false), true)
	}
	return true
}

// startTLS answers a StartTLS request and, on success, turns the
// connection into a TLS one before anything else is written to it.
func (s *Server) startTLS(sess *session, id int64) error {
	if s.cfg.TLS == nil {
		return sess.write(extendedResult(id, resultProtocolError, "StartTLS is not configured on this server", oidStartTLS, nil, false), true)
	}
	if sess.tls.Load() {
		return sess.write(extendedResult(id, resultOperationsError, "TLS is already on", oidStartTLS, nil, false), true)
	}
	sess.wmu.Lock()
	defer sess.wmu.Unlock()
	if _, err := sess.w.Write(extendedResult(id, resultSuccess, "", oidStartTLS, nil, false)); err != nil {
		return err
	}
	if err := sess.w.Flush(); err != nil {
		return err
	}
	// The handshake reads through r, which may hold bytes already.
	tc := tls.Server(bufferedConn{Conn: sess.raw, r: sess.r}, s.cfg.TLS)
	_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("starttls handshake: %w", err)
	}
	_ = tc.SetDeadline(time.Time{})
	sess.conn = tc
	sess.r = bufio.NewReader(tc)
	sess.w = bufio.NewWriter(tc)
	sess.tls.Store(true)
	s.log.Debug("ldap: StartTLS done", "from", sess.remote)
	return nil
}

// bufferedConn reads through a bufio.Reader that may already hold some of
// the connection's bytes.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
