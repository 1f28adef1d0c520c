package main

import (
	"fmt"
	"time"

	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
)

// backupOutput is what `roster backup --json` prints.
type backupOutput struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	Users   int       `json:"users"`
	Groups  int       `json:"groups"`
	Made    time.Time `json:"made"`
	TookMS  float64   `json:"took_ms"`
	HeldMS  float64   `json:"held_ms"`
	Removed []string  `json:"removed"`
	Warning string    `json:"warning,omitempty"`
}

func (a *app) backupCmd() *cobra.Command {
	var keep int
	var every time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "backup [PATH] [--keep N] [--every D] [--json]",
		Short: "Copy the database safely while Roster keeps working",
		Long: `Backup copies the database from one read transaction, so the copy is
consistent while other roster processes go on working (they wait for the lock
only while the pages are copied). The copy is written under a temporary name,
synced, checked like 'roster check', given a checksum and then renamed into
place with mode 0600: a file under the final name is always whole.

PATH is a file, or a folder (an existing one, or one ending in '/'), where the
copy is named after the time it was made: roster-2026-11-24T0330Z.db. Without
PATH the copy goes to the folder "backups" next to the database.

Backups hold the password and token hashes: keep them private (mode 0600) and
keep copies off this machine.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("%s takes at most one PATH, got %d arguments", cmd.CommandPath(), len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if keep < 0 {
				return usageError{fmt.Errorf("--keep must be 0 or more")}
			}
			if every < 0 {
				return usageError{fmt.Errorf("--every must be 0 or more")}
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			opts := store.BackupOptions{Keep: keep, Every: every}
			if len(args) == 1 {
				opts.Dest = args[0]
			}
			res, err := db.Backup(a.actor(), opts)
			if err != nil {
				return err
			}
			if asJSON {
				out := backupOutput{
					Path: res.Path, Size: res.Size, Users: res.Users, Groups: res.Groups, Made: res.Made,
					TookMS: millis(res.Took), HeldMS: millis(res.Held),
					Removed: res.Removed, Warning: res.Warning,
				}
				if out.Removed == nil {
					out.Removed = []string{}
				}
				return writeJSON(a.stdout, out)
			}
			fmt.Fprintf(a.stdout, "%s\n  %s, %d users, %d groups, in %s (the database was held for %s)\n",
				res.Path, humanSize(res.Size), res.Users, res.Groups, shortDuration(res.Took), shortDuration(res.Held))
			for _, r := range res.Removed {
				fmt.Fprintf(a.stdout, "  removed old backup %s\n", r)
			}
			if res.Warning != "" {
				fmt.Fprintf(a.stderr, "roster: warning: %s\n", res.Warning)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&keep, "keep", 0, "in a folder, keep only the newest N backups (0: keep all)")
	cmd.Flags().DurationVar(&every, "every", 0, "the interval of the schedule that runs this (a systemd timer, cron), so the terminal app can warn when a backup is overdue")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	return cmd
}

// humanSize writes a byte count the way people read it: 61.2 MB.
func humanSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// millis is a duration in milliseconds with one decimal, for JSON.
func millis(d time.Duration) float64 {
	return float64(d.Round(100*time.Microsecond)) / float64(time.Millisecond)
}

// shortDuration rounds a duration for people: 412ms, 1.3s, 0.4ms.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}
