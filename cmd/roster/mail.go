package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
)

func (a *app) mailCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mail",
		Short: "Look after outgoing mail: the queue, retries, a test message, blocked addresses",
		Args:  knownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.mailQueueCmd(), a.mailRetryCmd(), a.mailTestCmd(), a.mailUnblockCmd(), a.mailBounceCmd())
	return cmd
}

// jobJSON is a job as `roster mail queue --json` prints it.
type jobJSON struct {
	ID        uint64    `json:"id"`
	Kind      string    `json:"kind"`
	To        string    `json:"to"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	CreatedAt time.Time `json:"created_at"`
	Due       time.Time `json:"due,omitzero"`
	Detail    string    `json:"detail,omitempty"`
	DoneAt    time.Time `json:"done_at,omitzero"`
}

func (a *app) mailQueueCmd() *cobra.Command {
	var asJSON, all bool
	var limit int
	cmd := &cobra.Command{
		Use:   "queue [--all] [--json]",
		Short: "List mail waiting to be sent (with --all, also what was sent, failed or bounced lately)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			jobs, err := db.OutboxJobs(a.actor(), store.OutboxFilter{Pending: !all, Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]jobJSON, len(jobs))
				for i, j := range jobs {
					out[i] = jobJSON{ID: j.ID, Kind: j.Kind.String(), To: j.To, State: j.State.String(), Attempts: j.Attempts,
						CreatedAt: j.CreatedAt, Due: j.Due, Detail: j.Detail, DoneAt: j.DoneAt}
				}
				return writeJSON(a.stdout, out)
			}
			if len(jobs) == 0 {
				fmt.Fprintln(a.stdout, "the outbox is empty")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tTO\tSTATE\tATTEMPTS\tWHEN\tDETAIL")
			for _, j := range jobs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", j.ID, j.Kind, j.To, j.State, j.Attempts, jobWhen(j, time.Now()), j.Detail)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&all, "all", false, "include mail sent, failed or bounced in the last 7 days")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many, newest first")
	return cmd
}

// jobWhen says when a job is tried next (queued), until when it is being
// sent (its lease), or when it ended.
func jobWhen(j *store.Job, now time.Time) string {
	switch j.State {
	case store.JobQueued:
		if !j.Due.After(now) {
			return "next attempt now"
		}
		return fmt.Sprintf("next attempt %s (in %s)", j.Due.Local().Format("15:04:05"), j.Due.Sub(now).Round(time.Second))
	case store.JobSending:
		return "sending (lease until " + j.Due.Local().Format("15:04:05") + ")"
	}
	return j.DoneAt.Local().Format("2006-01-02 15:04:05")
}

func (a *app) mailRetryCmd() *cobra.Command {
	var noWait bool
	return &cobra.Command{
		Use:   "retry",
		Short: "Queue failed mail again and retry deferred mail now, then send it",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			jobs, err := db.RetryMail(a.actor())
			if err != nil {
				return err
			}
			if len(jobs) == 0 {
				fmt.Fprintln(a.stdout, "nothing to retry")
				return nil
			}
			m, stop, err := a.startMailer(cmd, db, !noWait)
			if err != nil {
				return err
			}
			defer stop()
			fmt.Fprintf(a.stdout, "%s queued again\n", plural(len(jobs), "mail"))
			if noWait {
				return nil
			}
			return a.waitAndReport(cmd.Context(), m, "mail", store.Queued{Jobs: jobs})
		},
	}
}

func (a *app) mailTestCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "test ADDRESS",
		Short: "Send a test message to check the mail settings",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			m, stop, err := a.startMailer(cmd, db, true)
			if err != nil {
				return err
			}
			defer stop()
			id, err := m.SendTest(a.actor(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "sending a test message to %s through %s\n", args[0], m.Mode())
			q := store.Queued{Jobs: []uint64{id}}
			q.Changed = []string{args[0]}
			return a.waitAndReport(cmd.Context(), m, "test message", q)
		},
	}
}

func (a *app) mailUnblockCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unblock USER...",
		Short: "Allow mail to addresses blocked after a bounce again",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			ids, err := findUserIDs(db, a.actor(), args)
			if err != nil {
				return err
			}
			res, err := db.UnblockMail(a.actor(), ids)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, res.Summary("unblocked"))
			return nil
		},
	}
}
