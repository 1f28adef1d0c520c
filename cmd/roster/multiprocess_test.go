package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roster-dev/roster/store"
	bolt "go.etcd.io/bbolt"
)

// buildRoster builds the roster binary into dir and returns its path.
func buildRoster(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	bin := filepath.Join(dir, "roster")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// rosterProc runs the built binary to the end and returns its exit code and output.
func rosterProc(bin, db string, args ...string) (int, string, string) {
	cmd := exec.Command(bin, append([]string{"--db", db}, args...)...)
	cmd.Env = append(os.Environ(), "ROSTER_DB=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
		errOut.WriteString(err.Error())
	}
	return code, out.String(), errOut.String()
}

// holdLockEnv makes the test binary, re-executed, hold a database's lock:
// "PATH,DURATION". It exists so that the holder is another process, as it
// is in real use (lockHolder does not name its own process).
const holdLockEnv = "ROSTER_TEST_HOLD_LOCK"

// TestHelperHoldLock is not a test: re-executed with holdLockEnv set, it
// opens the database with bbolt, says "locked" and keeps the lock for the
// duration before letting go.
func TestHelperHoldLock(t *testing.T) {
	spec := os.Getenv(holdLockEnv)
	if spec == "" {
		t.Skip("helper process only")
	}
	path, dur, _ := strings.Cut(spec, ",")
	d, err := time.ParseDuration(dur)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 30 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Println("locked")
	time.Sleep(d) // the work of a slow writer, not synchronisation
	bdb.Close()
	fmt.Println("released")
	os.Exit(0)
}

// holdLock starts a helper process holding path's lock for d and returns
// once it holds it.
func holdLock(t *testing.T, path string, d time.Duration) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdLockEnv+"="+path+","+d.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("lock helper said %q, %v", line, err)
	}
	return cmd
}

// countUsers lists the users of db with the binary.
func countUsers(t *testing.T, bin, db string) int {
	t.Helper()
	code, out, errOut := rosterProc(bin, db, "users", "list", "--json")
	if code != 0 {
		t.Fatalf("users list: exit %d: %s", code, errOut)
	}
	var users []map[string]any
	if err := json.Unmarshal([]byte(out), &users); err != nil {
		t.Fatal(err)
	}
	return len(users)
}

// TestMultiprocess runs several roster processes against one file.
func TestMultiprocess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("naming the lock holder reads /proc/locks")
	}
	bin := buildRoster(t, t.TempDir())

	// Ensure two processes writing to one file at once both succeed, every
	// write lands, and the file stays consistent.
	t.Run("two writers", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "roster.db")
		if code, _, e := rosterProc(bin, db, "groups", "add", "staff"); code != 0 {
			t.Fatal(e)
		}
		const perWriter = 15
		var wg sync.WaitGroup
		errs := make(chan string, 2*perWriter)
		for w := range 2 {
			wg.Go(func() {
				for i := range perWriter {
					name := fmt.Sprintf("w%d-%d", w, i)
					code, _, e := rosterProc(bin, db, "users", "add", "--username", name, "--name", name,
						"--email", name+"@example.com", "--group", "staff")
					if code != 0 {
						errs <- fmt.Sprintf("%s: exit %d: %s", name, code, e)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		if n := countUsers(t, bin, db); n != 2*perWriter {
			t.Errorf("%d users, want %d", n, 2*perWriter)
		}
		if code, _, e := rosterProc(bin, db, "check"); code != 0 {
			t.Errorf("check: %s", e)
		}
	})

	// Ensure another process's change moves the counter a screen polls.
	t.Run("change counter across processes", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "roster.db")
		s, err := store.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		before, err := s.Changes()
		if err != nil {
			t.Fatal(err)
		}
		if code, _, e := rosterProc(bin, db, "groups", "add", "staff"); code != 0 {
			t.Fatal(e)
		}
		if after, err := s.Changes(); err != nil || after <= before {
			t.Errorf("counter %d → %d (%v) after another process wrote", before, after, err)
		}
	})

	// Ensure a process waits for a lock held briefly, then succeeds.
	t.Run("waits for a short hold", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "roster.db")
		if code, _, e := rosterProc(bin, db, "groups", "add", "staff"); code != 0 {
			t.Fatal(e)
		}
		holdLock(t, db, 300*time.Millisecond)
		code, _, e := rosterProc(bin, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
		if code != 0 {
			t.Fatalf("add while the lock was held briefly: exit %d: %s", code, e)
		}
	})

	// Ensure a process that cannot get the lock gives up after about a
	// second with a message naming the holder, and changes nothing.
	t.Run("names the holder", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "roster.db")
		if code, _, e := rosterProc(bin, db, "groups", "add", "staff"); code != 0 {
			t.Fatal(e)
		}
		holder := holdLock(t, db, 5*time.Minute)
		start := time.Now()
		code, _, e := rosterProc(bin, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
		waited := time.Since(start)
		if code != 1 {
			t.Fatalf("exit %d, want 1: %s", code, e)
		}
		pid := strconv.Itoa(holder.Process.Pid)
		for _, want := range []string{"busy", db, "process " + pid, filepath.Base(os.Args[0])} {
			if !strings.Contains(e, want) {
				t.Errorf("stderr %q lacks %q", e, want)
			}
		}
		if waited < 900*time.Millisecond {
			t.Errorf("gave up after %s, want about 1 s", waited)
		}
		// Readers are refused the same way while a writer holds the file.
		if code, _, e := rosterProc(bin, db, "users", "list"); code != 1 || !strings.Contains(e, "process "+pid) {
			t.Errorf("list while locked: exit %d: %s", code, e)
		}
		_ = holder.Process.Kill()
		_ = holder.Wait()
		if n := countUsers(t, bin, db); n != 0 {
			t.Errorf("the refused add left %d users", n)
		}
	})

	// Ensure a process killed with SIGKILL in the middle of a large write
	// leaves a file that passes the check and can be written again.
	t.Run("SIGKILL mid-write", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "roster.db")
		cmd := exec.Command(bin, "--db", db, "demo", "--users", "200000")
		cmd.Env = append(os.Environ(), "ROSTER_DB=")
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Wait until the first batches are in and more are being written.
		deadline := time.Now().Add(60 * time.Second)
		for {
			if fi, err := os.Stat(db); err == nil && fi.Size() > 20<<20 {
				break
			}
			select {
			case err := <-done:
				t.Fatalf("demo ended before it could be killed: %v: %s", err, errOut.String())
			case <-time.After(5 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatal("the demo wrote nothing for 60 s")
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := <-done
		if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("demo was not killed: %v", err)
		}
		code, out, e := rosterProc(bin, db, "check")
		if code != 0 {
			t.Fatalf("check after SIGKILL: exit %d\n%s%s", code, out, e)
		}
		n := countUsers(t, bin, db)
		if n >= 200000 {
			t.Errorf("all %d users are in: the kill came too late to test anything", n)
		}
		t.Logf("killed with %d users committed", n)
		if code, _, e := rosterProc(bin, db, "users", "add", "--username", "after", "--name", "After", "--email", "after@example.com"); code != 0 {
			t.Errorf("write after the kill: %s", e)
		}
		if code, _, e := rosterProc(bin, db, "check"); code != 0 {
			t.Errorf("check after a new write: %s", e)
		}
	})
}
