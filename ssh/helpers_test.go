package ssh

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/vt"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/store"
	gossh "golang.org/x/crypto/ssh"
)

// waitFor is how long a test waits for a condition: generous, because CI
// machines are loaded; a passing test never waits that long.
const waitFor = 20 * time.Second

var local = roster.LocalActor("tester")

// testServer is a real server on 127.0.0.1:0 with a real database.
type testServer struct {
	t    testing.TB
	db   *store.DB
	srv  *Server
	addr string
}

// startServer starts a server with cfg; a nil cfg.App hosts probeApp.
func startServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	db := storetest.Open(t)
	return startServerOn(t, db, cfg)
}

func startServerOn(t testing.TB, db *store.DB, cfg Config) *testServer {
	t.Helper()
	if cfg.App == nil {
		cfg.App = probeApp(db)
	}
	srv, err := New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &testServer{t: t, db: db, srv: srv, addr: ln.Addr().String()}
}

// addUser creates an active (or otherwise) user with a fresh key.
func (ts *testServer) addUser(username string, role roster.Role, status roster.Status) (*roster.User, gossh.Signer) {
	ts.t.Helper()
	u, err := ts.db.CreateUser(local, roster.NewUser{Username: username, Name: strings.ToUpper(username[:1]) + username[1:],
		Email: username + "@example.com", Role: role})
	if err != nil {
		ts.t.Fatal(err)
	}
	if status != roster.StatusPending {
		if _, err := ts.db.SetStatus(local, []uint64{u.ID}, status); err != nil {
			ts.t.Fatal(err)
		}
	}
	signer := newSigner(ts.t)
	line := string(gossh.MarshalAuthorizedKey(signer.PublicKey()))
	if _, err := ts.db.AddKey(local, u.ID, line); err != nil {
		ts.t.Fatal(err)
	}
	return u, signer
}

func newSigner(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dial connects as name with the signer, checking the host key.
func (ts *testServer) dial(name string, signer gossh.Signer) (*gossh.Client, error) {
	return ts.dialFrom("", name, signer)
}

// dialFrom connects from a chosen local IP ("" for any).
func (ts *testServer) dialFrom(localIP, name string, signer gossh.Signer) (*gossh.Client, error) {
	d := net.Dialer{Timeout: waitFor}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	conn, err := d.Dial("tcp", ts.addr)
	if err != nil {
		return nil, err
	}
	cfg := &gossh.ClientConfig{
		User:            name,
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.FixedHostKey(ts.srv.signer.PublicKey()),
		Timeout:         waitFor,
	}
	c, chans, reqs, err := gossh.NewClientConn(conn, ts.addr, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return gossh.NewClient(c, chans, reqs), nil
}

// term is a client session with a PTY whose output feeds a terminal
// emulator, so tests read the screen a person would see.
type term struct {
	t      testing.TB
	client *gossh.Client
	sess   *gossh.Session
	stdin  io.WriteCloser

	mu  sync.Mutex
	emu *vt.Emulator
	raw bytes.Buffer

	done    chan struct{}
	waitErr error
}

// openTerm signs in as name and opens the app in a w×h terminal.
func (ts *testServer) openTerm(name string, signer gossh.Signer, w, h int) *term {
	ts.t.Helper()
	client, err := ts.dial(name, signer)
	if err != nil {
		ts.t.Fatalf("sign in as %s: %v", name, err)
	}
	return openTermOn(ts.t, client, "xterm-256color", w, h)
}

func openTermOn(t testing.TB, client *gossh.Client, termName string, w, h int) *term {
	t.Helper()
	return openTermOnEnv(t, client, termName, nil, w, h)
}

// openTermOnEnv is openTermOn with environment variables sent first.
func openTermOnEnv(t testing.TB, client *gossh.Client, termName string, env map[string]string, w, h int) *term {
	t.Helper()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range env {
		if err := sess.Setenv(k, v); err != nil {
			t.Fatal(err)
		}
	}
	tm := &term{t: t, client: client, sess: sess, emu: vt.NewEmulator(w, h), done: make(chan struct{})}
	if err := sess.RequestPty(termName, h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	tm.stdin, err = sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	sess.Stdout = tm
	sess.Stderr = tm
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	// The emulator answers the app's terminal queries, as a terminal would.
	go func() { _, _ = io.Copy(tm.stdin, tm.emu) }()
	go func() {
		tm.waitErr = sess.Wait()
		close(tm.done)
	}()
	t.Cleanup(tm.close)
	return tm
}

// Write feeds the emulator; the session's output arrives here.
func (tm *term) Write(p []byte) (int, error) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.raw.Write(p)
	return tm.emu.Write(p)
}

func (tm *term) close() {
	tm.sess.Close()
	tm.client.Close()
	// Ends the goroutine that forwards the emulator's answers. (Not
	// emu.Close, which races with Read.)
	if pw, ok := tm.emu.InputPipe().(io.Closer); ok {
		_ = pw.Close()
	}
}

// screen returns the emulator's screen as text.
func (tm *term) screen() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.emu.String()
}

// output returns everything the session wrote, escape sequences included.
func (tm *term) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.raw.String()
}

// outputLen returns how many bytes the session has written so far.
func (tm *term) outputLen() int {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.raw.Len()
}

// waitScreen waits until the screen shows want.
func (tm *term) waitScreen(want string) {
	tm.t.Helper()
	tm.waitUntil("screen shows "+strconvQuote(want), func() bool { return strings.Contains(tm.screen(), want) })
}

// waitOutput waits until the raw output holds want (for text written after
// the app left the alternate screen).
func (tm *term) waitOutput(want string) {
	tm.t.Helper()
	tm.waitUntil("output holds "+strconvQuote(want), func() bool { return strings.Contains(tm.output(), want) })
}

func (tm *term) waitUntil(what string, cond func() bool) {
	tm.t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			tm.t.Fatalf("timed out waiting until %s; screen:\n%s", what, tm.screen())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// press types keys.
func (tm *term) press(keys string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.stdin, keys); err != nil {
		tm.t.Fatalf("type %q: %v", keys, err)
	}
}

// exitStatus waits for the session to end and returns its exit status.
func (tm *term) exitStatus() int {
	tm.t.Helper()
	select {
	case <-tm.done:
	case <-time.After(waitFor):
		tm.t.Fatalf("the session did not end; screen:\n%s", tm.screen())
	}
	var exit *gossh.ExitError
	switch {
	case tm.waitErr == nil:
		return 0
	case errors.As(tm.waitErr, &exit):
		return exit.ExitStatus()
	}
	tm.t.Fatalf("session ended without a status: %v", tm.waitErr)
	return -1
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// waitCond polls cond until it holds or the deadline passes.
func waitCond(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// probeApp is a tiny app for testing the server without Roster's real
// terminal app: it shows who is signed in, the terminal size and the
// usernames in the database, polls the change counter like the real app,
// creates a user on "n" and quits on "q".
func probeApp(db *store.DB) App {
	return func(s Session) tea.Model {
		return &probe{db: db, s: s, w: s.Width, h: s.Height}
	}
}

type probe struct {
	db      *store.DB
	s       Session
	w, h    int
	changes uint64
	names   []string
	made    int
	err     error
}

type probeTick struct{}

type probeMade struct{ err error }

type probeLoaded struct {
	changes uint64
	names   []string
	err     error
}

func (p *probe) Init() tea.Cmd { return tea.Batch(p.loadCmd(), probeTickCmd()) }

func probeTickCmd() tea.Cmd {
	return tea.Tick(50*time.Millisecond, func(time.Time) tea.Msg { return probeTick{} })
}

func (p *probe) loadCmd() tea.Cmd {
	db := p.db
	return func() tea.Msg {
		n, err := db.Changes()
		if err != nil {
			return probeLoaded{err: err}
		}
		users, err := db.ListUsers(local, roster.UserFilter{Sort: roster.SortUsername})
		var names []string
		for _, u := range users {
			names = append(names, u.Username)
		}
		return probeLoaded{changes: n, names: names, err: err}
	}
}

func (p *probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.w, p.h = msg.Width, msg.Height
	case probeTick:
		db, seen, load := p.db, p.changes, p.loadCmd()
		return p, tea.Batch(probeTickCmd(), func() tea.Msg {
			if n, err := db.Changes(); err == nil && n != seen {
				return load()
			}
			return nil
		})
	case probeLoaded:
		p.changes, p.names, p.err = msg.changes, msg.names, msg.err
	case probeMade:
		p.err = msg.err
	case tea.KeyPressMsg:
		switch msg.String() {
		case "q":
			return p, tea.Quit
		case "n":
			p.made++
			db, actor, name := p.db, p.s.Actor, fmt.Sprintf("%s-made-%d", p.s.Actor.Name, p.made)
			return p, func() tea.Msg {
				_, err := db.CreateUser(actor, roster.NewUser{Username: name, Name: name, Email: name + "@example.com"})
				return probeMade{err: err}
			}
		}
	}
	return p, nil
}

func (p *probe) View() tea.View {
	v := tea.NewView(fmt.Sprintf("probe %s %s %dx%d\nerr: %v\nusers: %s", p.s.Actor.Name, p.s.Actor.Role, p.w, p.h,
		p.err, strings.Join(p.names, " ")))
	v.AltScreen = true
	return v
}

// shutdown stops the server within the deadline.
func (ts *testServer) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	return ts.srv.Shutdown(ctx)
}

// dialBanner signs in as name and returns the banners the server sent,
// and the sign-in's error; a client that signed in is closed.
func (ts *testServer) dialBanner(name string, signer gossh.Signer) (string, error) {
	var mu sync.Mutex
	var banners strings.Builder
	cfg := &gossh.ClientConfig{
		User:            name,
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.FixedHostKey(ts.srv.signer.PublicKey()),
		BannerCallback: func(msg string) error {
			mu.Lock()
			defer mu.Unlock()
			banners.WriteString(msg)
			return nil
		},
		Timeout: waitFor,
	}
	c, err := gossh.Dial("tcp", ts.addr, cfg)
	if err == nil {
		c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	return banners.String(), err
}
