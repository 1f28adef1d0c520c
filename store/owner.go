package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Owning the file while `roster serve` runs.
//
// Opening the file for every transaction lets several roster processes
// share it without a daemon, and costs every long-running path: half the
// CPU of a set-password page went to opening and closing the file. So
// `roster serve` keeps the file open (Own) and lends it to the other
// roster processes for each of their transactions:
//
//	roster.db.sock   a Unix socket next to the file, 0600, served by the owner
//
// Every other process connects to it in Open ("I am here") and keeps the
// connection until Close or its end. Before each transaction it asks the
// owner to let go of the file and waits for its answer; after it, it says
// it is done (lease.go). While any such loan is open, everyone, the owner
// included, opens the file per transaction as without an owner, so the
// kernel's lock on the file keeps them apart; when none is, the owner
// takes the file again at its next transaction. The connection also
// carries the news of changes both ways (notify.go).
//
// Nothing depends on the owner being alive: if it is killed, the kernel
// drops its lock and its connections; the others find no one on the
// socket and carry on alone. A process started before the owner connects
// at its next transaction (it looks for the socket before each open).

// ownerSocket is the owner's socket for this database.
func (db *DB) ownerSocket() string { return db.path + ".sock" }

// guestWait bounds how long a guest waits for the owner to let go. The
// owner lets go once its running transactions end; a guest that is not
// answered in time carries on, and its open then waits like any other.
const guestWait = 5 * time.Second

// holder is the owner's side: the listener and who is connected.
type holder struct {
	ln     net.Listener
	guests int      // connected processes, and internal users (pin)
	file   *bolt.DB // the handle kept open; nil while guests > 0
	closed bool

	linksMu sync.Mutex
	links   map[*link]struct{} // the guests' connections, for the news (notify.go)
	gone    bool               // Disown: no more links
}

// Own makes this process the owner of the file: it keeps it open between
// transactions for as long as no other roster process uses it. It returns
// false, and changes nothing, when another live process owns it already.
// Disown (or the end of the process) gives it up.
func (db *DB) Own() (bool, error) {
	sock := db.ownerSocket()
	if c, err := net.DialTimeout("unix", sock, time.Second); err == nil {
		c.Close()
		return false, nil // another owner answers
	}
	// Nobody answers: a socket left by an owner that was killed.
	if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("own the database: %w", err)
	}
	ln, err := listenPrivate(sock)
	if errors.Is(err, syscall.EADDRINUSE) {
		return false, nil // another process won the race
	} else if err != nil {
		return false, fmt.Errorf("own the database: %w", err)
	}
	db.mu.Lock()
	h := &holder{ln: ln}
	db.own = h
	db.news.owner.Store(h)
	db.mu.Unlock()
	db.setPushed(true)
	go db.serveGuests(h)
	return true, nil
}

// listenPrivate listens on a Unix socket that only the file's user may
// connect to (0600 from the start: the umask is not trusted).
func listenPrivate(path string) (net.Listener, error) {
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	return ln, nil
}

// Disown closes the kept handle and the socket; guests then carry on alone.
func (db *DB) Disown() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	h := db.own
	if h == nil || h.closed {
		return nil
	}
	h.closed = true
	err := h.ln.Close()
	h.dropLinks()
	db.setPushed(false)
	if h.file != nil {
		if cerr := h.file.Close(); err == nil {
			err = cerr
		}
		h.file = nil
	}
	return err
}

func (db *DB) serveGuests(h *holder) {
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return // Disown
		}
		go db.serveGuest(h, c)
	}
}

// serveGuest lets go of the file for as long as one guest is connected,
// and carries the news of changes both ways (notify.go).
func (db *DB) serveGuest(h *holder, c net.Conn) {
	defer c.Close()
	l := newLink(c)
	db.pin() // until it says it borrows per transaction (lease.go)
	l.pins = 1
	defer func() {
		for range l.pins {
			db.unpin()
		}
	}()
	if _, err := io.WriteString(c, "ok\n"+string(byteHello)+string(byteLends)); err != nil {
		return
	}
	// The read ends when the guest leaves (or dies).
	db.talk(h, l)
}

// pin makes the owner let go of the file until unpin: for a guest, and
// for work in this process that opens the file on its own (a check's
// child process, a restore, a backup's waiting read).
func (db *DB) pin() {
	db.mu.Lock()
	defer db.mu.Unlock()
	if h := db.own; h != nil {
		h.guests++
		if h.file != nil {
			h.file.Close() // transactions hold mu.RLock: none is running
			h.file = nil
		}
	}
}

func (db *DB) unpin() {
	db.mu.Lock()
	defer db.mu.Unlock()
	if h := db.own; h != nil {
		h.guests--
	}
}

// whileLetGo runs fn with the owner's handle closed (see pin).
func (db *DB) whileLetGo(fn func()) {
	db.pin()
	defer db.unpin()
	fn()
}

// kept returns the owner's open handle with mu read-locked (the caller
// unlocks), opening it when the owner is alone; nil, unlocked, when this
// process does not own the file or has guests.
func (db *DB) kept() *bolt.DB {
	db.mu.RLock()
	h := db.own
	if h == nil {
		db.mu.RUnlock()
		return nil
	}
	if h.file != nil {
		return h.file
	}
	db.mu.RUnlock()
	db.mu.Lock()
	if h.file == nil && h.guests == 0 && !h.closed {
		if f, err := db.openFile(false); err == nil {
			h.file = f.DB
		}
	}
	db.mu.Unlock()
	db.mu.RLock()
	if h.file != nil {
		return h.file
	}
	db.mu.RUnlock()
	return nil
}

// guest is a non-owner's connection to the owner.
type guest struct {
	mu   sync.Mutex
	conn *visit // nil when not connected
}

// visitOwner connects to the owner, if there is one and this process is
// not yet its guest, and waits for it to let go of the file. Called before
// each open of the file by a process that does not own it. It reports
// whether it connected just now.
func (db *DB) visitOwner() bool {
	if db.own != nil {
		return false
	}
	g := &db.guest
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.conn != nil {
		return false
	}
	sock := db.ownerSocket()
	if _, err := os.Lstat(sock); err != nil {
		return false // no owner: the common case costs one stat
	}
	c, err := net.DialTimeout("unix", sock, guestWait)
	if err != nil {
		return false // a killed owner's socket
	}
	_ = c.SetReadDeadline(time.Now().Add(guestWait))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || line != "ok\n" {
		c.Close()
		return false
	}
	_ = c.SetReadDeadline(time.Time{})
	v := &visit{conn: c, pushes: readHello(c, br), acks: make(chan struct{}, 1), grants: make(chan struct{}, maxLoans), gone: make(chan struct{})}
	if v.pushes && readLends(c, br) && v.send(byteLends) {
		v.lends = true
	}
	g.conn = v
	// When the owner goes, forget it: the next open looks again.
	go db.listen(v, br)
	db.setPushed(v.pushes)
	return true
}

// Close ends this process's use of the database: a guest leaves the owner
// (who may then take the file again), an owner disowns it. The DB must not
// be used afterwards.
func (db *DB) Close() error {
	g := &db.guest
	g.mu.Lock()
	if g.conn != nil {
		g.conn.conn.Close()
		g.conn = nil
		db.setPushed(false)
	}
	g.mu.Unlock()
	return db.Disown()
}
