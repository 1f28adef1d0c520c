package mail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// BounceResult says what became of one recipient of a bounce.
type BounceResult struct {
	store.Bounce
	Job     *store.Job // nil when no job matched (Err says why)
	Outcome store.BounceOutcome
	Err     error
}

// String is one line for logs and the command line.
func (r BounceResult) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: not applied: %v", r.Recipient, r.Err)
	}
	what := map[store.BounceOutcome]string{
		store.BounceBlocked:  "bounced; address blocked, link revoked",
		store.BounceSoft:     "temporary failure recorded; nothing blocked",
		store.BounceStale:    "bounced; address blocked (a newer mail was sent since)",
		store.BounceRepeated: "had bounced already",
	}[r.Outcome]
	return fmt.Sprintf("%s (job %d): %s: %s", r.Recipient, r.Job.ID, what, r.Detail)
}

// ApplyBounce reads one message and, when it is a recognised bounce,
// records it on the jobs it names (store.DB.RecordBounce). It returns
// ErrNotBounce for anything else; the caller then leaves the message
// where it was. A recipient no job matches is reported in its result,
// not as an error.
func ApplyBounce(db *store.DB, r io.Reader) ([]BounceResult, error) {
	bounces, err := ParseBounce(r)
	if err != nil {
		return nil, err
	}
	actor := roster.SystemActor("mail")
	out := make([]BounceResult, 0, len(bounces))
	matched := false
	for _, b := range bounces {
		j, outcome, err := db.RecordBounce(actor, b)
		if err != nil && roster.ErrorCode(err) != roster.ENOTFOUND {
			return out, err // the database: try the message again later
		}
		matched = matched || err == nil
		out = append(out, BounceResult{Bounce: b, Job: j, Outcome: outcome, Err: err})
	}
	if !matched {
		return out, fmt.Errorf("%w: it names no mail Roster sent (%s)", ErrNotBounce, out[0].Err)
	}
	return out, nil
}

// ScanMaildir applies the bounces among the new messages of a Maildir
// (DIR/new) and moves every message it read to DIR/cur, marked seen
// (",S") when it was applied and left unseen otherwise, so a person finds
// what Roster did not understand. Nothing is deleted. observe, when not
// nil, is told each recipient's result (metrics).
func ScanMaildir(db *store.DB, dir string, log *slog.Logger, observe func(BounceResult)) (applied, left int, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil {
		return 0, 0, fmt.Errorf("bounce maildir: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, "new", e.Name())
		raw, err := os.ReadFile(path)
		if err != nil {
			return applied, left, fmt.Errorf("bounce maildir: %w", err)
		}
		res, err := ApplyBounce(db, bytes.NewReader(raw))
		flags := ""
		switch {
		case errors.Is(err, ErrNotBounce):
			log.Warn("bounce mailbox: left a message Roster does not understand", "file", path, "why", err)
			left++
		case err != nil:
			return applied, left, err // the database: the message stays in new/ for the next scan
		default:
			flags = "S"
			applied++
			reportBounce(res, log, observe)
		}
		name := e.Name()
		if i := strings.Index(name, ":2,"); i >= 0 {
			name = name[:i]
		}
		if err := os.Rename(path, filepath.Join(dir, "cur", name+":2,"+flags)); err != nil {
			return applied, left, fmt.Errorf("bounce maildir: %w", err)
		}
	}
	return applied, left, nil
}

// reportBounce logs each recipient's result and tells observe.
func reportBounce(res []BounceResult, log *slog.Logger, observe func(BounceResult)) {
	for _, r := range res {
		log.Info("bounce", "result", r.String())
		if observe != nil {
			observe(r)
		}
	}
}
