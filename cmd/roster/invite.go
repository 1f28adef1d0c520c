package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func (a *app) inviteCmd() *cobra.Command {
	var status string
	var noWait bool
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "invite USER... | --status pending",
		Short: "Send invitations by e-mail and wait until they are delivered",
		Long: `Invite issues a one-time link for each user (valid 24 hours unless --invite-ttl
says otherwise; a new invitation revokes the previous link) and sends it by
e-mail. It waits until every invitation is delivered or has failed, shows
progress on a terminal and prints a summary. An invitation the server
deferred (a relay outage, greylisting) is retried for --wait (default 3m),
with the time left in the progress line; what is still queued then stays
queued for 'roster serve' or the terminal app to send, and the exit status
is 3.

Users already active, disabled, or whose address bounced before (see
'roster mail unblock') are refused. The exit status is 1 when any invitation
failed, bounced or was refused, and 3 when some are still queued.

With no SMTP server configured (--smtp), mail goes to the built-in dev
mailbox: read it with 'roster mailbox'.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 0) == (status == "") {
				return usageError{errors.New("name the users to invite, or give --status pending")}
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			var ids []uint64
			if status != "" {
				st, err := roster.ParseStatus(status)
				if err != nil {
					return usageError{err}
				}
				users, err := db.ListUsers(a.actor(), roster.UserFilter{Status: st})
				if err != nil {
					return err
				}
				for _, u := range users {
					ids = append(ids, u.ID)
				}
				if len(ids) == 0 {
					fmt.Fprintf(a.stdout, "no %s users to invite\n", st)
					return nil
				}
			} else {
				if ids, err = findUserIDs(db, a.actor(), args); err != nil {
					return err
				}
			}
			m, stop, err := a.startMailer(cmd, db, !noWait)
			if err != nil {
				return err
			}
			defer stop()
			q, err := m.Invite(a.actor(), ids)
			if err != nil {
				return err
			}
			printRefused(a.stderr, q.Skipped)
			if noWait {
				fmt.Fprintf(a.stdout, "%s queued (%s)\n", plural(len(q.Jobs), "invitation"), m.Mode())
				if len(q.Skipped) > 0 {
					return fmt.Errorf("%d refused", len(q.Skipped))
				}
				return nil
			}
			return a.waitAndReportFor(cmd.Context(), m, "invitation", q, wait)
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "invite every user with this status (pending)")
	cmd.Flags().DurationVar(&wait, "wait", 3*time.Minute, "how long to keep retrying deferred invitations before leaving them queued (exit status 3)")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "queue the invitations and return; a running 'roster serve' or TUI sends them")
	return cmd
}

// startMailer builds the mailer from the configuration and, when run is
// set, runs its worker in this process until stop is called.
func (a *app) startMailer(cmd *cobra.Command, db *store.DB, run bool) (*mail.Mailer, func(), error) {
	cfg, err := a.mailConfig(cmd.Flags())
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("ROSTER_DEBUG") != "" {
		log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m, err := mail.New(db, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range m.Warnings() {
		fmt.Fprintf(a.stderr, "roster: warning: %s\n", w)
	}
	if !run {
		return m, func() {}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	return m, func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintf(a.stderr, "roster: mail worker: %v\n", err)
		}
	}, nil
}

// waitAndReport waits for the jobs, showing progress on a terminal, prints
// the summary and returns an error (exit status 1) when any mail failed,
// bounced or was refused.
func (a *app) waitAndReport(ctx context.Context, m *mail.Mailer, noun string, q store.Queued) error {
	return a.waitAndReportFor(ctx, m, noun, q, 0)
}

// waitAndReportFor is waitAndReport that also keeps retrying deferred mail
// for wait (this process's worker sends it when due), then says what is
// still queued and who will send it, and exits 3.
func (a *app) waitAndReportFor(ctx context.Context, m *mail.Mailer, noun string, q store.Queued, wait time.Duration) error {
	var until time.Time
	progress := a.progressLine(len(q.Jobs), &until)
	c, err := m.Wait(ctx, q.Jobs, 100*time.Millisecond, progress)
	if err == nil && wait > 0 && c.Deferred > 0 {
		until = time.Now().Add(wait)
		c, err = a.waitDeferred(ctx, m, q.Jobs, until, progress)
	}
	if progress != nil {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	parts := []string{fmt.Sprintf("%d sent", c.Sent)}
	for _, p := range []struct {
		n    int
		name string
	}{{c.Failed, "failed"}, {c.Bounced, "bounced"}, {c.Cancelled, "replaced by a newer one"}, {c.Missing, "deleted"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	if c.Pending() > 0 {
		parts = append(parts, fmt.Sprintf("%d still queued after a temporary failure", c.Pending()))
	}
	if len(q.Skipped) > 0 {
		parts = append(parts, fmt.Sprintf("%d refused", len(q.Skipped)))
	}
	fmt.Fprintf(a.stdout, "%s: %s\n", plural(len(q.Jobs)+len(q.Skipped), noun), strings.Join(parts, ", "))
	if c.Failed+c.Bounced+c.Pending() > 0 {
		jobs, err := m.DB.Jobs(a.actor(), q.Jobs)
		if err != nil {
			return err
		}
		settings := false
		for _, j := range jobs {
			if j.State == store.JobFailed || j.State == store.JobBounced || j.State == store.JobQueued {
				fmt.Fprintf(a.stdout, "  %s %s: %s\n", j.State, j.To, j.Detail)
				settings = settings || mail.SettingsProblem(j.Detail)
			}
		}
		if settings {
			fmt.Fprintln(a.stdout, "The relay refused Roster's connection, greeting, sender or login, not the recipients:\n"+
				"nobody was blocked. Check --smtp-helo, --from and the SMTP user and password, then run 'roster mail retry'.")
		}
	}
	if c.Pending() > 0 {
		a.whoSendsQueued(m, q.Jobs, wait)
	}
	if m.DevMailbox() && c.Sent > 0 {
		fmt.Fprintln(a.stdout, "No SMTP server is configured: the messages are in the dev mailbox ('roster mailbox').")
	}
	if err != nil {
		return fmt.Errorf("interrupted; what is still queued stays queued for the next roster process to send")
	}
	if bad := c.Failed + c.Bounced + len(q.Skipped); bad > 0 {
		return fmt.Errorf("%d of %s not delivered", bad, plural(len(q.Jobs)+len(q.Skipped), noun))
	}
	if c.Pending() > 0 && wait > 0 {
		return statusError{fmt.Errorf("%d of %s still queued", c.Pending(), plural(len(q.Jobs), noun)), exitQueued}
	}
	return nil
}

// exitQueued is the exit status of `roster invite` when mail is still
// queued after --wait.
const exitQueued = 3

// waitDeferred polls the jobs until none is pending or until, while this
// process's worker retries the deferred ones as they fall due.
func (a *app) waitDeferred(ctx context.Context, m *mail.Mailer, jobs []uint64, until time.Time, progress func(store.JobCounts)) (store.JobCounts, error) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		c, err := m.Progress(jobs)
		if err != nil || c.Pending() == 0 || !time.Now().Before(until) {
			return c, err
		}
		if progress != nil {
			progress(c)
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-t.C:
		}
	}
}

// whoSendsQueued says when the queued jobs are tried next and which
// running roster process will send them, if any.
func (a *app) whoSendsQueued(m *mail.Mailer, ids []uint64, wait time.Duration) {
	jobs, err := m.DB.Jobs(a.actor(), ids)
	if err != nil {
		return
	}
	var next time.Time
	for _, j := range jobs {
		if j.State == store.JobQueued && (next.IsZero() || j.Due.Before(next)) {
			next = j.Due
		}
	}
	what := "Still queued"
	if wait > 0 {
		what = fmt.Sprintf("Still queued after retrying for %s", wait.Round(time.Second))
	}
	if !next.IsZero() {
		what += fmt.Sprintf("; next attempt at %s", next.Local().Format("15:04:05"))
	}
	var senders []string
	if procs, err := m.DB.Others(); err == nil {
		for _, p := range procs {
			if p.What == "roster serve" || p.What == "the terminal app" {
				senders = append(senders, p.String())
			}
		}
	}
	if len(senders) > 0 {
		fmt.Fprintf(a.stdout, "%s; %s will send it ('roster mail queue' lists it).\n", what, strings.Join(senders, ", or "))
		return
	}
	fmt.Fprintf(a.stdout, "%s. No roster process that sends mail is running: start 'roster serve' (or the terminal app), or run 'roster mail retry' later.\n", what)
}

// progressLine returns a function drawing a progress line on stderr when
// it is a terminal, or nil.
func (a *app) progressLine(total int, until *time.Time) func(store.JobCounts) {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || total == 0 {
		return nil
	}
	return func(c store.JobCounts) {
		done := c.Done()
		width := 30
		filled := done * width / total
		bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
		extra := ""
		if c.Failed+c.Bounced > 0 {
			extra = fmt.Sprintf(", %d failed or bounced", c.Failed+c.Bounced)
		}
		if c.Deferred > 0 {
			extra += fmt.Sprintf(", %d deferred", c.Deferred)
			if until != nil && !until.IsZero() {
				extra += fmt.Sprintf(", retrying for %s", max(time.Until(*until), 0).Round(time.Second))
			}
		}
		fmt.Fprintf(f, "\r\033[K%s %d/%d sent%s", bar, c.Sent, total, extra)
	}
}

// plural says "1 invitation", "2 invitations".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
