package main

import (
	"fmt"
	"io"

	"github.com/roster-dev/roster/transfer"
	"github.com/spf13/cobra"
)

func (a *app) exportCmd() *cobra.Command {
	var format, status, group string
	var bom, withGroups bool
	cmd := &cobra.Command{
		Use:   "export [--format csv|json] [--status S] [--group G] [--groups] [FILE]",
		Short: "Write users to a CSV or JSON file (stdout without FILE)",
		Long: `Export writes the users the filter selects, alphabetical by name, with the
fields of 'roster users list --json': id, username, name, email, role, groups,
status and the times. It never writes password hashes or tokens.

CSV joins a user's groups with ';'. A value a spreadsheet would run as a
formula (starting with = + - or @) gets a leading quote, which 'roster import'
takes off again. A FILE is written readable only by you (0600), through a
temporary file, so a failure leaves an older file as it was. Without
--format, a FILE ending in .json gets JSON and anything else CSV.

With --groups (JSON only) the file is an object: "groups" lists every group
with its description, the groups it is nested in ("parents") and its managers;
"users" is the array as above. 'roster import' creates those groups, nests them
and makes the managers.

'roster import' reads both formats back into the same users.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("%s takes at most one FILE", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			opts := transfer.ExportOptions{BOM: bom}
			switch {
			case cmd.Flags().Changed("format"):
				f, err := transfer.ParseFormat(format)
				if err != nil {
					return usageError{err}
				}
				opts.Format = f
			case path != "":
				opts.Format = transfer.FormatForPath(path)
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			f, err := parseUserFilter(db, a.actor(), status, group)
			if err != nil {
				return err
			}
			users, err := db.ListUsers(a.actor(), f)
			if err != nil {
				return err
			}
			groupName, err := groupNamer(db, a.actor())
			if err != nil {
				return err
			}
			if withGroups {
				if opts.Format != transfer.FormatJSON {
					return usageError{fmt.Errorf("--groups needs the JSON format (--format json, or a FILE ending in .json)")}
				}
				if opts.Groups, err = groupSection(db, a.actor()); err != nil {
					return err
				}
			}
			write := func(w io.Writer) error { return transfer.Export(w, users, groupName, opts) }
			if path == "" {
				return write(a.stdout)
			}
			if err := transfer.WriteFile(path, write); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "exported %d users to %s (%s)\n", len(users), path, opts.Format)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "csv", "csv or json")
	fl.StringVar(&status, "status", "", "only users in this status: pending, active or disabled")
	fl.StringVar(&group, "group", "", "only members of this group")
	fl.BoolVar(&bom, "bom", false, "start a CSV file with a byte-order mark (Excel then reads accents right)")
	fl.BoolVar(&withGroups, "groups", false, "also write the groups: descriptions, nesting and managers (JSON only)")
	return cmd
}
