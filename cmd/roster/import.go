package main

import (
	"fmt"
	"io"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/transfer"
	"github.com/spf13/cobra"
)

func (a *app) importCmd() *cobra.Command {
	var opts transfer.Options
	var onDuplicate string
	var dryRun, invite, noWait bool
	cmd := &cobra.Command{
		Use:   "import FILE [--dry-run] [--invite] [--group G]... [--on-duplicate skip|update|fail] [--create-groups]",
		Short: "Add users from a CSV file (a spreadsheet saved as CSV)",
		Long: `Import adds the users of a CSV file, as a spreadsheet program saves it: comma,
semicolon or tab between the fields (detected), UTF-8 with or without a
byte-order mark, quoted fields that may hold line breaks. The first row names
the columns, loosely matched:

  username   username, user, login            (made from the e-mail when missing)
  name       name, full name  — or first name + last name
  email      email, e-mail, mail              (required)
  role       role: owner, admin or member     (member when empty)
  groups     group, groups: several separated by ';' or '|'
  status     status: pending, active or disabled (pending when empty)

Other columns are ignored. A JSON file written by 'roster export' is read too.

Every row is checked with the same rules as the form. The report lists each
problem row with its line, field and reason, and the totals. The valid rows
are then written in one transaction: all of them or none. Rows with problems
are left out; an unreadable file, or existing users under --on-duplicate
fail, writes nothing. A row whose e-mail address belongs to an existing user
is skipped (--on-duplicate skip, the default), updates that user (update:
name, e-mail, and username, role, groups and status where the row gives them)
or stops the import (fail). FILE "-" reads stdin.

--invite then invites the new users by e-mail as 'roster invite' does (the
mail settings are those of 'roster invite'): it waits until the invitations
are delivered unless --no-wait is given. New users imported as active or
disabled are not invited.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := transfer.ParseOnDuplicate(onDuplicate)
			if err != nil {
				return usageError{err}
			}
			opts.OnDuplicate = d
			data, err := a.readImportFile(args[0])
			if err != nil {
				return err
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			var mailer *mail.Mailer
			if invite && !dryRun {
				// Set up mail before writing, so a bad mail configuration
				// stops the import rather than leaving users uninvited.
				m, stop, err := a.startMailer(cmd, db, !noWait)
				if err != nil {
					return err
				}
				defer stop()
				mailer = m
			}
			opts.Actor = a.actor()
			opts.Source = args[0]
			if args[0] == "-" {
				opts.Source = "stdin"
			}
			report, err := transfer.Preview(db, opts.Actor, data, opts)
			if err != nil {
				return err
			}
			if err := report.WriteText(a.stdout); err != nil {
				return err
			}
			if err := report.Blocked(); err != nil {
				return err
			}
			if dryRun {
				fmt.Fprintln(a.stdout, "Dry run: nothing was written.")
				return nil
			}
			if report.Create+report.Update == 0 {
				fmt.Fprintln(a.stdout, "Nothing to write.")
				return nil
			}
			res, err := transfer.Commit(db, opts.Actor, report, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Imported: %s.\n", res.Summary())
			var pending []uint64 // new users imported active or disabled need no invitation
			for _, u := range res.Created {
				if u.Status == roster.StatusPending {
					pending = append(pending, u.ID)
				}
			}
			if mailer == nil || len(pending) == 0 {
				return nil
			}
			q, err := mailer.Invite(opts.Actor, pending)
			if err != nil {
				return fmt.Errorf("the users were imported, but their invitations were not queued (send them with 'roster invite --status pending'): %w", err)
			}
			for _, sk := range q.Skipped {
				fmt.Fprintf(a.stderr, "not invited %s: %s\n", sk.Target, sk.Reason)
			}
			if noWait {
				fmt.Fprintf(a.stdout, "%d invitations queued (%s)\n", len(q.Jobs), mailer.Mode())
				return nil
			}
			return a.waitAndReport(cmd.Context(), mailer, "invitation", q)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dryRun, "dry-run", false, "check the file and show the report; write nothing")
	f.BoolVar(&invite, "invite", false, "invite the new users by e-mail (pending ones; as 'roster invite' does)")
	f.BoolVar(&noWait, "no-wait", false, "with --invite: queue the invitations and return; a running 'roster serve' or TUI sends them")
	f.StringArrayVar(&opts.Groups, "group", nil, "put every imported user in this group as well (repeat for more)")
	f.StringVar(&onDuplicate, "on-duplicate", "skip", "when a user with the e-mail exists: skip, update or fail")
	f.BoolVar(&opts.CreateGroups, "create-groups", false, "create the groups the file names that do not exist")
	return cmd
}

// readImportFile reads FILE, or stdin for "-", up to transfer.MaxFileSize.
func (a *app) readImportFile(path string) ([]byte, error) {
	if path != "-" {
		return transfer.ReadFile(path)
	}
	data, err := io.ReadAll(io.LimitReader(a.stdin, transfer.MaxFileSize+1))
	if err != nil {
		return nil, roster.Errorf(roster.EINVALID, "read stdin: %v", err)
	}
	return data, nil
}
