package store

import (
	"bufio"
	"net"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Borrowing the file for one transaction.
//
// An owner that let go of the file for as long as a guest was connected
// lost what owning it was for whenever a terminal app sat open on the
// machine: the site and the directory were back to opening the file per
// transaction all day. So a guest now borrows the file only for each of
// its transactions:
//
//	owner → guest  "L"  after "+": this owner lends per transaction
//	guest → owner  "L"  I borrow per transaction: stop letting go for me
//	guest → owner  "b"  let go of the file for one transaction of mine
//	owner → guest  "g"  let go: open it
//	guest → owner  "e"  done, the file is closed again
//
// The owner lets go at each "b" (pin, which waits for its running
// transactions) and may take the file again once no "b" is open. A
// guest's connection ending gives back what it held. The lock on the file
// still keeps everyone apart: a guest that is not answered in time opens
// the file anyway and waits for the lock as without an owner. A guest
// built before borrowing never says "L" and keeps the owner letting go
// while connected, as before; an owner built before it never says "L",
// and a new guest then borrows nothing.

const (
	byteLends  = 'L'
	byteBorrow = 'b'
	byteGrant  = 'g'
	byteDone   = 'e'
)

// maxLoans bounds the transactions a guest may have borrowed at once (a
// process runs a few concurrently); one asking for more is dropped.
const maxLoans = 64

// readLends reads the owner's "L" after its "+", if it sends one.
func readLends(c net.Conn, br *bufio.Reader) bool { return readSaid(c, br, byteLends) }

// borrow asks the owner, when this process is the guest of one that
// lends, to let go of the file for one transaction, and waits until it
// has (at most guestWait). It returns the visit to give the loan back to,
// nil when there is nothing to give back.
func (db *DB) borrow() *visit {
	if db.own != nil {
		return nil
	}
	db.visitOwner()
	g := &db.guest
	g.mu.Lock()
	v := g.conn
	g.mu.Unlock()
	if v == nil || !v.lends {
		return nil
	}
	if !v.send(byteBorrow) {
		return nil
	}
	t := time.NewTimer(guestWait)
	defer t.Stop()
	select {
	case <-v.grants:
	case <-v.gone:
		return nil // the owner went, and with it the loan
	case <-t.C: // open anyway: the lock decides
	}
	return v
}

// giveBack ends a loan from borrow.
func (v *visit) giveBack() {
	if v != nil {
		v.send(byteDone)
	}
}

// send writes one byte to the owner.
func (v *visit) send(b byte) bool {
	_ = v.conn.SetWriteDeadline(time.Now().Add(ackWait))
	_, err := v.conn.Write([]byte{b})
	return err == nil
}

// borrowedFile is a handle opened on a borrowed file: Close gives the
// loan back once the file is closed.
type borrowedFile struct {
	*bolt.DB
	loan *visit
}

func (f borrowedFile) Close() error {
	err := f.DB.Close()
	f.loan.giveBack()
	return err
}

// lend is the owner's side of a guest's byte about loans; it reports
// false for a byte out of turn, which drops the guest.
func (db *DB) lend(l *link, b byte) bool {
	switch {
	case b == byteLends && !l.perTx:
		l.perTx = true
		l.pins--
		db.unpin()
	case b == byteBorrow && l.perTx && l.pins < maxLoans:
		db.pin()
		l.pins++
		select {
		case l.grant <- struct{}{}:
		default: // cannot happen: at most maxLoans are pending
		}
	case b == byteDone && l.perTx && l.pins > 0:
		l.pins--
		db.unpin()
	default:
		return false
	}
	return true
}
