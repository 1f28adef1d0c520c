package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roster-dev/roster/store"
)

// pushedPoll is pollInterval while other processes' changes are pushed
// (store.DB.Pushed): their queued jobs arrive as news, and the poll is left
// for what news does not tell (a retry coming due is waited for exactly, as
// ever). A variable for tests.
var pushedPoll = 30 * time.Second

// Tuning of the worker.
const (
	pollInterval    = time.Second      // how often an idle worker looks for jobs queued by other processes
	reclaimInterval = 30 * time.Second // how often an idle worker frees dead processes' leases
	pruneInterval   = time.Hour
	pruneAge        = 7 * 24 * time.Hour   // final jobs are kept this long for `roster mail queue`
	idleClose       = 15 * time.Second     // an idle connection is closed after this
	claimPerConn    = 16                   // jobs claimed ahead per connection
	gatherWait      = 2 * time.Millisecond // how long a commit waits for the other connections' results
)

// Worker sends the outbox: it claims due jobs in batches under a lease,
// hands them to Connections senders that each keep one SMTP connection
// open, and records results with a group commit that every sender waits on
// before it lets the server deliver its next message, so a crash sends at
// most Connections messages twice. With no SMTP URL it runs the built-in
// dev mailbox and delivers there through the same code.
type Worker struct {
	db    *store.DB
	cfg   Config
	log   *slog.Logger
	owner string
	host  string
	wake  chan struct{}
	pace  *pacer
	halt  halt // stops a batch the relay refused for Roster's settings

	dialer *dialer // nil until Run for the dev mailbox

	// Observe, when set before Run, hears the outcome of every delivery
	// attempt and how long it took (for metrics).
	Observe func(outcome store.Outcome, took time.Duration)

	mu      sync.Mutex
	mailbox *Mailbox
}

// NewWorker checks the configuration (without touching the network) and
// returns a worker ready to Run. log may be nil.
func NewWorker(db *store.DB, cfg Config, log *slog.Logger) (*Worker, error) {
	if err := cfg.Normalize(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	nonce := make([]byte, 4)
	_, _ = rand.Read(nonce)
	w := &Worker{
		db: db, cfg: cfg, log: log, host: host,
		owner: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(nonce)),
		wake:  make(chan struct{}, 1),
	}
	if cfg.Rate > 0 {
		w.pace = &pacer{interval: time.Duration(float64(time.Second) / cfg.Rate)}
	}
	if cfg.URL != "" {
		server, err := ParseServerURL(cfg.URL)
		if err != nil {
			return nil, err
		}
		if w.dialer, err = newDialer(cfg, server); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Mode says where mail goes, without secrets: "smtps://user@host:465", or
// "dev mailbox" when no SMTP server is configured. A TUI shows it in its header.
func (w *Worker) Mode() string {
	if w.cfg.URL == "" {
		return "dev mailbox"
	}
	s, _ := ParseServerURL(w.cfg.URL)
	return s.String()
}

// DevMailbox reports whether mail goes to the built-in dev mailbox.
func (w *Worker) DevMailbox() bool { return w.cfg.URL == "" }

// Wake tells a running worker that jobs were queued, so it need not wait
// for its next poll. It never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx is cancelled, then finishes the messages in flight,
// gives back the jobs it had claimed but not started, and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	d := w.dialer
	if d == nil {
		mb, err := StartMailbox(w.db, "127.0.0.1:0", w.log)
		if err != nil {
			return err
		}
		defer mb.Close()
		w.mu.Lock()
		w.mailbox = mb
		w.mu.Unlock()
		if d, err = devDialer(w.cfg, mb); err != nil {
			return err
		}
	}
	if n, err := w.db.ReclaimLeases(w.deadOwner); err != nil {
		w.log.Warn("reclaim leases", "err", err)
	} else if n > 0 {
		w.log.Info("resumed jobs of a stopped process", "jobs", n)
	}
	ahead := claimPerConn * w.cfg.Connections
	if w.cfg.Rate > 0 {
		// Claim no more than can be sent well within a lease.
		if n := int(w.cfg.Rate * w.cfg.Lease.Seconds() / 4); n < ahead {
			ahead = max(n, 1)
		}
	}
	jobs := make(chan *store.Job, ahead)
	results := make(chan *pending, 2*w.cfg.Connections)
	var wg sync.WaitGroup
	for range w.cfg.Connections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.sender(ctx, d, jobs, results)
		}()
	}
	err := w.commitLoop(ctx, jobs, results)
	wg.Wait()
	return err
}

// pending is a sender's result waiting for the group commit.
type pending struct {
	res  store.JobResult
	done chan error // receives the commit's outcome, once
}

// commitLoop owns the database side: it records results and claims jobs,
// both in one transaction per round.
func (w *Worker) commitLoop(ctx context.Context, jobs chan<- *store.Job, results <-chan *pending) error {
	ahead := cap(jobs)
	inflight, stopping := 0, false
	var batch []*pending
	done := ctx.Done()
	poll := time.NewTimer(0)
	defer poll.Stop()
	lastReclaim, lastPrune := time.Now(), time.Time{}
	failures := 0
	changed := w.db.Changed() // kept until it fires: a change after it is taken is not missed
	for {
		if stopping && inflight == 0 && len(batch) == 0 {
			return nil
		}
		claim := false
		if len(batch) == 0 {
			select {
			case p := <-results:
				batch = append(batch, p)
			case <-w.wake:
				claim = true
			case <-changed: // news: perhaps jobs queued elsewhere; look as a poll does
				changed = w.db.Changed()
				claim = w.dueNow(&lastReclaim, &lastPrune)
				if !claim && inflight == 0 {
					poll.Reset(w.idleWait())
				}
			case <-poll.C:
				claim = w.dueNow(&lastReclaim, &lastPrune)
				if !claim && inflight == 0 {
					poll.Reset(w.idleWait())
				}
			case <-done:
				stopping, done = true, nil
				close(jobs)
				continue
			}
		}
	drain:
		for {
			select {
			case p := <-results:
				batch = append(batch, p)
			default:
				break drain
			}
		}
		// Group commit: the senders whose results the last commit recorded
		// are finishing their next message now; wait a moment for them so
		// that one commit covers every connection, instead of the senders
		// settling into two groups that alternate (half the throughput).
		if target := min(w.cfg.Connections, inflight); len(batch) > 0 && len(batch) < target {
			gather := time.NewTimer(gatherWait)
		gathering:
			for len(batch) < target {
				select {
				case p := <-results:
					batch = append(batch, p)
				case <-gather.C:
					break gathering
				}
			}
			gather.Stop()
		}
		want := 0
		if !stopping {
			want = ahead - inflight
		}
		if len(batch) == 0 && (!claim || want == 0) {
			continue
		}
		res := make([]store.JobResult, len(batch))
		for i, p := range batch {
			res[i] = p.res
		}
		claimed, next, err := w.db.RecordAndClaim(res, store.ClaimRequest{Owner: w.owner, Max: want, Lease: w.cfg.Lease})
		if err != nil {
			failures++
			w.log.Error("outbox commit", "err", err, "results", len(batch))
			if len(batch) > 0 && failures < 50 {
				time.Sleep(100 * time.Millisecond) // the file is busy: keep the results and try again
				continue
			}
			for _, p := range batch {
				p.done <- err
			}
			inflight -= len(batch)
			batch = batch[:0]
			poll.Reset(pollInterval)
			continue
		}
		failures = 0
		for _, p := range batch {
			p.done <- nil
		}
		inflight -= len(batch)
		batch = batch[:0]
		inflight += len(claimed)
		for _, j := range claimed {
			jobs <- j // never blocks: at most ahead jobs are out
		}
		if inflight == 0 && !stopping {
			w.halt.clear() // nothing more is due: the batch is over
			wait := pollInterval
			if !next.IsZero() {
				wait = min(max(time.Until(next), 0), pollInterval)
			}
			poll.Reset(wait)
		}
	}
}

// dueNow is the idle worker's cheap check (a read transaction), with its
// occasional chores.
func (w *Worker) dueNow(lastReclaim, lastPrune *time.Time) bool {
	now := time.Now()
	if now.Sub(*lastReclaim) > reclaimInterval {
		*lastReclaim = now
		if _, err := w.db.ReclaimLeases(w.deadOwner); err != nil {
			w.log.Warn("reclaim leases", "err", err)
		}
	}
	if now.Sub(*lastPrune) > pruneInterval {
		*lastPrune = now
		if _, err := w.db.PruneOutbox(now.Add(-pruneAge)); err != nil {
			w.log.Warn("prune outbox", "err", err)
		}
	}
	next, err := w.db.NextDue()
	if err != nil {
		w.log.Warn("outbox poll", "err", err)
		return false
	}
	return !next.IsZero() && !next.After(now)
}

func (w *Worker) idleWait() time.Duration {
	every := pollInterval
	if w.db.Pushed() {
		every = pushedPoll
	}
	next, err := w.db.NextDue()
	if err != nil || next.IsZero() {
		return every
	}
	return min(max(time.Until(next), time.Millisecond), every)
}

// deadOwner reports whether a lease owner is a process of this machine
// that no longer runs. Leases of other machines, and of this process, run
// out on their own.
func (w *Worker) deadOwner(owner string) bool {
	parts := strings.Split(owner, "/")
	if len(parts) != 3 || parts[0] != w.host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid == os.Getpid() {
		return false
	}
	return !processAlive(pid)
}

func (w *Worker) observe(o store.Outcome, took time.Duration) {
	if w.Observe != nil && o != store.OutcomeRelease {
		w.Observe(o, took)
	}
}
