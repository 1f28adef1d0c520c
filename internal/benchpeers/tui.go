package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// The terminal app as a person sees it: `roster --db FILE` started in a
// detached tmux session of a fixed size, its screen captured until the
// list is there, then the first filter keystroke.
const (
	tuiWidth, tuiHeight = 200, 50
	startPoll           = 5 * time.Millisecond // between captures while it loads
	keyPoll             = time.Millisecond     // between captures after a keystroke
	idleWindow          = 200 * time.Millisecond
)

// listExpect is what the list must show: the first user in name order,
// and for the filter text the first match and how many match. It is
// worked out from the database as the app orders and filters (store's
// sort key, ties by username; the text in the lower-cased name, the
// username, the lower-cased e-mail or the role).
type listExpect struct {
	users      int
	first      string
	query      string
	firstMatch string
	matches    int
}

func expectList(path, query string) (listExpect, error) {
	db, err := store.Open(path)
	if err != nil {
		return listExpect{}, err
	}
	users, err := db.AllUsers(local)
	db.Close()
	if err != nil {
		return listExpect{}, err
	}
	e := listExpect{users: len(users), query: strings.ToLower(query)}
	var first, match *roster.User
	var firstKey, matchKey string
	before := func(u *roster.User, k string, than *roster.User, thanKey string) bool {
		return than == nil || k < thanKey || k == thanKey && u.Username < than.Username
	}
	for _, u := range users {
		k := store.SortKey(u.DisplayName())
		if before(u, k, first, firstKey) {
			first, firstKey = u, k
		}
		text := strings.ToLower(u.Name) + "\x00" + u.Username + "\x00" + strings.ToLower(u.Email)
		if strings.Contains(text, e.query) || strings.Contains(u.Role.String(), e.query) {
			e.matches++
			if before(u, k, match, matchKey) {
				match, matchKey = u, k
			}
		}
	}
	if first == nil || match == nil {
		return e, fmt.Errorf("%s: no users, or none matching %q", path, query)
	}
	e.first, e.firstMatch = first.Username, match.Username
	// A million users' records are garbage now; give the memory back
	// before the app runs beside this process.
	users, first, match = nil, nil, nil
	runtime.GC()
	debug.FreeOSMemory()
	return e, nil
}

// tuiRound is one start of the app.
type tuiRound struct {
	onScreen, idle, keystroke time.Duration
	startHWM, endHWM          int64 // peak resident bytes: when idle after start, before quitting
}

// tuiRun starts the app once in tmux and times it.
func (a *rosterApp) tuiRun(n int, e listExpect) (tuiRound, error) {
	var r tuiRound
	t, pid, start, err := a.startApp(n)
	if err != nil {
		return r, err
	}
	defer func() {
		t.close()
		waitGone(pid) // the next round starts alone
	}()
	_, at, err := t.waitScreen(startPoll, 5*time.Minute, "list with "+e.first+" first", func(s string) bool { return firstRowIs(s, e.first) })
	if err != nil {
		return r, err
	}
	r.onScreen = at.Sub(start)
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) != "roster" {
		return r, fmt.Errorf("pane process %d is %q, not roster", pid, comm)
	}
	// A person types once the app is ready: wait until it stops using CPU
	// (work it does in the background after the first frame counts).
	idleAt, err := waitIdle(pid, time.Minute)
	switch {
	case errors.Is(err, errBusy):
		r.idle = -1 // typed into a busy app, as a person would after a minute
	case err != nil:
		return r, err
	default:
		r.idle = idleAt.Sub(start)
	}
	if r.startHWM, err = peakResident(pid); err != nil {
		return r, err
	}
	if r.keystroke, err = filterKeystroke(t, e); err != nil {
		return r, err
	}
	r.endHWM, err = peakResident(pid)
	return r, err
}

// startApp starts roster in a new tmux server and returns it, the app's
// process id and when it started.
func (a *rosterApp) startApp(n int) (*tmuxControl, int, time.Time, error) {
	fifo := filepath.Join(a.dir, fmt.Sprintf("start%d", n))
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return nil, 0, time.Time{}, err
	}
	defer os.Remove(fifo)
	// The shell waits on the fifo, so that the clock starts when roster
	// is exec'd, not when tmux starts. Without TMUX in its environment
	// the app starts as in a terminal window: inside tmux its colour
	// detection (charmbracelet/colorprofile) runs `tmux info`, twice.
	shell := fmt.Sprintf("unset TMUX TMUX_PANE; export TERM=xterm-256color; read _ < %s; exec %s --db %s",
		shQuote(fifo), shQuote(a.bin), shQuote(a.db))
	t, err := startTmux(filepath.Join(a.dir, fmt.Sprintf("tmux%d", n)), "roster", tuiWidth, tuiHeight, a.env, shell)
	if err != nil {
		return nil, 0, time.Time{}, err
	}
	fail := func(err error) (*tmuxControl, int, time.Time, error) {
		t.close()
		return nil, 0, time.Time{}, err
	}
	pid, err := t.panePID() // the shell's, then roster's: it execs
	if err != nil {
		return fail(err)
	}
	w, err := openWhenRead(fifo, 10*time.Second)
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	_, err = w.Write([]byte("\n"))
	w.Close()
	if err != nil {
		return fail(err)
	}
	return t, pid, start, nil
}

// filterKeystroke opens the list's filter, then types e.query and returns
// how long until the filtered list is on screen: its count in the footer
// and its first row.
func filterKeystroke(t *tmuxControl, e listExpect) (time.Duration, error) {
	if err := t.keys("/"); err != nil {
		return 0, err
	}
	if _, _, err := t.waitScreen(keyPoll, time.Minute, "filter input", filterLineShown); err != nil {
		return 0, err
	}
	key := time.Now()
	if err := t.text(e.query); err != nil {
		return 0, err
	}
	_, at, err := t.waitScreen(keyPoll, time.Minute, fmt.Sprintf("filtered list (%s first, %d shown)", e.firstMatch, e.matches), func(s string) bool {
		n, ok := shownCount(s)
		return ok && n == e.matches && firstRowIs(s, e.firstMatch)
	})
	return at.Sub(key), err
}

// peakResident is process pid's peak resident size so far (VmHWM).
func peakResident(pid int) (int64, error) {
	m, err := procMemory(pid)
	return m["VmHWM"], err
}

// openWhenRead opens the fifo for writing once a reader has it open.
func openWhenRead(fifo string, timeout time.Duration) (*os.File, error) {
	deadline := time.Now().Add(timeout)
	for {
		f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.ENXIO) || time.Now().After(deadline) {
			return nil, fmt.Errorf("the shell in tmux does not wait on %s: %w", fifo, err)
		}
		time.Sleep(time.Millisecond)
	}
}

var errBusy = errors.New("still busy")

// waitGone waits until process pid has exited, killing it after 10 s.
func waitGone(pid int) {
	gone := func(d time.Duration) bool {
		for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
				return true
			}
		}
		return false
	}
	if !gone(10 * time.Second) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		gone(5 * time.Second)
	}
}

// waitIdle returns when process pid began a stretch of idleWindow in which
// it used at most one clock tick of CPU.
func waitIdle(pid int, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	step := idleWindow / 4
	type sample struct {
		at  time.Time
		cpu time.Duration
	}
	var samples []sample
	for {
		c, err := procCPU(pid)
		if err != nil {
			return time.Time{}, err
		}
		now := time.Now()
		samples = append(samples, sample{now, c})
		for len(samples) > 1 && now.Sub(samples[1].at) >= idleWindow {
			samples = samples[1:]
		}
		if s := samples[0]; now.Sub(s.at) >= idleWindow && c-s.cpu <= 10*time.Millisecond {
			return s.at, nil
		}
		if now.After(deadline) {
			return time.Time{}, errBusy
		}
		time.Sleep(step)
	}
}

// tuiRows starts the app rounds times and gives the medians.
func (a *rosterApp) tuiRows(o options) ([]row, error) {
	fmt.Fprintln(os.Stderr, "terminal app: reading the expected list…")
	e, err := expectList(a.db, o.filter)
	if err != nil {
		return nil, err
	}
	a.users = e.users
	var onScreen, idle, keystroke, startHWM, endHWM []float64
	for n := range o.rounds {
		fmt.Fprintf(os.Stderr, "terminal app: round %d of %d…\n", n+1, o.rounds)
		r, err := a.tuiRun(n, e)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "  on screen %s, idle %s, %d MB; keystroke %s, %d MB\n", r.onScreen.Round(time.Millisecond),
			r.idle.Round(time.Millisecond), r.startHWM>>20, r.keystroke.Round(100*time.Microsecond), r.endHWM>>20)
		onScreen = append(onScreen, ms(r.onScreen))
		if r.idle >= 0 {
			idle = append(idle, ms(r.idle))
		}
		keystroke = append(keystroke, ms(r.keystroke))
		startHWM = append(startHWM, float64(r.startHWM>>20))
		endHWM = append(endHWM, float64(r.endHWM>>20))
	}
	startTarget := "≤ 300 ms at 100k; ≤ 2 s and ≤ 600 MB at 1M"
	switch e.users {
	case 100_000:
		startTarget = "≤ 300 ms"
	case 1_000_000:
		startTarget = "≤ 2 s and ≤ 600 MB"
	}
	typed := "first filter keystroke"
	if len([]rune(e.query)) > 1 {
		typed = "filter text typed"
	}
	return []row{
		{workload: fmt.Sprintf("terminal app, %s users: process start → list on screen (tmux %d×%d)", comma(float64(e.users)), tuiWidth, tuiHeight),
			roster: fmt.Sprintf("%s ms; %s; peak %s MB resident", comma(median(onScreen)), idleText(idle, o.rounds), comma(median(startHWM))),
			anchor: "no peer", noRatio: true, target: startTarget},
		{workload: fmt.Sprintf("%s (%q, %s matching) → filtered list on screen", typed, e.query, comma(float64(e.matches))),
			roster: fmt.Sprintf("%.1f ms; peak %s MB resident after it", median(keystroke), comma(median(endHWM))),
			anchor: "no peer", noRatio: true, target: "≤ 30 ms at 1M"},
	}, nil
}

// idleText says when the app went idle after its start (CPU still for
// idleWindow), in the rounds where it did within a minute.
func idleText(idle []float64, rounds int) string {
	switch len(idle) {
	case 0:
		return "busy a minute after"
	case rounds:
		return "idle at " + comma(median(idle)) + " ms"
	}
	return fmt.Sprintf("idle at %s ms (%d rounds of %d; busy a minute after in the others)", comma(median(idle)), len(idle), rounds)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// shQuote quotes s for sh.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
