package store

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/roster-dev/roster"
)

// waitClosed fails unless ch is closed within a generous deadline (the
// news crosses a socket and a goroutine).
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no news", what)
	}
}

// isClosed reports whether ch is closed right now.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// waitPushed waits until db's Pushed is as wanted, doing a transaction
// each round (a guest connects at its next one).
func waitPushed(t *testing.T, db *DB, want bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for db.Pushed() != want {
		if time.Now().After(deadline) {
			t.Fatalf("Pushed = %v, want %v", db.Pushed(), want)
		}
		if _, err := db.Changes(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ownedWithGuests returns an owner and n guests on one file.
func ownedWithGuests(t *testing.T, n int) (*DB, []*DB) {
	t.Helper()
	owner := MustOpenDB(t)
	if owns, err := owner.Own(); err != nil || !owns {
		t.Fatalf("Own = %v, %v", owns, err)
	}
	t.Cleanup(func() { owner.Disown() })
	var guests []*DB
	for range n {
		g, err := Open(owner.Path())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close() })
		guests = append(guests, g)
	}
	return owner, guests
}

func newUser(name string) roster.NewUser {
	return roster.NewUser{Username: name, Name: name, Email: name + "@example.com"}
}

// Ensure a guest's commit reaches the owner's waiters before the guest's
// write returns, and the other guest's waiters soon after; and the
// owner's own commit reaches every guest. Without an owner, nothing is
// pushed and Pushed says so.
func TestPushChangesBetweenProcesses(t *testing.T) {
	lone := MustOpenDB(t)
	if lone.Pushed() {
		t.Fatal("a lone handle says its changes are pushed")
	}
	owner, guests := ownedWithGuests(t, 2)
	a, b := guests[0], guests[1]
	for i, db := range []*DB{owner, a, b} {
		if !db.Pushed() {
			t.Fatalf("handle %d: not pushed with an owner", i)
		}
	}
	actor := roster.LocalActor("test")

	ownerCh, aCh, bCh := owner.Changed(), a.Changed(), b.Changed()
	if _, err := a.CreateUser(actor, newUser("ada")); err != nil {
		t.Fatal(err)
	}
	if !isClosed(ownerCh) {
		t.Fatal("the guest's write returned before the owner heard of it")
	}
	if !isClosed(aCh) {
		t.Fatal("the guest's own waiters were not told")
	}
	waitClosed(t, bCh, "the other guest, of the first guest's write")

	ownerCh, aCh, bCh = owner.Changed(), a.Changed(), b.Changed()
	if _, err := owner.CreateUser(actor, newUser("bob")); err != nil {
		t.Fatal(err)
	}
	if !isClosed(ownerCh) {
		t.Fatal("the owner's own waiters were not told")
	}
	waitClosed(t, aCh, "guest a, of the owner's write")
	waitClosed(t, bCh, "guest b, of the owner's write")

	// A read moves nothing and tells no one.
	ownerCh, bCh = owner.Changed(), b.Changed()
	if _, err := a.AllUsers(actor); err != nil {
		t.Fatal(err)
	}
	if isClosed(ownerCh) || isClosed(bCh) {
		t.Fatal("a read was told as a change")
	}
}

// Ensure clients that are not roster, on the owner's socket, stop
// nothing: one sending garbage is dropped, one flooding news is taken in
// and coalesced, one that never reads holds up no write; the real guests
// still hear each other.
func TestPushSurvivesGarbageAndFlood(t *testing.T) {
	owner, guests := ownedWithGuests(t, 1)
	guest := guests[0]
	dial := func() (net.Conn, *bufio.Reader) {
		t.Helper()
		c, err := net.Dial("unix", owner.ownerSocket())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		br := bufio.NewReader(c)
		if line, err := br.ReadString('\n'); err != nil || line != "ok\n" {
			t.Fatalf("greeting %q, %v", line, err)
		}
		return c, br
	}

	garbage, garbageR := dial()
	if _, err := io.WriteString(garbage, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = garbage.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, garbageR); err != nil {
		t.Fatalf("the owner did not drop a client sending garbage: %v", err)
	}

	flood, _ := dial() // never reads what it is sent
	stop := make(chan struct{})
	flooded := make(chan int64)
	go func() {
		var n int64
		chunk := bytes.Repeat([]byte{byteChanged}, 4096)
		for {
			select {
			case <-stop:
				flooded <- n
				return
			default:
			}
			_ = flood.SetWriteDeadline(time.Now().Add(time.Second))
			m, err := flood.Write(chunk)
			n += int64(m)
			if err != nil {
				flooded <- n
				return
			}
		}
	}()

	actor := roster.LocalActor("test")
	for i := range 20 {
		ownerCh, guestCh := owner.Changed(), guest.Changed()
		if _, err := guest.CreateUser(actor, newUser(fmt.Sprintf("g%d", i))); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, ownerCh, "the owner, of the guest's write, under a flood")
		ownerCh = owner.Changed()
		if _, err := owner.CreateUser(actor, newUser(fmt.Sprintf("o%d", i))); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, guestCh, "the guest, under a flood")
		if !isClosed(ownerCh) {
			t.Fatal("the owner's waiters missed its own write")
		}
	}
	late, err := Open(owner.Path()) // a guest arriving under the flood is let in
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	if !late.Pushed() {
		t.Fatal("a guest arriving under a flood is not pushed")
	}
	if _, err := late.CreateUser(actor, newUser("late")); err != nil {
		t.Fatal(err)
	}
	close(stop)
	if n := <-flooded; n == 0 {
		t.Fatal("the flood sent nothing: the test tests nothing")
	}
	if users, err := owner.AllUsers(actor); err != nil || len(users) != 41 {
		t.Fatalf("%d users, %v; want 41", len(users), err)
	}
}

// Ensure guests learn that the owner is gone (their waiters are woken and
// Pushed turns false, so they poll again), carry on alone, and hear a new
// owner's news once they have connected at their next transaction.
func TestPushOwnerGone(t *testing.T) {
	owner, guests := ownedWithGuests(t, 1)
	guest := guests[0]
	ch := guest.Changed()
	// The owner's connections end as when the process is killed.
	if err := owner.Disown(); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, ch, "the guest, of its owner's end")
	if guest.Pushed() {
		t.Fatal("Pushed with no owner")
	}
	actor := roster.LocalActor("test")
	if _, err := guest.CreateUser(actor, newUser("ada")); err != nil {
		t.Fatalf("the guest alone: %v", err)
	}

	next, err := Open(owner.Path())
	if err != nil {
		t.Fatal(err)
	}
	if owns, err := next.Own(); err != nil || !owns {
		t.Fatalf("a new owner: %v, %v", owns, err)
	}
	t.Cleanup(func() { next.Disown() })
	waitPushed(t, guest, true)
	ch = guest.Changed()
	if _, err := next.CreateUser(actor, newUser("bob")); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, ch, "the guest, of the new owner's write")
}

// Ensure a guest of an owner that does not push (an older roster serve:
// "ok" and nothing more) polls, and tells it nothing (so its writes never
// wait for an answer that does not come).
func TestPushNotFromAnOlderOwner(t *testing.T) {
	db := MustOpenDB(t)
	ln, err := listenPrivate(db.ownerSocket())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	told := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.WriteString(c, "ok\n")
		n, _ := io.Copy(io.Discard, c)
		told <- n
	}()
	guest, err := Open(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if guest.Pushed() {
		t.Fatal("Pushed by an owner that never said so")
	}
	if _, err := guest.CreateUser(roster.LocalActor("test"), newUser("ada")); err != nil {
		t.Fatal(err)
	}
	guest.Close()
	select {
	case n := <-told:
		if n != 0 {
			t.Fatalf("the guest sent %d bytes to an owner that does not push", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the guest never connected, or never left")
	}
}
