package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	"github.com/roster-dev/roster/ldap"
	"github.com/roster-dev/roster/password"
	"github.com/roster-dev/roster/store"
)

const (
	baseDN   = "dc=example,dc=com"
	peopleDN = "ou=people," + baseDN
	svcDN    = "uid=benchsvc," + peopleDN
	svcPW    = "bench-service-pass"
	userDN   = "uid=benchuser," + peopleDN
	userPW   = "bench-user-password"
	clients  = 8 // bound connections of the load generator
)

var local = roster.LocalActor("benchpeers")

// childEnv makes this program the Roster directory server of the
// benchmark (a process of its own, so that its CPU time is its own).
const childEnv = "ROSTER_BENCHPEERS_CHILD"

// ldapFixture is a Roster database and the two servers holding it.
type ldapFixture struct {
	dir    string
	db     *store.DB
	uids   []string // Active users
	roster *server
	slapd  *server
}

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
func (s *server) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
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
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	kb := func(v string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		return n << 10
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = kb(v)
		}
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			anon = kb(v)
		}
	}
	return rss, anon, nil
}

// memoryRow: each server's resident memory after the searches and walks.
func (f *ldapFixture) memoryRow() (row, error) {
	r, ra, err := f.roster.memory()
	if err != nil {
		return row{}, err
	}
	s, sa, err := f.slapd.memory()
	if err != nil {
		return row{}, err
	}
	return row{workload: "directory server resident memory, after the searches and walks",
		roster: fmt.Sprintf("%d MB (%d MB anonymous)", r>>20, ra>>20), anchor: fmt.Sprintf("slapd %d MB (%d MB anonymous)", s>>20, sa>>20),
		ratio: float64(r) / float64(s), note: "of all resident memory; lower is better"}, nil
}

func newLDAPFixture(dir string, n int) (*ldapFixture, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f := &ldapFixture{dir: dir}
	db, err := store.Open(filepath.Join(dir, "roster.db"))
	if err != nil {
		return nil, err
	}
	f.db = db
	plan := demo.Make(n, 16, 1)
	if err := db.LoadDemo(local, plan, nil); err != nil {
		return nil, err
	}
	for i, u := range plan.Users {
		if plan.Statuses[i] == roster.StatusActive {
			f.uids = append(f.uids, u.Username)
		}
	}
	users, err := db.CreateUsers(local, []roster.NewUser{
		{Username: "benchsvc", Name: "Bench Service", Email: "benchsvc@example.com", Groups: []string{roster.DirectoryReaders}},
		{Username: "benchuser", Name: "Bench User", Email: "benchuser@example.com"},
	})
	if err != nil {
		return nil, err
	}
	// Both with the default argon2id parameters, as a real account has.
	for i, pw := range []string{svcPW, userPW} {
		h, err := password.Approve(pw, users[i].Username, users[i].Email, nil)
		if err != nil {
			return nil, err
		}
		if err := db.SetPassword(local, users[i].ID, h); err != nil {
			return nil, err
		}
	}
	if _, err := db.SetStatus(local, []uint64{users[0].ID, users[1].ID}, roster.StatusActive); err != nil {
		return nil, err
	}
	if f.roster, err = startRoster(db.Path()); err != nil {
		return nil, err
	}
	if f.slapd, err = f.startSlapd(); err != nil {
		f.roster.stop()
		return nil, err
	}
	return f, nil
}

func (f *ldapFixture) close() {
	f.roster.stop()
	f.slapd.stop()
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

// startSlapd writes Roster's entries as LDIF, loads them with slapadd and
// starts slapd on a loopback port.
func (f *ldapFixture) startSlapd() (*server, error) {
	slapd, slapadd := "/usr/sbin/slapd", "/usr/sbin/slapadd"
	for _, p := range []string{slapd, slapadd} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s is missing: install the Debian package slapd", p)
		}
	}
	dir := filepath.Join(f.dir, "slapd")
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		return nil, err
	}
	src := testdata()
	for _, name := range []string{"slapd.conf", "openssh-lpk.schema"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.ReplaceAll(string(b), "@DIR@", dir)), 0o600); err != nil {
			return nil, err
		}
	}
	ldif := filepath.Join(dir, "data.ldif")
	if err := f.writeLDIF(ldif); err != nil {
		return nil, fmt.Errorf("LDIF from Roster: %w", err)
	}
	conf := filepath.Join(dir, "slapd.conf")
	if out, err := exec.Command(slapadd, "-q", "-f", conf, "-l", ldif).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("slapadd: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	cmd := exec.Command(slapd, "-d", "0", "-f", conf, "-h", "ldap://"+addr)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{addr: addr, cmd: cmd}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("slapd does not listen")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testdata finds internal/benchpeers/testdata from the working folder
// (the repository root under `make`, or this folder).
func testdata() string {
	for _, p := range []string{"internal/benchpeers/testdata", "testdata"} {
		if _, err := os.Stat(filepath.Join(p, "slapd.conf")); err == nil {
			return p
		}
	}
	return "internal/benchpeers/testdata"
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

// writeLDIF reads every entry of Roster's directory as the service
// account (paged) and writes it for slapadd: user attributes and memberOf
// (which slapd's memberof overlay would keep), without what slapd's
// schema lacks (mailAccount) or what a group cannot hold beside
// groupOfNames there (posixGroup, memberUid, gidNumber: nis.schema makes
// posixGroup structural). The service account gets its password in clear,
// which slapd checks as given.
func (f *ldapFixture) writeLDIF(path string) error {
	c, err := goldap.DialURL("ldap://" + f.roster.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Bind(svcDN, svcPW); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	skipClass := []string{"mailAccount", "groupOfUniqueNames", "posixGroup"}
	skipGroupAttr := []string{"uniquemember", "memberuid", "gidnumber", "displayname"}
	err = pagedWalk(c, goldap.NewSearchRequest(baseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"*", "memberOf"}, nil), func(e *goldap.Entry) {
		isGroup := strings.HasSuffix(strings.ToLower(e.DN), ",ou=groups,"+baseDN)
		fmt.Fprintf(w, "dn:: %s\n", base64.StdEncoding.EncodeToString([]byte(e.DN)))
		for _, a := range e.Attributes {
			name := strings.ToLower(a.Name)
			if isGroup && slices.Contains(skipGroupAttr, name) {
				continue
			}
			for _, v := range a.Values {
				if name == "objectclass" && slices.Contains(skipClass, v) {
					continue
				}
				fmt.Fprintf(w, "%s:: %s\n", a.Name, base64.StdEncoding.EncodeToString([]byte(v)))
			}
		}
		if e.DN == svcDN {
			fmt.Fprintf(w, "userPassword: %s\n", svcPW)
		}
		w.WriteString("\n")
	})
	if err != nil {
		out.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// pagedWalk runs a search 1,000 entries a page and hands each entry to fn
// as its page comes, keeping no more than a page (a million entries held
// at once by the client take gigabytes).
func pagedWalk(c *goldap.Conn, req *goldap.SearchRequest, fn func(*goldap.Entry)) error {
	paging := goldap.NewControlPaging(1000)
	req.Controls = append(req.Controls, paging)
	for {
		res, err := c.Search(req)
		if err != nil {
			return err
		}
		for _, e := range res.Entries {
			fn(e)
		}
		next, ok := goldap.FindControl(res.Controls, goldap.ControlTypePaging).(*goldap.ControlPaging)
		if !ok || len(next.Cookie) == 0 {
			return nil
		}
		paging.SetCookie(next.Cookie)
	}
}

// searchLoad runs uid searches from 8 bound connections for d and returns
// how many were answered; each must find its one entry.
func searchLoad(addr string, uids []string, d time.Duration) (int, time.Duration, error) {
	var n atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	conns := make([]*goldap.Conn, clients)
	for i := range conns {
		c, err := goldap.DialURL("ldap://" + addr)
		if err != nil {
			return 0, 0, err
		}
		defer c.Close()
		if err := c.Bind(svcDN, svcPW); err != nil {
			return 0, 0, err
		}
		conns[i] = c
	}
	start := time.Now()
	deadline := start.Add(d)
	for _, c := range conns {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(rand.Uint64(), 1))
			for time.Now().Before(deadline) {
				uid := uids[r.IntN(len(uids))]
				res, err := c.Search(goldap.NewSearchRequest(peopleDN, goldap.ScopeWholeSubtree, 0, 0, 0, false,
					"(&(objectClass=person)(uid="+goldap.EscapeFilter(uid)+"))", []string{"uid", "mail", "cn", "memberOf"}, nil))
				if err != nil {
					errs <- err
					return
				}
				if len(res.Entries) != 1 {
					errs <- fmt.Errorf("uid=%s: %d entries", uid, len(res.Entries))
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	select {
	case err := <-errs:
		return 0, 0, err
	default:
	}
	return int(n.Load()), took, nil
}

// searchRows: uid searches per second, and the server's CPU per search.
func (f *ldapFixture) searchRows(o options) ([]row, error) {
	cpus := map[*server][]float64{}
	measure := func(s *server) func() (float64, error) {
		return func() (float64, error) {
			c0, err := s.cpu()
			if err != nil {
				return 0, err
			}
			n, took, err := searchLoad(s.addr, f.uids, o.seconds)
			if err != nil {
				return 0, err
			}
			c1, _ := s.cpu()
			cpus[s] = append(cpus[s], float64(c1-c0)/float64(time.Microsecond)/float64(n))
			return rate(n, took), nil
		}
	}
	fmt.Fprintln(os.Stderr, "uid searches: Roster and slapd, alternately…")
	r, s, ratio, err := pairs(o.rounds, measure(f.roster), measure(f.slapd))
	if err != nil {
		return nil, err
	}
	var cpuRatios []float64
	for i := range cpus[f.roster] {
		cpuRatios = append(cpuRatios, cpus[f.roster][i]/cpus[f.slapd][i])
	}
	rc, sc := median(cpus[f.roster]), median(cpus[f.slapd])
	return []row{
		{workload: fmt.Sprintf("LDAP uid search, %s users, %d connections", comma(float64(o.users)), clients),
			roster: comma(r) + "/s", anchor: "slapd (mdb, indexed) " + comma(s) + "/s", ratio: ratio},
		{workload: "server CPU per search", roster: fmt.Sprintf("%.0f µs", rc), anchor: fmt.Sprintf("slapd %.0f µs", sc),
			ratio: median(cpuRatios), note: "lower is better"},
	}, nil
}

// walkRow: a paged subtree search of every user, 1,000 a page, the way an
// app synchronises its user list; seconds per walk.
func (f *ldapFixture) walkRow(o options) (row, error) {
	walk := func(s *server) func() (float64, error) {
		return func() (float64, error) {
			c, err := goldap.DialURL("ldap://" + s.addr)
			if err != nil {
				return 0, err
			}
			defer c.Close()
			if err := c.Bind(svcDN, svcPW); err != nil {
				return 0, err
			}
			start := time.Now()
			n := 0
			err = pagedWalk(c, goldap.NewSearchRequest(peopleDN, goldap.ScopeWholeSubtree, 0, 0, 0, false,
				"(objectClass=person)", []string{"uid", "mail", "cn"}, nil), func(*goldap.Entry) { n++ })
			if err != nil {
				return 0, err
			}
			if n < len(f.uids) {
				return 0, fmt.Errorf("paged walk: %d entries, want at least %d", n, len(f.uids))
			}
			return time.Since(start).Seconds(), nil
		}
	}
	fmt.Fprintln(os.Stderr, "paged walks: Roster and slapd, alternately…")
	r, s, ratio, err := pairs(o.rounds, walk(f.roster), walk(f.slapd))
	if err != nil {
		return row{}, err
	}
	return row{workload: "paged walk of all people (1,000 a page)", roster: fmt.Sprintf("%.2f s", r),
		anchor: fmt.Sprintf("slapd %.2f s", s), ratio: ratio, note: "time: lower is better"}, nil
}

// bindRow: Roster's binds per second against argon2id verifications per
// second on every core, the same parameters (what binds can reach at most).
//
// On a machine other processes load, the two runs get different shares of
// the cores, so the row also gives CPU time: the server's per bind against
// this process's per verification (its only work during that run).
func (f *ldapFixture) bindRows(o options) ([]row, error) {
	var bindCPU, argonCPU []float64 // µs per operation, per round
	binds := func() (float64, error) {
		c0, err := f.roster.cpu()
		if err != nil {
			return 0, err
		}
		var n atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		deadline := time.Now().Add(o.seconds)
		start := time.Now()
		for range clients {
			wg.Go(func() {
				c, err := goldap.DialURL("ldap://" + f.roster.addr)
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				for time.Now().Before(deadline) {
					if err := c.Bind(userDN, userPW); err != nil {
						errs <- err
						return
					}
					n.Add(1)
				}
			})
		}
		wg.Wait()
		select {
		case err := <-errs:
			return 0, err
		default:
		}
		c1, _ := f.roster.cpu()
		bindCPU = append(bindCPU, float64(c1-c0)/float64(time.Microsecond)/float64(max(n.Load(), 1)))
		return rate(int(n.Load()), time.Since(start)), nil
	}
	hash, err := password.Hash(userPW)
	if err != nil {
		return nil, err
	}
	argon := func() (float64, error) {
		c0 := selfCPU()
		var n atomic.Int64
		var wg sync.WaitGroup
		deadline := time.Now().Add(o.seconds)
		start := time.Now()
		for range runtime.NumCPU() {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					if ok, err := password.Verify(hash, userPW); err == nil && ok {
						n.Add(1)
					}
				}
			})
		}
		wg.Wait()
		argonCPU = append(argonCPU, float64(selfCPU()-c0)/float64(time.Microsecond)/float64(max(n.Load(), 1)))
		return rate(int(n.Load()), time.Since(start)), nil
	}
	fmt.Fprintln(os.Stderr, "binds and argon2id, alternately…")
	b, a, ratio, err := pairs(o.rounds, binds, argon)
	if err != nil {
		return nil, err
	}
	var cpuRatios []float64 // verifications per core-second ÷ binds per core-second
	for i := range bindCPU {
		cpuRatios = append(cpuRatios, argonCPU[i]/bindCPU[i])
	}
	return []row{
		{workload: fmt.Sprintf("LDAP binds/s vs argon2id verifications/s (%d cores)", runtime.NumCPU()),
			roster: fmt.Sprintf("%.1f/s", b), anchor: fmt.Sprintf("argon2id %.1f/s", a), ratio: ratio},
		{workload: "binds per core-second vs argon2id verifications per core-second",
			roster: fmt.Sprintf("%.1f ms CPU a bind", median(bindCPU)/1000), anchor: fmt.Sprintf("%.1f ms a verification", median(argonCPU)/1000),
			ratio: median(cpuRatios)},
	}, nil
}

// selfCPU returns the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
