package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster/internal/e2e"
)

// serveProc is a `roster serve` process of the built binary.
type serveProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
}

// startServe starts `roster serve` on db with the directory on a free
// loopback port and the site off, and returns once the directory listens.
func startServe(t *testing.T, bin, db string) (*serveProc, string) {
	t.Helper()
	cmd := exec.Command(bin, "--db", db, "serve", "--http", "", "--ldap", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "ROSTER_DB=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	listening := regexp.MustCompile(`directory listening.* addr=(\S+)`)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	select {
	case a := <-addr:
		return p, a
	case <-p.done:
		t.Fatalf("serve ended before listening:\n%s", p.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve is not listening after 30 s:\n%s", p.log())
	}
	return nil, ""
}

func (p *serveProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

func (p *serveProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends serve as an administrator would (SIGTERM) and waits.
func (p *serveProc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop:\n%s", p.log())
	}
}

// holdsWriteLock reports whether process pid holds the exclusive flock of
// path (/proc/locks): an owner keeping the file open between operations.
func holdsWriteLock(t *testing.T, pid int, path string) bool {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	ino := ":" + strconv.FormatUint(fi.Sys().(*syscall.Stat_t).Ino, 10)
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(locks), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[1] == "FLOCK" && f[3] == "WRITE" && f[4] == strconv.Itoa(pid) && strings.HasSuffix(f[5], ino) {
			return true
		}
	}
	return false
}

// waitCondition polls cond until it holds, for up to 30 s.
func waitCondition(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}
}

// TestServeOwnsTheFile runs the CLI and two terminal apps beside `roster
// serve`, which keeps the database file open while it is alone
// (store/owner.go): serve started under running apps, stopped under them,
// and killed (SIGKILL) while it writes; the others carry on with the file,
// nothing acknowledged is lost, and the file checks clean.
func TestServeOwnsTheFile(t *testing.T) {
	e2e.Need(t, "Debian package tmux", "tmux")
	dir := t.TempDir()
	bin := buildRoster(t, dir)
	db := filepath.Join(dir, "roster.db")
	if code, _, stderr := rosterProc(bin, db, "demo", "--users", "20"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	code, pw, stderr := rosterProc(bin, db, "users", "add", "--service", "reader")
	if code != 0 {
		t.Fatalf("service account: %s", stderr)
	}
	pw = strings.TrimSpace(pw)
	users := 21
	add := func(name string) {
		t.Helper()
		if code, _, stderr := rosterProc(bin, db, "users", "add", "--username", name, "--name", name, "--email", name+"@example.com"); code != 0 {
			t.Fatalf("users add %s beside serve: exit %d: %s", name, code, stderr)
		}
		users++
	}
	// Alone, serve keeps the file: the CLI's commands still go through.
	serve, _ := startServe(t, bin, db)
	waitCondition(t, "serve keeps the file open", func() bool { return holdsWriteLock(t, serve.cmd.Process.Pid, db) })
	add("alone1")
	add("alone2")
	serve.stop(t)
	if _, err := os.Stat(db + ".sock"); !os.IsNotExist(err) {
		t.Fatalf("serve left its socket behind: %v", err)
	}

	// Two terminal apps, then serve started under them.
	env := []string{"env", "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "ROSTER_DB="}
	apps := []*tmuxSession{
		newTmux(t, 120, 35, append(env, bin, "--db", db, "--base-url", "http://"+freeAddr(t))...),
		newTmux(t, 120, 35, append(env, bin, "--db", db, "--base-url", "http://"+freeAddr(t))...),
	}
	seeAll := func() {
		t.Helper()
		for _, app := range apps {
			app.waitFor(fmt.Sprintf("%d users", users))
		}
	}
	seeAll()
	serve, ldapAddr := startServe(t, bin, db)
	add("under1")
	seeAll()
	serve.stop(t)
	add("after1")
	seeAll()

	// Killed while it writes: every LDAP bind records a sign-in.
	serve, ldapAddr = startServe(t, bin, db)
	binds := make(chan error, 1)
	stopBinds := make(chan struct{})
	var bound atomic.Int64
	go func() {
		for {
			select {
			case <-stopBinds:
				binds <- nil
				return
			default:
			}
			c, err := goldap.DialURL("ldap://" + ldapAddr)
			if err != nil {
				if bound.Load() == 0 {
					binds <- err
				} else {
					binds <- nil // serve is gone
				}
				return
			}
			if err := c.Bind("uid=reader,ou=people,dc=example,dc=com", pw); err == nil {
				bound.Add(1)
			}
			c.Close()
		}
	}()
	waitCondition(t, "serve records sign-ins", func() bool { return bound.Load() >= 2 })
	add("during1")
	add("during2")
	serve.kill()
	close(stopBinds)
	if err := <-binds; err != nil {
		t.Fatalf("binds before the kill: %v", err)
	}
	add("killed1")
	seeAll()
	if code, out, stderr := rosterProc(bin, db, "check"); code != 0 {
		t.Fatalf("check after kill -9: exit %d\n%s%s", code, out, stderr)
	}
	for _, app := range apps {
		app.keys("q")
	}
	if got := countUsers(t, bin, db); got != users {
		t.Fatalf("%d users; want %d: an acknowledged write was lost", got, users)
	}
}
