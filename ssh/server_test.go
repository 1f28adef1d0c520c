package ssh

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	gossh "golang.org/x/crypto/ssh"
)

// Ensure each role signs in by key, runs the app as itself in the
// client's terminal size, and the sign-in is recorded: last login, the
// key's last use, an audit event naming the user.
func TestSignInEachRole(t *testing.T) {
	ts := startServer(t, Config{})
	for _, role := range []roster.Role{roster.RoleOwner, roster.RoleAdmin, roster.RoleMember} {
		name := "the" + role.String()
		u, signer := ts.addUser(name, role, roster.StatusActive)
		tm := ts.openTerm(name, signer, 90, 24)
		tm.waitScreen("probe " + name + " " + role.String() + " 90x24")

		got, err := ts.db.User(local, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.LastLoginAt.IsZero() {
			t.Errorf("%s: last login not set", name)
		}
		keys, err := ts.db.Keys(local, u.ID)
		if err != nil || len(keys) != 1 || keys[0].LastUsedAt.IsZero() {
			t.Errorf("%s: key last use not set: %v %v", name, keys, err)
		}
		evs, err := ts.db.AuditEvents(local, store.AuditFilter{UserID: u.ID, Limit: 1})
		if err != nil || len(evs) != 1 || evs[0].Action != roster.ActionLogin || evs[0].Actor != name ||
			!strings.Contains(evs[0].Details, "via ssh") || !strings.Contains(evs[0].Details, keys[0].Fingerprint) {
			t.Errorf("%s: sign-in event %+v %v", name, evs, err)
		}
		tm.press("q")
		if code := tm.exitStatus(); code != 0 {
			t.Errorf("%s quit with status %d", name, code)
		}
	}
}

// Ensure an unknown key, a disabled or pending user's key, and a key
// offered under another name all get "permission denied" and nothing
// more, and refusals of known users are audited.
func TestSignInRefused(t *testing.T) {
	ts := startServer(t, Config{MaxFailures: 100})
	_, ada := ts.addUser("ada", roster.RoleOwner, roster.StatusActive)
	dis, disKey := ts.addUser("dis", roster.RoleAdmin, roster.StatusDisabled)
	pen, penKey := ts.addUser("pen", roster.RoleMember, roster.StatusPending)
	ts.addUser("bob", roster.RoleMember, roster.StatusActive)

	for _, tc := range []struct {
		what   string
		name   string
		signer gossh.Signer
	}{
		{"unknown key", "ada", newSigner(t)},
		{"disabled user", "dis", disKey},
		{"pending user", "pen", penKey},
		{"another user's name", "bob", ada},
		{"a name nobody has", "nobody", ada},
		{"an e-mail as name", "ada@example.com", ada},
	} {
		c, err := ts.dial(tc.name, tc.signer)
		if err == nil {
			c.Close()
			t.Errorf("%s: signed in", tc.what)
			continue
		}
		if !strings.Contains(err.Error(), "unable to authenticate") {
			t.Errorf("%s: %v", tc.what, err)
		}
	}
	for _, u := range []*roster.User{dis, pen} {
		evs, err := ts.db.AuditEvents(local, store.AuditFilter{UserID: u.ID, Search: roster.ActionLoginRefused})
		if err != nil || len(evs) == 0 || evs[0].Actor != "system:ssh" {
			t.Errorf("%s: refused sign-in not audited: %+v %v", u.Username, evs, err)
		}
		if got, _ := ts.db.User(local, u.ID); !got.LastLoginAt.IsZero() {
			t.Errorf("%s: a refused sign-in set the last login", u.Username)
		}
	}
	evs, _ := ts.db.AuditEvents(local, store.AuditFilter{Search: "offered for the name \"bob\""})
	if len(evs) != 1 || evs[0].Targets[0] != "ada" {
		t.Errorf("wrong-name refusal not audited on the key's owner: %+v", evs)
	}
}

// Ensure a user disabled after the handshake's key check cannot open a
// session on a connection already made: the session checks again.
func TestSessionChecksAgain(t *testing.T) {
	ts := startServer(t, Config{})
	u, signer := ts.addUser("ada", roster.RoleAdmin, roster.StatusActive)
	c, err := ts.dial("ada", signer)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := ts.db.SetStatus(local, []uint64{u.ID}, roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	tm := openTermOn(t, c, "xterm", 80, 24)
	if code := tm.exitStatus(); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if out := tm.output(); !strings.Contains(out, "permission denied") || strings.Contains(out, "probe") {
		t.Errorf("output %q", out)
	}
}

// Ensure failed attempts are limited per client address: once an address
// has used its attempts even a good key is refused from it, while another
// address still signs in.
func TestFailedSignInsRateLimited(t *testing.T) {
	ts := startServer(t, Config{MaxFailures: 3, FailureWindow: time.Hour})
	_, good := ts.addUser("ada", roster.RoleOwner, roster.StatusActive)
	stranger := newSigner(t)
	for i := range 3 {
		if c, err := ts.dialFrom("127.0.0.1", "ada", stranger); err == nil {
			c.Close()
			t.Fatalf("attempt %d: an unknown key signed in", i+1)
		}
	}
	// The server counts a failure once the connection has ended on its side.
	waitCond(t, "three failures counted", func() bool { return !ts.srv.limiter.allowed("127.0.0.1") })
	if c, err := ts.dialFrom("127.0.0.1", "ada", good); err == nil {
		c.Close()
		t.Fatal("a good key signed in from an address out of attempts")
	}
	c, err := ts.dialFrom("127.0.0.2", "ada", good)
	if err != nil {
		t.Fatalf("another address is refused too: %v", err)
	}
	c.Close()
}

// Ensure a client whose agent offers other keys before the right one is
// not locked out, however often it connects.
func TestManyKeysBeforeTheRightOne(t *testing.T) {
	ts := startServer(t, Config{MaxFailures: 3, FailureWindow: time.Hour})
	_, good := ts.addUser("ada", roster.RoleOwner, roster.StatusActive)
	others := []gossh.Signer{newSigner(t), newSigner(t), newSigner(t), newSigner(t)}
	for i := range 5 {
		conn, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		cfg := &gossh.ClientConfig{User: "ada", HostKeyCallback: gossh.FixedHostKey(ts.srv.signer.PublicKey()),
			Auth: []gossh.AuthMethod{gossh.PublicKeys(append(others, good)...)}, Timeout: waitFor}
		c, chans, reqs, err := gossh.NewClientConn(conn, ts.addr, cfg)
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		gossh.NewClient(c, chans, reqs).Close()
	}
}

// Ensure the limiter gives attempts back over time.
func TestFailureLimiterRefills(t *testing.T) {
	l := newFailureLimiter(2, time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	l.failed("a")
	l.failed("a")
	if l.allowed("a") {
		t.Fatal("allowed after using every attempt")
	}
	if !l.allowed("b") {
		t.Fatal("another address is limited")
	}
	now = now.Add(30 * time.Second)
	if !l.allowed("a") {
		t.Fatal("no attempt earned back after window/burst")
	}
	l.failed("a")
	if l.allowed("a") {
		t.Fatal("allowed again at once")
	}
}

// Ensure a client without a terminal gets one line saying what to do and
// exit status 1, with or without a command; a command with a terminal is
// refused too.
func TestNoTerminal(t *testing.T) {
	ts := startServer(t, Config{})
	_, signer := ts.addUser("ada", roster.RoleOwner, roster.StatusActive)
	for _, cmd := range []string{"", "ls -l"} {
		c, err := ts.dial("ada", signer)
		if err != nil {
			t.Fatal(err)
		}
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		sess.Stdout, sess.Stderr = &stdout, &stderr
		if cmd == "" {
			if err := sess.Shell(); err != nil {
				t.Fatal(err)
			}
			err = sess.Wait()
		} else {
			err = sess.Run(cmd)
		}
		var exit *gossh.ExitError
		if !errors.As(err, &exit) || exit.ExitStatus() != 1 {
			t.Errorf("%q: got %v, want exit status 1", cmd, err)
		}
		lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], "needs a terminal") || !strings.Contains(lines[0], "ssh -t -p ") ||
			!strings.Contains(lines[0], "ada@HOST") || stdout.Len() != 0 {
			t.Errorf("%q: stdout %q stderr %q", cmd, stdout.String(), stderr.String())
		}
		c.Close()
	}

	c, err := ts.dial("ada", signer)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	sess.Stdout, sess.Stderr = &out, &out
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	err = sess.Run("ls")
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 1 || !strings.Contains(out.String(), "not allowed") {
		t.Errorf("command with a terminal: %v, %q", err, out.String())
	}
}

// Ensure a change made in one session, or by another process, shows in
// the other sessions without a key press.
func TestSessionsSeeEachOthersChanges(t *testing.T) {
	ts := startServer(t, Config{})
	_, ownerKey := ts.addUser("olga", roster.RoleOwner, roster.StatusActive)
	_, adminKey := ts.addUser("adam", roster.RoleAdmin, roster.StatusActive)
	a := ts.openTerm("olga", ownerKey, 100, 20)
	b := ts.openTerm("adam", adminKey, 100, 20)
	a.waitScreen("users: adam olga")
	b.waitScreen("users: adam olga")

	a.press("n")
	b.waitScreen("olga-made-1")
	b.press("n")
	a.waitScreen("adam-made-1")

	// Another process: its own store handle on the same file.
	other, err := store.Open(ts.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.CreateUser(roster.LocalActor("cli"), roster.NewUser{Username: "zed", Name: "Zed", Email: "zed@example.com"}); err != nil {
		t.Fatal(err)
	}
	a.waitScreen(" zed")
	b.waitScreen(" zed")

	// The audit log names who made each change.
	for _, want := range [][2]string{{"olga-made-1", "olga"}, {"adam-made-1", "adam"}, {"zed", "os:cli"}} {
		evs, err := ts.db.AuditEvents(local, store.AuditFilter{Search: want[0], Limit: 1})
		if err != nil || len(evs) != 1 || evs[0].Actor != want[1] {
			t.Errorf("creation of %s: %+v %v", want[0], evs, err)
		}
	}
}

// Ensure the app follows the client's window size.
func TestResize(t *testing.T) {
	ts := startServer(t, Config{})
	_, signer := ts.addUser("ada", roster.RoleOwner, roster.StatusActive)
	tm := ts.openTerm("ada", signer, 80, 24)
	tm.waitScreen("80x24")
	tm.mu.Lock()
	tm.emu.Resize(120, 40)
	tm.mu.Unlock()
	if err := tm.sess.WindowChange(40, 120); err != nil {
		t.Fatal(err)
	}
	tm.waitScreen("120x40")
}

// Ensure a session without a key press for the idle timeout is closed
// with a message, and typing keeps a session open.
func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, Config{IdleTimeout: 2 * time.Second})
	_, signer := ts.addUser("ada", roster.RoleOwner, roster.StatusActive)

	busy := ts.openTerm("ada", signer, 80, 24)
	idle := ts.openTerm("ada", signer, 80, 24)
	idle.waitScreen("probe ada")
	busy.waitScreen("probe ada")
	// Keep one session busy (a key the probe ignores) until the other is closed.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				_, _ = busy.stdin.Write([]byte("x"))
			}
		}
	}()
	code := idle.exitStatus()
	close(stop)
	if code != 1 {
		t.Errorf("idle session exit status %d, want 1", code)
	}
	idle.waitOutput("closed after 2 seconds without a key press")
	select {
	case <-busy.done:
		t.Fatalf("the busy session was closed too: %q", busy.output())
	default:
	}
	busy.press("q")
	if code := busy.exitStatus(); code != 0 {
		t.Errorf("busy session exit status %d", code)
	}
}

// Ensure a session ends, with a message, once its user is disabled or its
// key removed, while other sessions go on.
func TestAccessRevoked(t *testing.T) {
	ts := startServer(t, Config{})
	dis, disKey := ts.addUser("dis", roster.RoleAdmin, roster.StatusActive)
	rem, remKey := ts.addUser("rem", roster.RoleAdmin, roster.StatusActive)
	_, stayKey := ts.addUser("stay", roster.RoleOwner, roster.StatusActive)
	a := ts.openTerm("dis", disKey, 80, 24)
	b := ts.openTerm("rem", remKey, 80, 24)
	c := ts.openTerm("stay", stayKey, 80, 24)
	for _, tm := range []*term{a, b, c} {
		tm.waitScreen("probe")
	}
	if _, err := ts.db.SetStatus(local, []uint64{dis.ID}, roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if err := ts.db.RemoveKey(local, rem.ID, gossh.FingerprintSHA256(remKey.PublicKey())); err != nil {
		t.Fatal(err)
	}
	for _, tm := range []*term{a, b} {
		if code := tm.exitStatus(); code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
		tm.waitOutput("no longer active, or your key was removed")
	}
	select {
	case <-c.done:
		t.Fatal("an unaffected session ended")
	default:
	}
	c.press("q")
	if code := c.exitStatus(); code != 0 {
		t.Errorf("exit status %d", code)
	}
}

// Ensure sessions beyond the limit are refused with a message, and a freed
// place can be taken again.
func TestSessionLimit(t *testing.T) {
	ts := startServer(t, Config{MaxSessions: 2})
	_, signer := ts.addUser("ada", roster.RoleOwner, roster.StatusActive)
	one := ts.openTerm("ada", signer, 80, 24)
	two := ts.openTerm("ada", signer, 80, 24)
	one.waitScreen("probe ada")
	two.waitScreen("probe ada")

	three := ts.openTerm("ada", signer, 80, 24)
	if code := three.exitStatus(); code != 1 {
		t.Errorf("third session exit status %d, want 1", code)
	}
	if out := three.output(); !strings.Contains(out, "already has 2 sessions open, its limit") || strings.Contains(out, "probe") {
		t.Errorf("third session output %q", out)
	}

	one.press("q")
	one.exitStatus()
	waitCond(t, "the first session is gone", func() bool { return ts.srv.sessions.count() == 1 })
	// The refused and the ended sessions' connections still count
	// against ada's three; hang them up.
	one.close()
	three.close()
	waitCond(t, "ada's connections are gone", func() bool { _, n := ts.srv.conns.counts("", "ada"); return n == 1 })
	four := ts.openTerm("ada", signer, 80, 24)
	four.waitScreen("probe ada")
}

// Ensure a shutdown tells open sessions, ends them, and refuses new
// connections.
func TestShutdown(t *testing.T) {
	ts := startServer(t, Config{})
	_, signer := ts.addUser("ada", roster.RoleOwner, roster.StatusActive)
	tm := ts.openTerm("ada", signer, 80, 24)
	tm.waitScreen("probe ada")
	if err := ts.shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if code := tm.exitStatus(); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	tm.waitOutput("the server is shutting down")
	if c, err := ts.dial("ada", signer); err == nil {
		c.Close()
		t.Error("connected after shutdown")
	}
}

// Ensure the host key is made once, private, and reused.
func TestHostKey(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "data", "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	s1, err := New(db, Config{App: probeApp(db)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(filepath.Dir(db.Path()), HostKeyFile)
	if s1.HostKeyPath() != path || !s1.HostKeyCreated() || !strings.HasPrefix(s1.Fingerprint(), "SHA256:") {
		t.Fatalf("path %s created %v fingerprint %s", s1.HostKeyPath(), s1.HostKeyCreated(), s1.Fingerprint())
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("host key mode: %v %v", fi, err)
	}
	if s1.signer.PublicKey().Type() != gossh.KeyAlgoED25519 {
		t.Errorf("host key type %s", s1.signer.PublicKey().Type())
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := New(db, Config{App: probeApp(db)})
	if err != nil {
		t.Fatal(err)
	}
	if s2.HostKeyCreated() || s2.Fingerprint() != s1.Fingerprint() {
		t.Errorf("second start: created %v, fingerprint %s, want %s", s2.HostKeyCreated(), s2.Fingerprint(), s1.Fingerprint())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("a readable host key was left %v", fi.Mode().Perm())
	}
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(db, Config{App: probeApp(db)}); err == nil || !strings.Contains(err.Error(), "host key") {
		t.Errorf("a broken host key: %v", err)
	}
}

// syncBuffer is a buffer two goroutines may write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Ensure a connection that does not sign in is closed after the handshake
// timeout.
func TestHandshakeTimeout(t *testing.T) {
	ts := startServer(t, Config{HandshakeTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetReadDeadline(time.Now().Add(waitFor)); err != nil {
		t.Fatal(err)
	}
	// The server's version line comes first; then nothing until it hangs up.
	buf := make([]byte, 256)
	for {
		if _, err := conn.Read(buf); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the connection stayed open")
			}
			return
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute:        "30 minutes",
		time.Minute:             "1 minute",
		2 * time.Hour:           "2 hours",
		2 * time.Second:         "2 seconds",
		90 * time.Second:        "1m30s",
		1500 * time.Millisecond: "1.5s",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
