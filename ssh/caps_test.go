package ssh

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	gossh "golang.org/x/crypto/ssh"
)

// Ensure members and admins together cannot lock the owners out: they
// fill every slot but the two kept for owners, the next of them is
// refused with a message, and owners still get in, up to MaxSessions.
func TestOwnersKeepTheirSlots(t *testing.T) {
	ts := startServer(t, Config{MaxSessions: 5, MaxSessionsPerUser: 2})
	_, miaKey := ts.addUser("mia", roster.RoleMember, roster.StatusActive)
	_, adamKey := ts.addUser("adam", roster.RoleAdmin, roster.StatusActive)
	_, maxKey := ts.addUser("max", roster.RoleMember, roster.StatusActive)
	_, olgaKey := ts.addUser("olga", roster.RoleOwner, roster.StatusActive)
	_, ottoKey := ts.addUser("otto", roster.RoleOwner, roster.StatusActive)
	for _, who := range []struct {
		name string
		key  gossh.Signer
	}{{"mia", miaKey}, {"mia", miaKey}, {"adam", adamKey}} {
		ts.openTerm(who.name, who.key, 80, 24).waitScreen("probe " + who.name)
	}

	refused := ts.openTerm("max", maxKey, 80, 24)
	if code := refused.exitStatus(); code != 1 {
		t.Errorf("a member's session beyond the unreserved slots: exit status %d, want 1", code)
	}
	if out := refused.output(); !strings.Contains(out, "every session open but the 2 kept for owners") || strings.Contains(out, "probe") {
		t.Errorf("refused member's output %q", out)
	}
	refused.close()
	admin := ts.openTerm("adam", adamKey, 80, 24)
	if code := admin.exitStatus(); code != 1 || !strings.Contains(admin.output(), "kept for owners") {
		t.Errorf("an admin took an owner's slot: exit %d, output %q", code, admin.output())
	}

	ts.openTerm("olga", olgaKey, 80, 24).waitScreen("probe olga owner")
	ts.openTerm("otto", ottoKey, 80, 24).waitScreen("probe otto owner")
	full := ts.openTerm("olga", olgaKey, 80, 24)
	if code := full.exitStatus(); code != 1 || !strings.Contains(full.output(), "already has 5 sessions open, its limit") {
		t.Errorf("a session beyond MaxSessions: exit %d, output %q", code, full.output())
	}
}

// Ensure the reserve never leaves members without a slot: with
// MaxSessions 1 there is none.
func TestOwnerReserveLeavesOneSlot(t *testing.T) {
	ts := startServer(t, Config{MaxSessions: 1})
	if got := ts.srv.sessions.ownerReserve; got != 0 {
		t.Errorf("reserve %d with MaxSessions 1", got)
	}
	_, miaKey := ts.addUser("mia", roster.RoleMember, roster.StatusActive)
	ts.openTerm("mia", miaKey, 80, 24).waitScreen("probe mia")
}

// Ensure a connection that signs in and opens no app is closed after
// NoSessionTimeout, that one asking only for a session without a terminal
// is closed too, and that neither writes a sign-in to the audit log.
func TestSignedInWithoutSessionIsClosed(t *testing.T) {
	ts := startServer(t, Config{NoSessionTimeout: 300 * time.Millisecond})
	mia, miaKey := ts.addUser("mia", roster.RoleMember, roster.StatusActive)

	idle, err := ts.dial("mia", miaKey)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	noTerm, err := ts.dial("mia", miaKey)
	if err != nil {
		t.Fatal(err)
	}
	defer noTerm.Close()
	sess, err := noTerm.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := sess.CombinedOutput("")
	if !strings.Contains(string(out), "needs a terminal") {
		t.Errorf("session without a terminal: %q", out)
	}

	waitClosed(t, "the idle connection", idle)
	waitClosed(t, "the connection without a terminal", noTerm)
	waitCond(t, "mia's connections are released", func() bool { _, n := ts.srv.conns.counts("", "mia"); return n == 0 })
	evs, err := ts.db.AuditEvents(local, store.AuditFilter{UserID: mia.ID, Search: roster.ActionLogin})
	if err != nil || len(evs) != 0 {
		t.Errorf("sign-ins recorded for connections that opened no app: %+v %v", evs, err)
	}
	if u, _ := ts.db.User(local, mia.ID); !u.LastLoginAt.IsZero() {
		t.Error("last login set by a connection that opened no app")
	}

	// A connection whose app ended is closed the same way.
	tm := ts.openTerm("mia", miaKey, 80, 24)
	tm.waitScreen("probe mia")
	tm.press("q")
	tm.exitStatus()
	waitClosed(t, "a connection whose app ended", tm.client)
}

// Ensure signed-in connections count against the per-user cap even with
// no session: one member cannot hold more than MaxSessionsPerUser, the
// refusal says why and is not held against the address.
func TestIdleConnectionsCountPerUser(t *testing.T) {
	ts := startServer(t, Config{MaxSessionsPerUser: 3, MaxFailures: 1})
	_, miaKey := ts.addUser("mia", roster.RoleMember, roster.StatusActive)
	_, olgaKey := ts.addUser("olga", roster.RoleOwner, roster.StatusActive)
	var held []*gossh.Client
	for range 3 {
		c, err := ts.dial("mia", miaKey)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	for range 2 { // twice: a refusal is not a failed sign-in (MaxFailures 1)
		banner, err := ts.dialBanner("mia", miaKey)
		if err == nil || !strings.Contains(banner, "you already have 3 connections open") {
			t.Fatalf("a fourth idle connection: banner %q, err %v", banner, err)
		}
	}
	ts.openTerm("olga", olgaKey, 80, 24).waitScreen("probe olga owner")
	held[0].Close()
	waitCond(t, "a connection is released", func() bool { _, n := ts.srv.conns.counts("", "mia"); return n == 2 })
	ts.openTerm("mia", miaKey, 80, 24).waitScreen("probe mia")
}

// Ensure one address cannot hold more than MaxPreAuthPerAddr connections
// that have not signed in, while another address still signs in; a
// connection that ends frees its place.
func TestPreAuthConnectionsPerAddress(t *testing.T) {
	ts := startServer(t, Config{MaxPreAuthPerAddr: 3})
	_, olgaKey := ts.addUser("olga", roster.RoleOwner, roster.StatusActive)
	var raw []net.Conn
	for range 3 {
		c := rawConnFrom(t, ts, "127.0.0.1")
		raw = append(raw, c)
	}
	waitCond(t, "three connections signing in", func() bool { n, _ := ts.srv.conns.counts("127.0.0.1", ""); return n == 3 })

	fourth := rawConnFrom(t, ts, "127.0.0.1")
	_ = fourth.SetReadDeadline(time.Now().Add(waitFor))
	if b, _ := io.ReadAll(fourth); len(b) != 0 {
		t.Errorf("the fourth connection got %q; want it closed before the server's greeting", b)
	}
	c, err := ts.dialFrom("127.0.0.2", "olga", olgaKey)
	if err != nil {
		t.Fatalf("another address: %v", err)
	}
	c.Close()

	raw[0].Close()
	waitCond(t, "a place is freed", func() bool { n, _ := ts.srv.conns.counts("127.0.0.1", ""); return n == 2 })
	c, err = ts.dialFrom("127.0.0.1", "olga", olgaKey)
	if err != nil {
		t.Fatalf("after a place was freed: %v", err)
	}
	c.Close()
}

// rawConnFrom opens a TCP connection that never speaks SSH.
func rawConnFrom(t *testing.T, ts *testServer, ip string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: waitFor}
	c, err := d.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitClosed waits until the server has closed the client's connection.
func waitClosed(t *testing.T, what string, c *gossh.Client) {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	waitCond(t, what+" is closed by the server", func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
}
