package main

import (
	"fmt"
	"strings"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
)

// managersCmd is "groups managers add|remove|list": who manages a group
// (a manager acts for the members of that group and of the groups nested
// in it; see the README).
func (a *app) managersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "managers",
		Short: "Make users managers of a group, or list them",
		Args:  knownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	set := func(manage bool) *cobra.Command {
		use, short, done := "add GROUP USER", "Make USER a manager of GROUP", "%s now manages %s\n"
		if !manage {
			use, short, done = "remove GROUP USER", "Make USER no longer a manager of GROUP", "%s no longer manages %s\n"
		}
		return &cobra.Command{
			Use:   use,
			Short: short,
			Args:  exactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				db, err := a.openDB()
				if err != nil {
					return err
				}
				u, err := db.FindUser(a.actor(), args[1])
				if err != nil {
					return err
				}
				if err := db.SetManager(a.actor(), args[0], u.ID, manage); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, done, u.Username, args[0])
				return nil
			},
		}
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list GROUP [--json]",
		Short: "List the managers of GROUP",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			g, err := db.Group(a.actor(), args[0])
			if err != nil {
				return err
			}
			names := make([]string, 0, len(g.Managers))
			for _, id := range g.Managers {
				u, err := db.User(a.actor(), id)
				if err != nil {
					return err
				}
				names = append(names, u.Username)
			}
			if asJSON {
				return writeJSONList(a.stdout, names)
			}
			if len(names) > 0 {
				fmt.Fprintln(a.stdout, strings.Join(names, "\n"))
			}
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of usernames")
	cmd.AddCommand(set(true), set(false), list)
	return cmd
}

// groupSection is the export's groups section: every group with its
// description, parents and managers by username.
func groupSection(db *store.DB, actor roster.Actor) ([]roster.GroupRecord, error) {
	groups, err := db.Groups(actor)
	if err != nil {
		return nil, err
	}
	var lookupErr error
	records := roster.GroupRecords(groups, func(id uint64) string {
		u, err := db.User(actor, id)
		if err != nil {
			lookupErr = err
			return ""
		}
		return u.Username
	})
	return records, lookupErr
}

// managerNames gives each group's managers by username ([] for none).
func managerNames(db *store.DB, actor roster.Actor, groups []*roster.Group) (map[uint64][]string, error) {
	username := map[uint64]string{}
	out := make(map[uint64][]string, len(groups))
	for _, g := range groups {
		names := []string{}
		for _, id := range g.Managers {
			if _, ok := username[id]; !ok {
				u, err := db.User(actor, id)
				if roster.ErrorCode(err) == roster.ENOTFOUND {
					username[id] = "" // out of the actor's sight
				} else if err != nil {
					return nil, fmt.Errorf("manager of %s: %w", g.Name, err)
				} else {
					username[id] = u.Username
				}
			}
			if username[id] != "" {
				names = append(names, username[id])
			}
		}
		out[g.ID] = names
	}
	return out, nil
}
