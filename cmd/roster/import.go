package main

import (
	"fmt"
	"io"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/transfer"
	"github.com/spf13/cobra"
)

func (a *app) importCmd() *cobra.Command {
	var opts transfer.Options
	var onDuplicate string
	var dryRun, invite bool
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
or stops the import (fail). FILE "-" reads stdin.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := transfer.ParseOnDuplicate(onDuplicate)
			if err != nil {
				return usageError{err}
			}
			opts.OnDuplicate = d
			if invite {
				if err := a.canInvite(); err != nil {
					return err
				}
			}
			data, err := a.readImportFile(args[0])
			if err != nil {
				return err
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			opts.Actor = a.actor()
			opts.Source = args[0]
			if args[0] == "-" {
				opts.Source = "stdin"
			}
			report, err := transfer.Preview(db, data, opts)
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
			if invite && len(res.Created) > 0 {
				return a.inviteImported(db, res.CreatedIDs())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dryRun, "dry-run", false, "check the file and show the report; write nothing")
	f.BoolVar(&invite, "invite", false, "queue invitations for the new users")
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

// canInvite checks, before anything is written, that invitations can be
// queued after the import.
//
// TODO(mail): InviteUsers needs a RenderFunc from the mail configuration;
// wire it here once cmd/roster builds one.
func (a *app) canInvite() error {
	return roster.Errorf(roster.EUNAVAILABLE, "--invite is not available yet in this build: import without it and send the invitations from the TUI")
}

// inviteImported queues invitations for the users an import created.
func (a *app) inviteImported(db *store.DB, ids []uint64) error {
	return a.canInvite()
}
