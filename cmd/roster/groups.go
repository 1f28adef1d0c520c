package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

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
			if asJSON {
				type groupJSON struct {
					ID          uint64 `json:"id"`
					Name        string `json:"name"`
					Description string `json:"description"`
					Members     int    `json:"members"`
					GIDNumber   uint32 `json:"gid_number"`
				}
				out := make([]groupJSON, len(groups))
				for i, g := range groups {
					out[i] = groupJSON{g.ID, g.Name, g.Description, g.Members, g.GIDNumber}
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tMEMBERS\tDESCRIPTION")
			for _, g := range groups {
				fmt.Fprintf(tw, "%s\t%d\t%s\n", g.Name, g.Members, g.Description)
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

	cmd.AddCommand(add, list, rename, del)
	return cmd
}
