package ldap

import (
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// dialFrom connects to addr from the local address from (such as
// 127.0.0.2), so that tests can play two client machines.
func dialFrom(from, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	return d.Dial("tcp", addr)
}

// bindFrom binds as user from the local address from.
func bindFrom(from, addr, user, pw string) (*goldap.Conn, error) {
	nc, err := dialFrom(from, addr)
	if err != nil {
		return nil, err
	}
	c := goldap.NewConn(nc, false)
	c.Start()
	c.SetTimeout(20 * time.Second)
	if err := c.Bind(userDN(user), pw); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Ensure ten wrong binds for an account from one address lock it out from
// that address only: the app binds from another address all along.
func TestLockoutPerAccountAndAddress(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{FailureWindow: time.Hour})
	for range 10 {
		if _, err := bindFrom("127.0.0.2", addr, "svc", "wrong-password"); codeOf(err) != goldap.LDAPResultInvalidCredentials {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if _, err := bindFrom("127.0.0.2", addr, "svc", testPasswords["svc"]); err == nil {
		t.Fatal("the attacker's address still binds after ten failures")
	}
	c, err := bindFrom("127.0.0.1", addr, "svc", testPasswords["svc"])
	if err != nil {
		t.Fatalf("the app's address is locked out too: %v", err)
	}
	c.Close()
}

// Ensure an unbound connection is closed, with a log line, when it has not
// bound in time, even while it reads the root DSE.
func TestBindTimeout(t *testing.T) {
	db := fixture(t)
	var logs syncBuffer
	_, addr := startServer(t, db, Config{BindTimeout: 300 * time.Millisecond, Log: testLogger(&logs)})
	rc := dialRaw(t, addr)
	rc.c.Write(searchMsg(1, "", scopeBase))
	if _, op, code, ok := rc.read(); !ok || op != opSearchEntry || code != -1 {
		t.Fatalf("root DSE: op %d ok %v", op, ok)
	}
	if _, op, code, _ := rc.read(); op != opSearchDone || code != 0 {
		t.Fatalf("root DSE done: op %d code %d", op, code)
	}
	if _, _, _, ok := rc.read(); ok {
		t.Fatal("unexpected message")
	}
	waitFor(t, "the log line", func() bool { return strings.Contains(logs.String(), "no bind in time") })

	// A bound connection is not held to it.
	c := bindAs(t, addr, "svc")
	time.Sleep(500 * time.Millisecond) // longer than BindTimeout, on purpose
	if _, err := c.Search(goldap.NewSearchRequest(testBase, goldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil)); err != nil {
		t.Fatalf("bound connection closed: %v", err)
	}
}

// Ensure unbound connections from many addresses never shut out a newcomer:
// at MaxUnbound, the oldest of the busiest address makes way.
func TestUnboundEviction(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{MaxUnbound: 20, MaxUnboundPerAddr: 8})
	var held []net.Conn
	for i := range 3 {
		for range 8 {
			c, err := dialFrom("127.0.0."+strconv.Itoa(10+i), addr)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
		}
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	c, err := bindFrom("127.0.0.1", addr, "svc", testPasswords["svc"])
	if err != nil {
		t.Fatalf("newcomer refused: %v", err)
	}
	c.Close()
}

// TestFrontDoorUnderAttack: 900 connections each announcing a 1 MB
// message, then 1,100 idle connections, all from 127.0.0.2, while the apps'
// service account binds and searches from 127.0.0.1 and succeeds every
// time; the process stays under 150 MB.
func TestFrontDoorUnderAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 connections")
	}
	db := fixture(t)
	var logs syncBuffer
	_, addr := startServer(t, db, Config{Log: testLogger(&logs)})

	var mu sync.Mutex
	var held []net.Conn
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	attack := make(chan struct{})
	go func() {
		defer close(attack)
		for i := range 2000 {
			c, err := dialFrom("127.0.0.2", addr)
			if err != nil {
				t.Errorf("attacker dial %d: %v", i, err)
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			if i < 900 {
				// A 1 MiB message announced in 6 bytes, never sent.
				_, _ = c.Write([]byte{0x30, 0x84, 0x00, 0x10, 0x00, 0x00})
			}
		}
	}()

	var peak uint64
	rounds := 0
	for done := false; !done || rounds < 20; rounds++ {
		select {
		case <-attack:
			done = true
		default:
		}
		c, err := bindFrom("127.0.0.1", addr, "svc", testPasswords["svc"])
		if err != nil {
			t.Fatalf("round %d: the service account cannot bind: %v", rounds, err)
		}
		res, err := c.Search(goldap.NewSearchRequest("ou=people,"+testBase, goldap.ScopeSingleLevel, 0, 0, 0, false, "(uid=ada)", []string{"mail"}, nil))
		c.Close()
		if err != nil || len(res.Entries) != 1 {
			t.Fatalf("round %d: search: %v", rounds, err)
		}
		peak = max(peak, memoryInUse())
	}
	if peak > 150<<20 && !raceEnabled {
		t.Errorf("memory peaked at %d MB", peak>>20)
	}
	t.Logf("%d rounds of bind+search during the attack; peak memory %d MB", rounds, peak>>20)
	for _, want := range []string{"too many unbound connections from one address", "over the size limit"} {
		waitFor(t, "log line "+want, func() bool { return strings.Contains(logs.String(), want) })
	}
}

// memoryInUse returns the test process's resident size, or the Go heap
// when /proc is not there.
func memoryInUse() uint64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
