package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster/password"
)

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
			roster: comma(r) + "/s", anchor: "slapd (mdb, indexed) " + comma(s) + "/s", ratio: ratio, target: "≥ 1.0"},
		{workload: "server CPU per search", roster: fmt.Sprintf("%.0f µs", rc), anchor: fmt.Sprintf("slapd %.0f µs", sc),
			ratio: median(cpuRatios), note: "lower is better", target: "≤ 1.0"},
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
		ratio: float64(r) / float64(s), note: "of all resident memory; lower is better", target: "≤ 1.0 at 1M"}, nil
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
			roster: fmt.Sprintf("%.1f/s", b), anchor: fmt.Sprintf("argon2id %.1f/s", a), ratio: ratio, target: "≥ 0.9"},
		{workload: "binds per core-second vs argon2id verifications per core-second",
			roster: fmt.Sprintf("%.1f ms CPU a bind", median(bindCPU)/1000), anchor: fmt.Sprintf("%.1f ms a verification", median(argonCPU)/1000),
			ratio: median(cpuRatios), target: "≥ 0.9"},
	}, nil
}
