package store

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Pushed changes: how roster processes learn of each other's changes.
//
// Without an owner a process learns of another's change only by reading
// the change counter (Changes), which costs a file open. With `roster
// serve` owning the file (owner.go) every other process is connected to
// it, and the connection carries the news both ways, one byte each:
//
//	owner → guest  "+"  once, after "ok\n": this owner pushes changes
//	guest → owner  "."  I committed a change (sent after the commit)
//	owner → guest  "a"  heard: the owner's own waiters have been woken
//	owner → guest  "."  a change was committed (by the owner or another guest)
//
// Nothing queues: each side keeps at most one pending byte of each kind
// per connection, so a flood coalesces and a slow or dead peer holds up
// no one (its writes time out and it is dropped). A guest that sends any
// other byte is dropped. A guest waits for the "a" after its "." (at most
// ackWait), so that once its write returns the owner's directory sees it.
//
// In a process, Changed returns a channel closed at the next change heard
// of: one of the process's own commits, news from the other side, or a
// change of Pushed (connected, owner gone). Pushed says whether every
// other roster process's changes reach this one (it owns the file, or is
// the guest of an owner that pushes); while false, read the counter.

// Bytes on the owner's socket after its "ok\n".
const (
	byteHello   = '+'
	byteChanged = '.'
	byteAck     = 'a'
)

// ackWait bounds how long a guest's write waits for the owner to hear it;
// pushWait how long the owner waits to hand a byte to a guest before it
// drops it; helloWait how long a guest waits for an owner's "+" (an owner
// built before pushes never sends it).
const (
	ackWait   = 500 * time.Millisecond
	pushWait  = time.Second
	helloWait = 200 * time.Millisecond
)

// news is a process's side of the news: who waits, and whether the
// other processes' changes reach it.
type news struct {
	mu     sync.Mutex
	ch     chan struct{} // closed at the next change heard; nil until asked for
	pushed atomic.Bool
	owner  atomic.Pointer[holder] // set by Own, for committed (which holds no lock)
}

// Changed returns a channel that is closed at the next change this
// process hears of (see Pushed). Take it before reading what it guards
// (Changes, a load): a change after that closes it. Waiting on it blocks
// no one, however many wait.
func (db *DB) Changed() <-chan struct{} {
	n := &db.news
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

// Pushed reports whether every other roster process's change reaches this
// process as news, so that Changed alone is enough. False with no serve
// running (or one built before pushes): then poll Changes, as ever.
func (db *DB) Pushed() bool { return db.news.pushed.Load() }

// heard wakes everyone waiting on Changed.
func (db *DB) heard() {
	n := &db.news
	n.mu.Lock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
	n.mu.Unlock()
}

// setPushed records whether changes are pushed and wakes the waiters
// when that changes, so that they look again (and poll, or stop polling).
func (db *DB) setPushed(on bool) {
	if db.news.pushed.Swap(on) != on {
		db.heard()
	}
}

// committed spreads the news of a commit that moved the change counter:
// to this process's waiters, and to the owner's guests or the owner.
func (db *DB) committed() {
	db.heard()
	if h := db.news.owner.Load(); h != nil {
		h.fanOut(nil)
		return
	}
	db.tellOwner()
}

// link is the owner's side of one guest's connection.
type link struct {
	conn  net.Conn
	push  chan struct{} // 1: a change to tell this guest
	ack   chan struct{} // 1: its news was heard
	grant chan struct{} // the file let go for each of its loans (lease.go)
	// Read and written by the goroutine reading the guest only:
	pins  int  // the owner's pins held for this guest: the connection's, then its loans
	perTx bool // it borrows per transaction
}

func newLink(c net.Conn) *link {
	return &link{conn: c, push: make(chan struct{}, 1), ack: make(chan struct{}, 1), grant: make(chan struct{}, maxLoans)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default: // one pending is enough
	}
}

// fanOut tells every guest but from of a change.
func (h *holder) fanOut(from *link) {
	h.linksMu.Lock()
	defer h.linksMu.Unlock()
	for l := range h.links {
		if l != from {
			signal(l.push)
		}
	}
}

func (h *holder) addLink(l *link) bool {
	h.linksMu.Lock()
	defer h.linksMu.Unlock()
	if h.links == nil {
		if h.gone {
			return false
		}
		h.links = map[*link]struct{}{}
	}
	h.links[l] = struct{}{}
	return true
}

func (h *holder) removeLink(l *link) {
	h.linksMu.Lock()
	defer h.linksMu.Unlock()
	delete(h.links, l)
}

// dropLinks closes every guest's connection: the owner is going.
func (h *holder) dropLinks() {
	h.linksMu.Lock()
	defer h.linksMu.Unlock()
	h.gone = true
	for l := range h.links {
		l.conn.Close()
	}
	h.links = nil
}

// talk carries the news and the loans over one guest's connection until
// it ends: it reads the guest's "." bytes and its loans (anything else
// drops it) and, in a second goroutine, writes what the guest is owed.
func (db *DB) talk(h *holder, l *link) {
	c := l.conn
	if !h.addLink(l) {
		return
	}
	defer h.removeLink(l)
	done := make(chan struct{})
	defer close(done)
	go l.write(done)
	buf := make([]byte, 512)
	for {
		n, err := c.Read(buf)
		news := false
		for _, b := range buf[:n] {
			if b == byteChanged {
				news = true
			} else if !db.lend(l, b) {
				return // garbage: not a roster process
			}
		}
		if news {
			// However many bytes came, it is one piece of news.
			db.heard()
			h.fanOut(l)
			signal(l.ack)
		}
		if err != nil {
			return
		}
	}
}

// write hands the guest its acks and pushes; a guest that does not take
// them within pushWait is dropped.
func (l *link) write(done <-chan struct{}) {
	for {
		var b byte
		select {
		case <-done:
			return
		case <-l.ack:
			b = byteAck
		case <-l.push:
			b = byteChanged
		case <-l.grant:
			b = byteGrant
		}
		_ = l.conn.SetWriteDeadline(time.Now().Add(pushWait))
		if _, err := l.conn.Write([]byte{b}); err != nil {
			l.conn.Close()
			return
		}
	}
}

// visit is a guest's connection to the owner.
type visit struct {
	conn   net.Conn
	pushes bool          // the owner said "+"
	lends  bool          // the owner said "L" (lease.go)
	acks   chan struct{} // 1: the owner heard our news
	grants chan struct{} // the owner let go for a loan
	gone   chan struct{} // closed when the connection ended
	tellMu sync.Mutex    // one piece of news at a time
	slow   atomic.Bool   // an ack came late: stop waiting until one comes
}

// readHello reads the owner's "+" after its "ok\n", if it sends one.
func readHello(c net.Conn, br *bufio.Reader) bool { return readSaid(c, br, byteHello) }

// readSaid reads the byte want from the owner if that is what it sends
// next, waiting at most helloWait for it (an older owner sends nothing).
func readSaid(c net.Conn, br *bufio.Reader, want byte) bool {
	if br.Buffered() == 0 {
		_ = c.SetReadDeadline(time.Now().Add(helloWait))
		defer c.SetReadDeadline(time.Time{})
	}
	b, err := br.Peek(1)
	if err != nil || b[0] != want {
		return false
	}
	_, _ = br.Discard(1)
	return true
}

// listen reads the owner's bytes until the connection ends, then forgets
// the owner: the next open looks for one again, and the waiters, woken,
// go back to polling.
func (db *DB) listen(v *visit, br *bufio.Reader) {
	buf := make([]byte, 64)
	for {
		n, err := br.Read(buf)
		changed, acked := false, false
		for _, b := range buf[:n] {
			switch b {
			case byteChanged:
				changed = true
			case byteAck:
				acked = true
			case byteGrant:
				select {
				case v.grants <- struct{}{}:
				default: // more grants than loans asked for: not an owner of ours
				}
			}
		}
		if changed {
			db.heard()
		}
		if acked {
			v.slow.Store(false)
			signal(v.acks)
		}
		if err != nil {
			break
		}
	}
	close(v.gone)
	g := &db.guest
	g.mu.Lock()
	if g.conn == v {
		g.conn = nil
		db.setPushed(false)
	}
	g.mu.Unlock()
	v.conn.Close()
}

// tellOwner tells the owner of this process's commit and waits, at most
// ackWait, until it has heard.
func (db *DB) tellOwner() {
	g := &db.guest
	g.mu.Lock()
	v := g.conn
	g.mu.Unlock()
	if v == nil || !v.pushes {
		return
	}
	v.tellMu.Lock()
	defer v.tellMu.Unlock()
	select {
	case <-v.acks: // a late ack of earlier news
	default:
	}
	_ = v.conn.SetWriteDeadline(time.Now().Add(ackWait))
	if _, err := v.conn.Write([]byte{byteChanged}); err != nil {
		return
	}
	if v.slow.Load() {
		return
	}
	t := time.NewTimer(ackWait)
	defer t.Stop()
	select {
	case <-v.acks:
	case <-v.gone:
	case <-t.C:
		v.slow.Store(true)
	}
}
