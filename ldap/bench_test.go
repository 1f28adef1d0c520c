package ldap

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	"github.com/roster-dev/roster/password"
	"github.com/roster-dev/roster/store"
)

// benchUsers is the size of the benchmarks' directory: 100,000 users, or
// ROSTER_BENCH_USERS (say 1000000).
var benchUsers = func() int {
	if n, err := strconv.Atoi(os.Getenv("ROSTER_BENCH_USERS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}()

var bench struct {
	once  sync.Once
	dir   string
	db    *store.DB
	uids  []string // Active users
	err   error
	svcPw string
}

// benchDB builds, once per run, a database of benchUsers demo users (about
// 70% Active), a service account "benchsvc" in directory-readers and a
// user "benchuser" whose password is hashed with the default argon2id
// parameters.
func benchDB(b *testing.B) (*store.DB, []string) {
	b.Helper()
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "roster-ldap-bench-")
		if bench.err != nil {
			return
		}
		db, err := store.Open(filepath.Join(bench.dir, "roster.db"))
		if err != nil {
			bench.err = err
			return
		}
		plan := demo.Make(benchUsers, 16, 1)
		if bench.err = db.LoadDemo(local, plan, nil); bench.err != nil {
			return
		}
		for i, u := range plan.Users {
			if plan.Statuses[i] == roster.StatusActive {
				bench.uids = append(bench.uids, u.Username)
			}
		}
		users, err := db.CreateUsers(local, []roster.NewUser{
			{Username: "benchsvc", Name: "Bench Service", Email: "benchsvc@example.com", Groups: []string{roster.DirectoryReaders}},
			{Username: "benchuser", Name: "Bench User", Email: "benchuser@example.com"},
		})
		if err != nil {
			bench.err = err
			return
		}
		bench.svcPw = "bench-service-pass"
		cheap := func(pw string) (string, error) { return password.HashWith(pw, cheapParams) }
		h, _ := password.Approve(bench.svcPw, users[0].Username, users[0].Email, cheap)
		if bench.err = db.SetPassword(local, users[0].ID, h); bench.err != nil {
			return
		}
		h, _ = password.Approve("bench-user-password", users[1].Username, users[1].Email, nil)
		if bench.err = db.SetPassword(local, users[1].ID, h); bench.err != nil {
			return
		}
		_, bench.err = db.SetStatus(local, []uint64{users[0].ID, users[1].ID}, roster.StatusActive)
		bench.db = db
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.db, bench.uids
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func benchServer(b *testing.B, cfg Config) (string, *Server) {
	db, _ := benchDB(b)
	cfg.BaseDN = testBase
	s, err := New(db, cfg)
	if err != nil {
		b.Fatal(err)
	}
	l, err := netListen()
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(l)
	b.Cleanup(func() { s.Close() })
	return l.Addr().String(), s
}

func benchConn(b *testing.B, addr, dn, pw string) *goldap.Conn {
	c, err := goldap.DialURL("ldap://" + addr)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Bind(dn, pw); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkSearchByUID: the search an app makes when someone signs in,
// (&(objectClass=person)(uid=NAME)), from 4 connections over loopback.
func BenchmarkSearchByUID(b *testing.B) {
	_, uids := benchDB(b)
	addr, _ := benchServer(b, Config{})
	b.SetParallelism(2) // 2 × GOMAXPROCS client connections
	var found atomic.Int64
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		c := benchConn(b, addr, "uid=benchsvc,ou=people,"+testBase, bench.svcPw)
		defer c.Close()
		r := rand.New(rand.NewPCG(rand.Uint64(), 1))
		for pb.Next() {
			uid := uids[r.IntN(len(uids))]
			res, err := c.Search(goldap.NewSearchRequest("ou=people,"+testBase, goldap.ScopeWholeSubtree, 0, 0, 0, false,
				"(&(objectClass=person)(uid="+goldap.EscapeFilter(uid)+"))", []string{"uid", "mail", "cn", "memberOf"}, nil))
			if err != nil {
				b.Error(err)
				return
			}
			found.Add(int64(len(res.Entries)))
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "searches/s")
	reportCPU(b, cpu0, "searches")
	if found.Load() != int64(b.N) {
		b.Errorf("found %d entries in %d searches", found.Load(), b.N)
	}
}

// BenchmarkSearchAllPaged: a subtree search of every user, 1,000 a page,
// the way an app synchronises its user list.
func BenchmarkSearchAllPaged(b *testing.B) {
	_, uids := benchDB(b)
	addr, _ := benchServer(b, Config{})
	c := benchConn(b, addr, "uid=benchsvc,ou=people,"+testBase, bench.svcPw)
	defer c.Close()
	b.ResetTimer()
	cpu0 := cpuTime()
	n := 0
	for range b.N {
		res, err := c.SearchWithPaging(goldap.NewSearchRequest("ou=people,"+testBase, goldap.ScopeWholeSubtree, 0, 0, 0, false,
			"(objectClass=person)", []string{"uid", "mail", "cn"}, nil), 1000)
		if err != nil {
			b.Fatal(err)
		}
		n += len(res.Entries)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/walk")
	reportCPU(b, cpu0, "walks")
	if want := (len(uids) + 2) * b.N; n != want {
		b.Errorf("got %d entries, want %d", n, want)
	}
}

// BenchmarkBind: simple binds of a user whose hash has the default
// argon2id parameters, from 4 × GOMAXPROCS connections. The semaphore
// holds the checks at once to MaxConcurrentChecks (the CPU count), so the
// memory the checks hold is at most that × MiB/check; the peak heap growth
// also counts finished checks' buffers the garbage collector has not
// reclaimed yet.
func BenchmarkBind(b *testing.B) {
	benchDB(b)
	addr, srv := benchServer(b, Config{})
	var base runtime.MemStats
	var most atomic.Int64
	runtime.GC()
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if n := int64(len(srv.checks)); n > most.Load() {
				most.Store(n)
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	b.SetParallelism(4)
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		c, err := goldap.DialURL("ldap://" + addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		for pb.Next() {
			if err := c.Bind("uid=benchuser,ou=people,"+testBase, "bench-user-password"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	close(stop)
	sampler.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "binds/s")
	reportCPU(b, cpu0, "binds")
	b.ReportMetric(float64(password.DefaultParams.Memory)/1024, "MiB/check")
	b.ReportMetric(float64(most.Load()), "max-checks-at-once")
	if p := peak.Load(); p > base.HeapInuse {
		b.ReportMetric(float64(p-base.HeapInuse)/(1<<20), "MiB-peak-heap-growth")
	}
}

// BenchmarkSnapshotLoad: reloading the in-memory directory of 100,000
// users after a change.
func BenchmarkSnapshotLoad(b *testing.B) {
	db, _ := benchDB(b)
	base, _ := ParseDN(testBase)
	b.ResetTimer()
	for range b.N {
		if _, err := loadDirectory(db, base, false, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshotUpdate: the next snapshot after one user's name
// changed (the change itself is not timed): the records are walked and
// fingerprinted, the one changed is decoded and its entry replaced.
func BenchmarkSnapshotUpdate(b *testing.B) {
	db, uids := benchDB(b)
	base, _ := ParseDN(testBase)
	d, err := loadDirectory(db, base, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	u, err := db.FindUser(local, uids[0])
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		name := fmt.Sprintf("Renamed %d", i)
		if _, err := db.UpdateUser(local, u.ID, roster.UserUpdate{Name: &name}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if d, err = loadDirectory(db, base, false, d); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if got := d.user(u.ID).u.Name; got != fmt.Sprintf("Renamed %d", b.N-1) {
		b.Fatalf("name after the updates: %q", got)
	}
}

// BenchmarkFilterScan: a filter no index helps with, over every user, in
// memory (no network).
func BenchmarkFilterScan(b *testing.B) {
	db, _ := benchDB(b)
	base, _ := ParseDN(testBase)
	d, err := loadDirectory(db, base, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	f, _ := parseFilter("(&(objectClass=person)(|(cn=*lovelace*)(mail=*@example.org)))")
	b.ResetTimer()
	for range b.N {
		n := 0
		_ = d.run(query{base: d.base, scope: scopeSub, filter: f, reader: true}, func(entry) bool { n++; return true })
	}
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// cpuTime returns the CPU time this process has used (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation (server and client
// together, since both run in this process), which does not depend on how
// busy the machine is, and what that makes per second on one core.
func reportCPU(b *testing.B, start time.Duration, unit string) {
	per := float64(cpuTime()-start) / float64(b.N)
	b.ReportMetric(per/1e3, "cpu-µs/op")
	b.ReportMetric(1e9/per, unit+"/core-s")
}
