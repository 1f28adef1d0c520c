package mail

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/roster-dev/roster/store"
)

// sender owns one SMTP connection and sends the jobs it is handed.
func (w *Worker) sender(ctx context.Context, d *dialer, jobs <-chan *store.Job, results chan<- *pending) {
	var s *session
	defer func() {
		if s != nil {
			s.close()
		}
	}()
	var prev *pending
	var prevErr error
	waitPrev := func() error {
		if prev != nil {
			prevErr = <-prev.done
			prev = nil
		}
		return prevErr
	}
	idle := time.NewTimer(idleClose)
	defer idle.Stop()
	for {
		var j *store.Job
		select {
		case job, ok := <-jobs:
			if !ok {
				return
			}
			j = job
		case <-idle.C:
			if s != nil {
				s.close()
				s = nil
			}
			continue
		}
		start := time.Now()
		res := w.deliver(ctx, d, &s, j, waitPrev)
		w.observe(res.Outcome, time.Since(start))
		if s != nil && w.cfg.MaxPerConnection > 0 && s.sent >= w.cfg.MaxPerConnection {
			s.close()
			s = nil
		}
		p := &pending{res: res, done: make(chan error, 1)}
		results <- p
		// The previous result must be waited for before the next dot; if
		// this job never reached its dot, it still is waited for below.
		if prev != nil {
			_ = waitPrev()
		}
		prev, prevErr = p, nil
		idle.Reset(idleClose)
	}
}

// errNotSent marks a delivery abandoned before the final dot.
var errNotSent = errors.New("not sent")

// deliver makes one attempt at one job and says what became of it.
func (w *Worker) deliver(ctx context.Context, d *dialer, sp **session, j *store.Job, waitPrev func() error) store.JobResult {
	release := store.JobResult{ID: j.ID, Outcome: store.OutcomeRelease}
	if ctx.Err() != nil {
		return release
	}
	// Never start a message our lease might not cover: another process
	// could claim it meanwhile and send it too.
	if time.Until(j.Due) < 4*w.cfg.CommandTimeout+w.cfg.ConnectTimeout && time.Until(j.Due) < w.cfg.Lease/2 {
		return release
	}
	body, err := j.Message()
	if err != nil {
		return store.JobResult{ID: j.ID, Outcome: store.OutcomeFailed, Detail: err.Error()}
	}
	if r := w.halt.halted(); r != "" {
		return w.failure(j, &haltedError{reason: r})
	}
	if err := w.pace.wait(ctx); err != nil {
		return release
	}
	beforeDot := func() error {
		if err := waitPrev(); err != nil {
			return fmt.Errorf("%w: previous result not recorded: %v", errNotSent, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w: stopping", errNotSent)
		}
		return nil
	}
	for try := 0; ; try++ {
		reused := *sp != nil
		if *sp == nil {
			s, err := w.halt.dial(d)
			if err != nil {
				return w.failure(j, err)
			}
			*sp = s
		}
		err := (*sp).send(j, j.To, body, beforeDot)
		if err == nil {
			return store.JobResult{ID: j.ID, Outcome: store.OutcomeSent}
		}
		var se *smtp.SMTPError
		replied := errors.As(err, &se)
		if errors.Is(err, errNotSent) || !replied || !(*sp).reset() {
			(*sp).abort()
			*sp = nil
		}
		if errors.Is(err, errNotSent) {
			return release
		}
		// A connection the server closed while idle fails at MAIL: that is
		// no fault of this message; dial again once.
		var de *deliveryError
		if try == 0 && reused && errors.As(err, &de) && de.Stage == stageMail && (!replied || se.Code == 421) {
			if *sp != nil {
				(*sp).abort()
				*sp = nil
			}
			continue
		}
		return w.failure(j, err)
	}
}

// failure turns a failed attempt into the job's outcome by its verdict
// (see classify). A refusal of Roster's settings halts the batch.
func (w *Worker) failure(j *store.Job, err error) store.JobResult {
	detail := failureDetail(err)
	r := store.JobResult{ID: j.ID, Detail: detail}
	var he *haltedError
	switch v := classify(err); {
	case errors.As(err, &he):
		r.Outcome, r.Detail = store.OutcomeFailed, SettingsPrefix+he.Error()
	case v == verdictSettings:
		w.halt.trip(detail)
		r.Outcome, r.Detail = store.OutcomeFailed, SettingsPrefix+detail
	case v == verdictBounce:
		r.Outcome = store.OutcomeBounced
	case v == verdictFail:
		r.Outcome = store.OutcomeFailed
	case j.Attempts >= w.cfg.MaxAttempts:
		r.Outcome = store.OutcomeFailed
		r.Detail = fmt.Sprintf("gave up after %d attempts: %s", j.Attempts, detail)
	default:
		r.Outcome = store.OutcomeRetry
		r.RetryAt = time.Now().Add(backoff(w.cfg.RetryBase, w.cfg.MaxBackoff, j.Attempts))
	}
	w.log.Warn("mail not delivered", "job", j.ID, "to", j.To, "outcome", outcomeName(r.Outcome), "detail", r.Detail)
	return r
}

// failureDetail is a failed attempt's words for the record: the stage
// and the server's reply.
func failureDetail(err error) string {
	var de *deliveryError
	if errors.As(err, &de) {
		return de.Error()
	}
	return detailOf(err)
}

func outcomeName(o store.Outcome) string {
	switch o {
	case store.OutcomeSent:
		return "sent"
	case store.OutcomeRetry:
		return "retry"
	case store.OutcomeFailed:
		return "failed"
	case store.OutcomeBounced:
		return "bounced"
	}
	return "released"
}

// backoff returns the delay before retry number attempt (1-based):
// base·2^(attempt-1), at most maxDelay, with "equal jitter" (a random
// point in its upper half) so that senders do not retry in step.
func backoff(base, maxDelay time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	half := int64(d / 2)
	if half <= 0 {
		return d
	}
	n, err := rand.Int(rand.Reader, big.NewInt(half))
	if err != nil {
		return d
	}
	return time.Duration(half + n.Int64())
}

// pacer spaces messages to a rate shared by all senders.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if d := time.Until(p.reserve(time.Now())); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// reserve returns the time the caller may send at: now, or one interval
// after the slot reserved before, whichever is later.
func (p *pacer) reserve(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	slot := p.next
	if slot.Before(now) {
		slot = now
	}
	p.next = slot.Add(p.interval)
	return slot
}
