package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roster-dev/roster/ldap"
	"github.com/roster-dev/roster/store"
)

// server is a directory server process on loopback.
type server struct {
	addr  string
	cmd   *exec.Cmd
	stdin io.Closer // Roster's: closing it ends the child cleanly
}

func (s *server) stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	if s.stdin != nil {
		s.stdin.Close()
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
			return
		case <-time.After(5 * time.Second):
		}
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

// cpu returns the CPU time the server process has used so far.
func (s *server) cpu() (time.Duration, error) { return procCPU(s.cmd.Process.Pid) }

// procCPU returns the CPU time (user and system) process pid has used so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces): state is 3,
	// utime 14, stime 15, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// memory returns the server process's resident memory, all of it and
// its anonymous part (without the file pages it maps: slapd's mdb file).
func (s *server) memory() (rss, anon int64, err error) {
	m, err := procMemory(s.cmd.Process.Pid)
	return m["VmRSS"], m["RssAnon"], err
}

// procMemory returns the sizes in bytes of /proc/PID/status (VmRSS,
// VmHWM: the peak resident size, RssAnon…).
func procMemory(pid int) (map[string]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(line, ":")
		v, kB := strings.CutSuffix(strings.TrimSpace(v), " kB")
		if !ok || !kB {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			m[name] = n << 10
		}
	}
	return m, nil
}

// startRoster starts this program again as Roster's directory server.
func startRoster(dbPath string) (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=ldap", "ROSTER_BENCHPEERS_DB="+dbPath)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("roster directory did not start: %w", err)
	}
	return &server{addr: strings.TrimSpace(line), cmd: cmd, stdin: in}, nil
}

// runChild is the child process: Roster's directory on a loopback port
// (printed on stdout) until stdin closes.
func runChild(kind string) int {
	if kind != "ldap" {
		fmt.Fprintln(os.Stderr, "unknown child", kind)
		return 2
	}
	db, err := store.Open(os.Getenv("ROSTER_BENCHPEERS_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// As `roster serve` does: keep the file open while no other roster
	// process uses it (store/owner.go).
	if owns, err := db.Own(); err == nil && owns {
		defer db.Disown()
	}
	s, err := ldap.New(db, ldap.Config{BaseDN: baseDN})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if path := os.Getenv("ROSTER_BENCHPEERS_CPUPROFILE"); path != "" {
		// For looking into the server: a CPU profile of the whole run.
		if f, err := os.Create(path); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	go func() { _ = s.Serve(l) }()
	fmt.Println(l.Addr().String())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // EOF when the parent goes
	s.Close()
	return 0
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, nil
}

// selfCPU returns the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
