// Command benchpeers measures Roster beside real programs doing the same
// work on this machine, and prints each ratio (issue 20's table):
//
//   - LDAP uid searches: Roster's directory and OpenLDAP's slapd (Debian,
//     mdb, indexed) holding the same entries, the same Go load generator
//     with 8 bound connections; searches per second and the server's CPU
//     per search (from /proc, the server alone);
//   - LDAP binds per second against what argon2id allows on this machine
//     (verifications per second on every core, the same parameters);
//   - invitations sent to Postfix's smtp-sink against Postfix's
//     smtp-source into the same smtp-sink, 4 connections each;
//   - the set-password page against a Go net/http hello server, 20
//     concurrent clients;
//   - `roster check` against `bbolt check` (the bbolt command of the
//     version go.mod requires) and `roster backup FILE` against cp and
//     sync of the same file: wall clock and CPU of the child processes;
//   - the terminal app, with no peer: `roster --db FILE` started in a
//     detached tmux session (200×50), the time from its start until the
//     list's first row in name order is on screen, its peak resident
//     memory (VmHWM), and the first filter keystroke until the filtered
//     list is on screen, beside issue 20's targets.
//
// Each pair runs alternately (A, B, A, B…), rounds times, and the table
// gives the medians and the median of the rounds' ratios. Everything runs
// on loopback in a temporary folder; nothing of the machine's own
// services is touched. `make bench-peers` runs it; it is not part of
// `make test`.
//
//	go run ./internal/benchpeers -users 100000 -seconds 5 -rounds 3
//	go run ./internal/benchpeers -only check,tui -db /path/to/1m/roster.db
package main

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type options struct {
	users   int
	seconds time.Duration
	rounds  int
	only    string
	keep    bool
	db      string // a database for the check, backup and app rows (copied)
	filter  string // typed into the app's filter
}

func main() {
	if child := os.Getenv(childEnv); child != "" {
		os.Exit(runChild(child))
	}
	var o options
	var secs float64
	flag.IntVar(&o.users, "users", 100_000, "users in both directories")
	flag.Float64Var(&secs, "seconds", 5, "length of each measured run")
	flag.IntVar(&o.rounds, "rounds", 3, "alternated rounds per pair (the table gives medians)")
	flag.StringVar(&o.only, "only", "ldap,binds,mail,web,check,tui", "which rows: ldap, binds, mail, web, check (check and backup), tui (the terminal app)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder")
	flag.StringVar(&o.db, "db", "", "for the check and tui rows: a copy of this database instead of `roster demo --users N` (the file is only read; no process may be writing it)")
	flag.StringVar(&o.filter, "filter", "q", "what the tui row types into the list's filter (one letter: the first keystroke)")
	flag.Parse()
	o.seconds = time.Duration(secs * float64(time.Second))
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "benchpeers:", err)
		os.Exit(1)
	}
}

// row is one line of the table.
type row struct {
	workload, roster, anchor string
	ratio                    float64
	noRatio                  bool // no peer to divide by
	note                     string
	target                   string // issue 20's, on this machine
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "roster-benchpeers-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "folder:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	loadAtStart := loadAverage()
	want := func(name string) bool { return slices.Contains(strings.Split(o.only, ","), name) }
	var rows []row
	if want("ldap") || want("binds") {
		fmt.Fprintf(os.Stderr, "building a directory of %d users…\n", o.users)
		f, err := newLDAPFixture(filepath.Join(dir, "ldap"), o.users)
		if err != nil {
			return err
		}
		defer f.close()
		if want("ldap") {
			r, err := f.searchRows(o)
			if err != nil {
				return err
			}
			rows = append(rows, r...)
			w, err := f.walkRow(o)
			if err != nil {
				return err
			}
			rows = append(rows, w)
			m, err := f.memoryRow()
			if err != nil {
				return err
			}
			rows = append(rows, m)
		}
		if want("binds") {
			r, err := f.bindRows(o)
			if err != nil {
				return err
			}
			rows = append(rows, r...)
		}
	}
	if want("mail") {
		r, err := mailRow(filepath.Join(dir, "mail"), o)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if want("web") {
		r, err := webRow(filepath.Join(dir, "web"), o)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if want("check") || want("tui") {
		a, err := newRosterApp(filepath.Join(dir, "app"), o)
		if err != nil {
			return err
		}
		if want("tui") {
			r, err := a.tuiRows(o)
			if err != nil {
				return err
			}
			rows = append(rows, r...)
		}
		if want("check") {
			r, err := a.checkBackupRows(o)
			if err != nil {
				return err
			}
			rows = append(rows, r...)
		}
	}
	printTable(rows, o)
	fmt.Printf("\nload average (1, 5, 15 min): %s at the start, %s at the end\n", loadAtStart, loadAverage())
	return nil
}

func printTable(rows []row, o options) {
	fmt.Printf("\n%d alternated rounds (rates over %s), medians; ratio = Roster ÷ anchor (higher is better for rates, lower for times and CPU)\n\n",
		o.rounds, o.seconds)
	fmt.Println("| workload | Roster | anchor | ratio | target |")
	fmt.Println("|---|---|---|---|---|")
	for _, r := range rows {
		ratio := fmt.Sprintf("%.2f", r.ratio)
		if r.noRatio {
			ratio = "—"
		}
		if r.note != "" {
			ratio += " (" + r.note + ")"
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", r.workload, r.roster, r.anchor, ratio, cmp.Or(r.target, "—"))
	}
}

// median of xs (xs is sorted in place).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// pairs runs a and b alternately rounds times and returns their medians
// and the median of the rounds' ratios a/b.
func pairs(rounds int, a, b func() (float64, error)) (ma, mb, ratio float64, err error) {
	var as, bs, rs []float64
	for range rounds {
		x, err := a()
		if err != nil {
			return 0, 0, 0, err
		}
		y, err := b()
		if err != nil {
			return 0, 0, 0, err
		}
		as, bs = append(as, x), append(bs, y)
		if y != 0 {
			rs = append(rs, x/y)
		}
	}
	return median(as), median(bs), median(rs), nil
}

// loadAverage is the machine's load over 1, 5 and 15 minutes.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

func comma(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
