package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
)

func (a *app) auditCmd() *cobra.Command {
	var limit int
	var asJSON bool
	var search, user string
	cmd := &cobra.Command{
		Use:   "audit [--limit N] [--search TEXT] [--user USER] [--json]",
		Short: "Show the audit log, newest first",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return usageError{fmt.Errorf("--limit must be 0 or more")}
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			f := store.AuditFilter{Limit: limit, Search: search}
			if user != "" {
				u, err := db.FindUser(a.actor(), user)
				if err != nil {
					return err
				}
				f.UserID = u.ID
			}
			events, err := db.AuditEvents(a.actor(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONList(a.stdout, events)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tTARGETS\tDETAILS")
			for _, ev := range events {
				targets := strings.Join(ev.Targets, ",")
				if len(ev.Targets) > 5 {
					targets = fmt.Sprintf("%s,… (%d)", strings.Join(ev.Targets[:5], ","), len(ev.Targets))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ev.Time.Local().Format(time.DateTime), ev.Actor, ev.Action, targets, ev.Details)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVarP(&limit, "limit", "n", 50, "show at most N events (0: all)")
	cmd.Flags().StringVar(&search, "search", "", "only events mentioning TEXT")
	cmd.Flags().StringVar(&user, "user", "", "only events about this user")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func (a *app) checkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Verify the database file and Roster's invariants",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			problems := db.Check(a.actor())
			for _, p := range problems {
				fmt.Fprintf(a.stderr, "  %v\n", p)
			}
			if len(problems) > 0 {
				return fmt.Errorf("%s: %d problem(s) found: %w", db.Path(), len(problems), store.ErrCheckFailed)
			}
			fmt.Fprintf(a.stdout, "%s: ok\n", db.Path())
			return nil
		},
	}
}
