package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/roster-dev/roster"
	"github.com/spf13/cobra"
)

func (a *app) groupsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "Add, list, rename and delete groups",
		Args:  knownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var description string
	add := &cobra.Command{
		Use:   "add NAME [--description D]",
		Short: "Add a group",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			g, err := db.CreateGroup(a.actor(), args[0], description)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "added group %s\n", g.Name)
			return nil
		},
	}
	add.Flags().StringVar(&description, "description", "", "what the group is for")

	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List groups with their member counts",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			groups, err := db.Groups(a.actor())
			if err != nil {
				return err
			}
			nest := roster.NewNesting(groups)
			nameOf := groupNames(groups)
			managers, err := managerNames(db, a.actor(), groups)
			if err != nil {
				return err
			}
			if asJSON {
				type groupJSON struct {
					ID          uint64   `json:"id"`
					Name        string   `json:"name"`
					Description string   `json:"description"`
					Members     int      `json:"members"`
					GIDNumber   uint32   `json:"gid_number"`
					Groups      []string `json:"groups"`    // nested directly in it
					In          []string `json:"nested_in"` // groups it is nested in directly
					Managers    []string `json:"managers"`  // usernames
				}
				out := make([]groupJSON, len(groups))
				for i, g := range groups {
					out[i] = groupJSON{g.ID, g.Name, g.Description, g.Members, g.GIDNumber,
						nameOf(nest.Children(g.ID)), nameOf(nest.Parents(g.ID)), managers[g.ID]}
				}
				return writeJSON(a.stdout, out)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tMEMBERS\tIN\tMANAGERS\tDESCRIPTION")
			orDash := func(names []string) string {
				if len(names) == 0 {
					return "-"
				}
				return strings.Join(names, ",")
			}
			for _, g := range groups {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", g.Name, g.Members, orDash(nameOf(nest.Parents(g.ID))), orDash(managers[g.ID]), g.Description)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")

	rename := &cobra.Command{
		Use:   "rename OLD NEW",
		Short: "Rename a group",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			g, err := db.UpdateGroup(a.actor(), args[0], args[1], nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "renamed %s to %s\n", args[0], g.Name)
			return nil
		},
	}

	var removeMembers bool
	del := &cobra.Command{
		Use:   "delete NAME [--remove-members]",
		Short: "Delete a group (one with members only with --remove-members)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			if err := db.DeleteGroup(a.actor(), args[0], removeMembers); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "deleted group %s\n", args[0])
			return nil
		},
	}
	del.Flags().BoolVar(&removeMembers, "remove-members", false, "also remove the group's memberships")

	cmd.AddCommand(add, list, rename, del, a.nestCmd(true), a.nestCmd(false), a.managersCmd())
	return cmd
}

// nestCmd is "groups nest CHILD --in PARENT" or "groups unnest CHILD --from PARENT".
func (a *app) nestCmd(nest bool) *cobra.Command {
	use, flag, short := "nest CHILD --in PARENT", "in", "Put a group inside another: its members become members of the other too"
	if !nest {
		use, flag, short = "unnest CHILD --from PARENT", "from", "Take a group out of another"
	}
	var parent string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if parent == "" {
				return usageError{fmt.Errorf("%s needs --%s PARENT", cmd.CommandPath(), flag)}
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			if nest {
				if err := db.NestGroup(a.actor(), args[0], parent); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "nested %s in %s\n", args[0], parent)
				return nil
			}
			if err := db.UnnestGroup(a.actor(), args[0], parent); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "took %s out of %s\n", args[0], parent)
			return nil
		},
	}
	cmd.Flags().StringVar(&parent, flag, "", "the group that holds it")
	return cmd
}

// groupNames returns a function from group ids to their names, sorted.
func groupNames(groups []*roster.Group) func([]uint64) []string {
	byID := make(map[uint64]string, len(groups))
	for _, g := range groups {
		byID[g.ID] = g.Name
	}
	return func(ids []uint64) []string {
		out := make([]string, 0, len(ids))
		for _, id := range ids {
			out = append(out, byID[id])
		}
		slices.Sort(out)
		return out
	}
}
