package main

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
)

// addCompletions makes the shells complete names from the database: users
// where a command's usage names USER, groups for groups' NAME or OLD and
// for every --group flag, and --user and --status. Cobra's own
// `roster completion bash|zsh|fish|powershell` writes the scripts.
func (a *app) addCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		args := strings.Fields(c.Use)
		user := slices.IndexFunc(args, func(s string) bool { return s == "USER" || s == "USER..." })
		switch {
		case user > 0:
			c.ValidArgsFunction = a.completeFirst(args[user] == "USER...", a.userNames)
		case c.Parent() != nil && c.Parent().Name() == "groups" && len(args) > 1 && (args[1] == "NAME" || args[1] == "OLD") && c.Name() != "add":
			c.ValidArgsFunction = a.completeFirst(false, a.groupNames)
		}
		if c.Flags().Lookup("group") != nil {
			_ = c.RegisterFlagCompletionFunc("group", a.completeWith(a.groupNames))
		}
		if c.Flags().Lookup("user") != nil {
			_ = c.RegisterFlagCompletionFunc("user", a.completeWith(a.userNames))
		}
		if c.Flags().Lookup("status") != nil {
			_ = c.RegisterFlagCompletionFunc("status", cobra.FixedCompletions([]string{"pending", "active", "disabled"}, cobra.ShellCompDirectiveNoFileComp))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

type completionFunc = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective)

// completeFirst completes the first argument with names(), or every
// argument when many is set, leaving out names already given.
func (a *app) completeFirst(many bool, names func() []string) completionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 && !many {
			return nil, cobra.ShellCompDirectiveDefault
		}
		var out []cobra.Completion
		for _, n := range names() {
			if strings.HasPrefix(n, strings.ToLower(toComplete)) && !contains(args, n) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func (a *app) completeWith(names func() []string) completionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return a.completeFirst(true, names)(cmd, nil, toComplete)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// completionDB opens the database for completion, but never creates one:
// a shell pressing Tab must not leave files behind.
func (a *app) completionDB() *store.DB {
	path := a.dbPath
	if path == "" {
		p, err := store.DefaultPath()
		if err != nil {
			return nil
		}
		path = p
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) || err != nil {
		return nil
	}
	db, err := a.openDB()
	if err != nil {
		return nil
	}
	return db
}

func (a *app) userNames() []string {
	db := a.completionDB()
	if db == nil {
		return nil
	}
	users, err := db.AllUsers(a.actor())
	if err != nil {
		return nil
	}
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.Username
	}
	return names
}

func (a *app) groupNames() []string {
	db := a.completionDB()
	if db == nil {
		return nil
	}
	groups, err := db.Groups(a.actor())
	if err != nil {
		return nil
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	return names
}
