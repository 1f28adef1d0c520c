package ssh

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/e2e"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/store"
	gossh "golang.org/x/crypto/ssh"
)

// startRealServer serves Roster's real terminal app.
func startRealServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	db := storetest.Open(t)
	cfg.App = defaultApp(db)
	return startServerOn(t, db, cfg)
}

// openSSH drives the OpenSSH client in tmux, as a person would.
type openSSH struct {
	t       *testing.T
	dir     string
	socket  string
	port    string
	ts      *testServer
	session int
}

func newOpenSSH(t *testing.T, ts *testServer) *openSSH {
	t.Helper()
	e2e.Need(t, "Debian package openssh-client", "ssh")
	e2e.Need(t, "Debian package tmux", "tmux")
	dir := t.TempDir()
	_, port, _ := net.SplitHostPort(ts.addr)
	// The client checks the host key strictly against the server's.
	known := fmt.Sprintf("[127.0.0.1]:%s %s", port, gossh.MarshalAuthorizedKey(ts.srv.signer.PublicKey()))
	if err := os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(known), 0o600); err != nil {
		t.Fatal(err)
	}
	o := &openSSH{t: t, dir: dir, socket: filepath.Join(dir, "tmux.sock"), port: port, ts: ts}
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", o.socket, "kill-server").Run() })
	return o
}

// window is one tmux window running ssh.
type window struct {
	o    *openSSH
	name string
}

// connect opens ssh NAME@127.0.0.1 with the key file in a new tmux window.
func (o *openSSH) connect(name, keyPath string) *window {
	o.t.Helper()
	o.session++
	w := &window{o: o, name: fmt.Sprintf("w%d", o.session)}
	sshCmd := strings.Join([]string{
		"ssh", "-F", "/dev/null", "-t",
		"-i", keyPath, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "UserKnownHostsFile=" + filepath.Join(o.dir, "known_hosts"), "-o", "StrictHostKeyChecking=yes",
		"-o", "BatchMode=yes", "-p", o.port, name + "@127.0.0.1",
	}, " ")
	// Keep the window after ssh ends, to read its last words.
	script := sshCmd + "; echo SSH-EXIT=$?; sleep 600"
	args := []string{"-S", o.socket, "new-session", "-d", "-s", w.name, "-x", "120", "-y", "32", script}
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		o.t.Fatalf("tmux: %v: %s", err, out)
	}
	return w
}

func (w *window) screen() string {
	out, err := exec.Command("tmux", "-S", w.o.socket, "capture-pane", "-p", "-t", w.name).Output()
	if err != nil {
		return fmt.Sprintf("(capture failed: %v)", err)
	}
	return string(out)
}

func (w *window) waitScreen(want string) {
	w.o.t.Helper()
	deadline := time.Now().Add(waitFor)
	for !strings.Contains(w.screen(), want) {
		if time.Now().After(deadline) {
			w.o.t.Fatalf("timed out waiting for %q in %s; screen:\n%s", want, w.name, w.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keys sends tmux key names (Tab, Enter, Escape…).
func (w *window) keys(keys ...string) {
	w.o.t.Helper()
	args := append([]string{"-S", w.o.socket, "send-keys", "-t", w.name}, keys...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		w.o.t.Fatalf("send-keys: %v: %s", err, out)
	}
}

// text types literal text.
func (w *window) text(s string) {
	w.o.t.Helper()
	if out, err := exec.Command("tmux", "-S", w.o.socket, "send-keys", "-t", w.name, "-l", s).CombinedOutput(); err != nil {
		w.o.t.Fatalf("send-keys: %v: %s", err, out)
	}
}

// addUserWithKey creates an active user with a new key whose private half
// is written for the OpenSSH client; it returns the key file's path.
func (ts *testServer) addUserWithKey(t *testing.T, dir, name string, role roster.Role) string {
	t.Helper()
	u, err := ts.db.CreateUser(local, roster.NewUser{Username: name, Name: strings.ToUpper(name[:1]) + name[1:],
		Email: name + "@example.com", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.db.SetStatus(local, []uint64{u.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, name+"@e2e")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "id_"+name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	pub, err := gossh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.db.AddKey(local, u.ID, string(gossh.MarshalAuthorizedKey(pub))); err != nil {
		t.Fatal(err)
	}
	return path
}

// Ensure, with OpenSSH's own client in a real terminal (tmux): an owner
// signs in, adds a user through the form, and the change is recorded
// under the owner's name; a member signs in and sees only My account.
func TestOpenSSHEndToEnd(t *testing.T) {
	ts := startRealServer(t, Config{})
	o := newOpenSSH(t, ts)
	owner := ts.addUserWithKey(t, o.dir, "olga", roster.RoleOwner)
	member := ts.addUserWithKey(t, o.dir, "mia", roster.RoleMember)

	w := o.connect("olga", owner)
	w.waitScreen("2 shown")
	w.keys("n")
	w.waitScreen("Add new user")
	// huh moves the focus in a command: wait for it before typing on, as
	// a person watching the screen does.
	w.waitScreen("┃ Username")
	w.text("grace")
	w.keys("Tab")
	w.waitScreen("┃ Name")
	w.text("Grace Hopper")
	w.keys("Tab", "Tab", "Tab") // past first and last name
	w.waitScreen("┃ E-mail")
	w.text("grace@example.com")
	w.waitScreen("> grace@example.com")
	// Role stays member; past the groups to Submit, whose first choice is Save.
	w.keys("Tab")
	w.waitScreen("┃ Role")
	w.keys("Tab")
	w.waitScreen("┃ Groups")
	w.keys("Tab")
	w.waitScreen("┃ Disable on") // left empty: never
	w.keys("Tab")
	w.waitScreen("┃ Submit")
	w.keys("Enter")
	w.waitScreen("User grace added")
	w.waitScreen("Grace Hopper")

	u, err := ts.db.FindUser(local, "grace")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Grace Hopper" || u.Email != "grace@example.com" || u.Role != roster.RoleMember || u.Status != roster.StatusPending {
		t.Errorf("created %+v", u)
	}
	evs, err := ts.db.AuditEvents(local, store.AuditFilter{UserID: u.ID, Limit: 1})
	if err != nil || len(evs) != 1 || evs[0].Action != roster.ActionUserCreate || evs[0].Actor != "olga" {
		t.Errorf("creation event %+v %v", evs, err)
	}

	w.keys("q")
	w.waitScreen("SSH-EXIT=0")

	m := o.connect("mia", member)
	m.waitScreen("My account")
	m.waitScreen("mia@example.com")
	m.waitScreen("SSH keys")
	for _, other := range []string{"olga", "Grace", "Add new user"} {
		if strings.Contains(m.screen(), other) {
			t.Errorf("the member sees %q:\n%s", other, m.screen())
		}
	}
	m.keys("q")
	m.waitScreen("SSH-EXIT=0")
}

// Ensure, with the real app, that a user added through one session's form
// and one added by another process both show in every other session
// without a key press.
func TestAppSessionsSeeEachOthersChanges(t *testing.T) {
	ts := startRealServer(t, Config{})
	_, ownerKey := ts.addUser("olga", roster.RoleOwner, roster.StatusActive)
	_, adminKey := ts.addUser("adam", roster.RoleAdmin, roster.StatusActive)
	a := ts.openTerm("olga", ownerKey, 120, 32)
	b := ts.openTerm("adam", adminKey, 120, 32)
	a.waitScreen("2 shown")
	b.waitScreen("2 shown")

	a.press("n")
	a.waitScreen("┃ Username")
	a.press("grace")
	a.press("\t")
	a.waitScreen("┃ Name")
	a.press("Grace Hopper")
	a.press("\t\t\t") // past first and last name
	a.waitScreen("┃ E-mail")
	a.press("grace@example.com")
	a.waitScreen("> grace@example.com")
	a.press("\t")
	a.waitScreen("┃ Role")
	a.press("\t")
	a.waitScreen("┃ Groups")
	a.press("\t")
	a.waitScreen("┃ Disable on") // left empty: never
	a.press("\t")
	a.waitScreen("┃ Submit")
	a.press("\r")
	a.waitScreen("User grace added")
	b.waitScreen("Grace Hopper")

	other, err := store.Open(ts.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.CreateUser(roster.LocalActor("cli"), roster.NewUser{Username: "zelda", Name: "Zelda Zed", Email: "zelda@example.com"}); err != nil {
		t.Fatal(err)
	}
	a.waitScreen("Zelda Zed")
	b.waitScreen("Zelda Zed")
	b.waitScreen("4 shown")
}

// Ensure each session gets the colour profile of its own terminal: 256
// colours for xterm-256color, 16 for xterm, none for NO_COLOR.
func TestColourProfilePerSession(t *testing.T) {
	ts := startRealServer(t, Config{})
	_, signer := ts.addUser("olga", roster.RoleOwner, roster.StatusActive)
	open := func(termName string, env map[string]string) *term {
		c, err := ts.dial("olga", signer)
		if err != nil {
			t.Fatal(err)
		}
		return openTermOnEnv(t, c, termName, env, 100, 30)
	}
	full := open("xterm-256color", nil)
	basic := open("xterm", nil)
	plain := open("xterm-256color", map[string]string{"NO_COLOR": "1"})
	for _, tm := range []*term{full, basic, plain} {
		tm.waitScreen("1 shown")
	}
	fg16 := regexp.MustCompile(`\x1b\[(?:[0-9]+;)*(?:3[0-7]|9[0-7])(?:;[0-9]+)*m`)
	if out := full.output(); !strings.Contains(out, "38;5;") {
		t.Error("xterm-256color: no 256-colour sequence")
	}
	if out := basic.output(); strings.Contains(out, "38;5;") || strings.Contains(out, "38;2;") || !fg16.MatchString(out) {
		t.Error("xterm: want 16 colours, and only those")
	}
	if out := plain.output(); strings.Contains(out, "38;5;") || strings.Contains(out, "38;2;") || fg16.MatchString(out) {
		t.Error("NO_COLOR: colours in the output")
	}
}
