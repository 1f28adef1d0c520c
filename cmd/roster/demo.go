package main

import (
	"fmt"
	"time"

	"github.com/roster-dev/roster/demo"
	"github.com/spf13/cobra"
)

func (a *app) demoCmd() *cobra.Command {
	var users, groups int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "demo --users N [--groups K] [--seed S]",
		Short: "Fill the database with realistic fake users for trying Roster out",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if users < 1 || users > 10_000_000 {
				return usageError{fmt.Errorf("--users must be between 1 and 10000000")}
			}
			if groups < 0 {
				return usageError{fmt.Errorf("--groups must be 0 or more")}
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			start := time.Now()
			plan := demo.Make(users, groups, seed)
			if err := db.LoadDemo(a.actor(), plan, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "added %d demo users in %d groups in %s\n", users, len(plan.Groups), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().IntVar(&users, "users", 50, "how many users")
	cmd.Flags().IntVar(&groups, "groups", 8, "how many groups")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed: the same seed gives the same users")
	return cmd
}
