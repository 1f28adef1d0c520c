package ldap

import (
	"bufio"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// The front relays one client connection to gldap, an LDAP message at a
// time. It answers three extended operations itself (StartTLS, password
// modify, WhoAmI), because it alone sees their values and the TLS; every
// other message goes through to gldap unchanged, and every answer comes
// back unchanged.

// maxMessage bounds one LDAP message from a client.
const maxMessage = 1 << 20

// writeTimeout bounds how long a client may take to accept an answer; one
// that stops reading is dropped rather than holding its goroutines.
const writeTimeout = time.Minute

// Protocol operation tags (application class) the front looks at.
const (
	tagExtendedRequest = 0x77 // [APPLICATION 23] constructed
	tagAbandonRequest  = 0x50 // [APPLICATION 16] primitive
	appExtendedResp    = 24
)

// session is one client connection: its address, whether it is encrypted,
// and who it is bound as.
type session struct {
	token  string
	remote string // host:port of the client
	addr   string // host only, the key of per-address rate limits

	raw    net.Conn // the accepted connection; closing it ends the session
	glConn net.Conn

	wmu sync.Mutex // serialises writes to the client
	w   *bufio.Writer
	tls atomic.Bool // LDAPS, or after StartTLS

	mu      sync.Mutex
	boundID uint64 // 0 when not bound
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

func (sess *session) closeConns() {
	sess.raw.Close()
	if sess.glConn != nil {
		sess.glConn.Close()
	}
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
	sess := &session{token: newToken(), remote: c.RemoteAddr().String(), raw: c}
	sess.tls.Store(isTLS)
	sess.addr = sess.remote
	if host, _, err := net.SplitHostPort(sess.remote); err == nil {
		sess.addr = host
	}
	s.mu.Lock()
	if s.closed || len(s.conns) >= s.cfg.MaxConns {
		full := !s.closed
		s.mu.Unlock()
		if full {
			s.log.Warn("ldap: too many connections; closing a new one", "from", sess.remote, "max", s.cfg.MaxConns)
		}
		c.Close()
		return
	}
	s.conns[sess] = struct{}{}
	s.pending[sess.token] = sess
	s.mu.Unlock()
	defer func() {
		sess.closeConns()
		s.mu.Lock()
		delete(s.conns, sess)
		delete(s.pending, sess.token)
		s.mu.Unlock()
	}()

	if tc, ok := c.(*tls.Conn); ok {
		_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
		if err := tc.Handshake(); err != nil {
			s.log.Debug("ldaps handshake", "from", sess.remote, "err", err)
			return
		}
		_ = tc.SetDeadline(time.Time{})
	}
	gl, err := net.DialTimeout("tcp", s.glAddr, 10*time.Second)
	if err != nil {
		s.log.Error("ldap: reach protocol server", "err", err)
		return
	}
	s.mu.Lock()
	sess.glConn = gl
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return
	}
	glR := bufio.NewReader(gl)
	if err := s.preamble(gl, glR, sess.token); err != nil {
		s.log.Error("ldap: protocol server preamble", "err", err)
		return
	}
	sess.w = bufio.NewWriter(c)

	done := make(chan struct{})
	go func() {
		defer close(done)
		// gldap → client: whole messages, flushed when none are waiting.
		for {
			msg, err := readMessage(glR)
			if err != nil {
				break
			}
			if err := sess.write(msg, glR.Buffered() == 0); err != nil {
				break
			}
		}
		sess.closeConns()
	}()
	s.clientLoop(sess, gl)
	sess.closeConns()
	<-done
}

// preamble tells gldap's bind handler which session this connection
// carries: a bind whose name holds the server's secret and the session's
// token. Its answer is read here and never reaches the client.
func (s *Server) preamble(gl net.Conn, glR *bufio.Reader, token string) error {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(1), "MessageID"))
	bind := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 0, nil, "Bind Request")
	bind.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(3), "Version"))
	bind.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, frontPrefix+s.secret+":"+token, "User Name"))
	bind.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "-", "Password"))
	p.AppendChild(bind)
	_ = gl.SetDeadline(time.Now().Add(10 * time.Second))
	defer gl.SetDeadline(time.Time{})
	if _, err := gl.Write(p.Bytes()); err != nil {
		return err
	}
	msg, err := readMessage(glR)
	if err != nil {
		return err
	}
	resp, err := ber.DecodePacketErr(msg)
	if err != nil || len(resp.Children) < 2 || len(resp.Children[1].Children) < 1 {
		return errors.New("malformed answer")
	}
	if code, _ := resp.Children[1].Children[0].Value.(int64); code != resultSuccess {
		return fmt.Errorf("refused with code %d", code)
	}
	return nil
}

// clientLoop reads the client's messages and passes them on, answering
// the front's own extended operations.
func (s *Server) clientLoop(sess *session, gl net.Conn) {
	r := bufio.NewReader(sess.raw)
	glW := bufio.NewWriter(gl)
	for {
		_ = sess.raw.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
		msg, err := readMessage(r)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.log.Debug("ldap client", "from", sess.remote, "err", err)
			}
			return
		}
		tag, ok := opTag(msg)
		if ok && tag == tagAbandonRequest {
			// Searches finish in milliseconds; there is nothing to abandon,
			// and gldap would answer it, which an abandon must not get.
			continue
		}
		if ok && tag == tagExtendedRequest {
			handled, upgrade, err := s.extended(sess, msg, r)
			if err != nil {
				s.log.Debug("ldap extended operation", "from", sess.remote, "err", err)
				return
			}
			if upgrade != nil {
				r = bufio.NewReader(upgrade)
			}
			if handled {
				continue
			}
		}
		if _, err := glW.Write(msg); err != nil {
			return
		}
		if r.Buffered() == 0 {
			if err := glW.Flush(); err != nil {
				return
			}
		}
	}
}

// extended answers StartTLS, password modify and WhoAmI. handled is false
// for any other operation, which then goes to gldap. After a StartTLS,
// upgrade is the encrypted connection to read from.
func (s *Server) extended(sess *session, msg []byte, r *bufio.Reader) (handled bool, upgrade net.Conn, err error) {
	p, err := ber.DecodePacketErr(msg)
	if err != nil || len(p.Children) < 2 {
		return false, nil, nil // gldap will refuse it
	}
	id, ok := p.Children[0].Value.(int64)
	op := p.Children[1]
	if !ok || len(op.Children) < 1 || op.Children[0].ClassType != ber.ClassContext || op.Children[0].Tag != 0 {
		return false, nil, nil
	}
	name := op.Children[0].Data.String()
	var value []byte
	hasValue := false
	if len(op.Children) > 1 && op.Children[1].ClassType == ber.ClassContext && op.Children[1].Tag == 1 {
		value, hasValue = op.Children[1].Data.Bytes(), true
	}
	switch name {
	case oidStartTLS:
		c, err := s.startTLS(sess, id, r)
		return true, c, err
	case oidWhoAmI:
		authz := ""
		if uid := sess.bound(); uid != 0 {
			if u := s.dir.Load().byID[uid]; u != nil {
				authz = "dn:" + u.dn
			}
		}
		return true, nil, sess.write(extendedResponse(id, resultSuccess, "", "", []byte(authz), true), true)
	case oidPasswordModify:
		code, diag := s.passwordModify(sess, value, hasValue)
		return true, nil, sess.write(extendedResponse(id, code, diag, "", nil, false), true)
	}
	return false, nil, nil
}

// startTLS answers a StartTLS request and, on success, turns the client
// connection into a TLS one before anything else is written to it.
func (s *Server) startTLS(sess *session, id int64, r *bufio.Reader) (net.Conn, error) {
	if s.cfg.TLS == nil {
		return nil, sess.write(extendedResponse(id, resultProtocolError, "StartTLS is not configured on this server", oidStartTLS, nil, false), true)
	}
	if sess.tls.Load() {
		return nil, sess.write(extendedResponse(id, resultOperationsError, "TLS is already on", oidStartTLS, nil, false), true)
	}
	sess.wmu.Lock()
	defer sess.wmu.Unlock()
	if _, err := sess.w.Write(extendedResponse(id, resultSuccess, "", oidStartTLS, nil, false)); err != nil {
		return nil, err
	}
	if err := sess.w.Flush(); err != nil {
		return nil, err
	}
	// The handshake reads through r, which may hold bytes already.
	tc := tls.Server(bufferedConn{Conn: sess.raw, r: r}, s.cfg.TLS)
	_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("starttls handshake: %w", err)
	}
	_ = tc.SetDeadline(time.Time{})
	sess.w = bufio.NewWriter(tc)
	sess.tls.Store(true)
	return tc, nil
}

// extendedResponse encodes an ExtendedResponse (RFC 4511 section 4.12).
func extendedResponse(id int64, code int, diag, name string, value []byte, withValue bool) []byte {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Response")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "MessageID"))
	r := ber.Encode(ber.ClassApplication, ber.TypeConstructed, appExtendedResp, nil, "Extended Response")
	r.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(code), "Result Code"))
	r.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "Matched DN"))
	r.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, diag, "Diagnostic Message"))
	if name != "" {
		r.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 10, name, "Response Name"))
	}
	if withValue {
		r.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 11, string(value), "Response Value"))
	}
	p.AppendChild(r)
	return p.Bytes()
}

// readMessage reads one BER-encoded LDAP message (a SEQUENCE with a
// definite length) whole, refusing anything over maxMessage.
func readMessage(r *bufio.Reader) ([]byte, error) {
	hdr := make([]byte, 2, 6)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	if hdr[0] != 0x30 {
		return nil, errors.New("not an LDAP message")
	}
	n := int(hdr[1])
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			return nil, errors.New("LDAP message length not supported")
		}
		ext := make([]byte, k)
		if _, err := io.ReadFull(r, ext); err != nil {
			return nil, err
		}
		hdr = append(hdr, ext...)
		n = 0
		for _, b := range ext {
			n = n<<8 | int(b)
		}
	}
	if n > maxMessage {
		return nil, errors.New("LDAP message too large")
	}
	msg := make([]byte, len(hdr)+n)
	copy(msg, hdr)
	if _, err := io.ReadFull(r, msg[len(hdr):]); err != nil {
		return nil, err
	}
	return msg, nil
}

// opTag returns the tag byte of the message's protocol operation: the
// element after the message id.
func opTag(msg []byte) (byte, bool) {
	i, ok := skipHeader(msg, 0) // into the SEQUENCE
	if !ok || i >= len(msg) || msg[i] != 0x02 {
		return 0, false
	}
	j, ok := skipHeader(msg, i) // the INTEGER's contents start at j
	if !ok {
		return 0, false
	}
	n, ok := contentLen(msg, i)
	if !ok || j+n >= len(msg) {
		return 0, false
	}
	return msg[j+n], true
}

// skipHeader returns the index of the contents of the element at i.
func skipHeader(b []byte, i int) (int, bool) {
	if i+1 >= len(b) {
		return 0, false
	}
	l := b[i+1]
	if l&0x80 == 0 {
		return i + 2, true
	}
	k := int(l & 0x7f)
	if k == 0 || k > 3 || i+2+k > len(b) {
		return 0, false
	}
	return i + 2 + k, true
}

// contentLen returns the length of the contents of the element at i.
func contentLen(b []byte, i int) (int, bool) {
	if i+1 >= len(b) {
		return 0, false
	}
	l := b[i+1]
	if l&0x80 == 0 {
		return int(l), true
	}
	k := int(l & 0x7f)
	if k == 0 || k > 3 || i+2+k > len(b) {
		return 0, false
	}
	n := 0
	for _, c := range b[i+2 : i+2+k] {
		n = n<<8 | int(c)
	}
	return n, true
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// bufferedConn reads through a bufio.Reader that may already hold some of
// the connection's bytes.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
