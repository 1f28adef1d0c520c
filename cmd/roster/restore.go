package main

import (
	"fmt"
	"time"

	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
)

func (a *app) restoreCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "restore PATH [--yes]",
		Short: "Replace the database with a backup (asks first on a terminal; --yes otherwise)",
		Long: `Restore replaces the database with a copy made by 'roster backup'.

It checks the copy first (its checksum, then the same checks as 'roster check')
and refuses a damaged one, saying why, without touching the database. It
refuses while another roster process (the terminal app, 'roster serve') has
the database open, and names it. The file it replaces is kept next to it as
roster.db.before-restore-<time>, and the audit log records what was restored
and when the copy was made. Every change made since the copy is rolled back.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			info, err := store.InspectBackup(args[0])
			if err != nil {
				return err
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			if !yes {
				if !a.isTerminal() {
					return usageError{fmt.Errorf("refusing to restore without --yes when not on a terminal")}
				}
				ok, err := a.confirm(fmt.Sprintf("Replace %s with %s,\na copy made %s (%s ago) with %d users? Changes made since are rolled back. [y/N] ",
					db.Path(), info.Path, info.Made.Local().Format(time.DateTime), time.Since(info.Made).Round(time.Minute), info.Users))
				if err != nil {
					return err
				}
				if !ok {
					fmt.Fprintln(a.stdout, "nothing restored")
					return nil
				}
			}
			res, err := db.Restore(a.actor(), info.Path)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "restored %s (made %s, %d users, %d groups)\nthe replaced database is kept as %s\n",
				res.Backup.Path, res.Backup.Made.Local().Format(time.DateTime), res.Backup.Users, res.Backup.Groups, res.Kept)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask")
	return cmd
}
