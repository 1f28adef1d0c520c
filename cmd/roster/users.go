package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
)

func (a *app) usersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Add, list, edit and change users",
		Args:  knownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		a.usersAddCmd(),
		a.usersListCmd(),
		a.usersEditCmd(),
		a.usersStatusCmd("activate", roster.StatusActive, "activated"),
		a.usersStatusCmd("disable", roster.StatusDisabled, "disabled"),
		a.usersDeleteCmd(),
		a.usersGroupCmd("add-group", true),
		a.usersGroupCmd("remove-group", false),
		a.usersKeysCmd(),
		a.usersLinkCmd(), a.usersResetCmd(),
		a.usersPasswordCmd(), a.usersSignInsCmd(),
	)
	return cmd
}

func (a *app) usersAddCmd() *cobra.Command {
	var n roster.NewUser
	var role, expires, service string
	cmd := &cobra.Command{
		Use:   "add --username U [--name N] [--given-name G] [--surname S] --email E [--role R] [--group G]... [--expires YYYY-MM-DD] | --service NAME [--name N]",
		Short: "Add a user (Pending until they accept an invitation), or a service account (Active at once)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := roster.ParseRole(role)
			if err != nil {
				return err
			}
			n.Role = r
			if n.ExpiresAt, err = roster.ParseExpiry(expires, time.Local); err != nil {
				return err
			}
			if cmd.Flags().Changed("service") {
				if cmd.Flags().Changed("username") {
					return usageError{fmt.Errorf("--service names the account; give it without --username")}
				}
				return a.addService(n, service)
			}
			db, err := a.openDB()
			if err != nil {
				return err
			}
			u, err := db.CreateUser(a.actor(), n)
			if err != nil {
				return err
			}
			if u.Name == "" {
				fmt.Fprintf(a.stdout, "added %s (%s), pending; they give their name when they set their password\n", u.Username, u.Email)
				return nil
			}
			fmt.Fprintf(a.stdout, "added %s (%s, %s), pending\n", u.Username, u.Name, u.Email)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&n.Username, "username", "", "login name: a–z, 0–9, '.', '_', '-' (required)")
	f.StringVar(&n.Name, "name", "", "full name (default: given name and surname; leave all out to let the invitee give it when setting a password)")
	f.StringVar(&n.GivenName, "given-name", "", "first name (optional; LDAP givenName)")
	f.StringVar(&n.Surname, "surname", "", "last name (optional; LDAP sn)")
	f.StringVar(&n.Email, "email", "", "e-mail address (required)")
	f.StringVar(&role, "role", "member", "owner, admin or member")
	f.StringArrayVar(&n.Groups, "group", nil, "group to join (repeat for more)")
	f.StringVar(&expires, "expires", "", "disable the account on this date (YYYY-MM-DD, local time)")
	f.StringVar(&service, "service", "", "add a service account of this username: no e-mail needed, Active at once, in directory-readers unless --group")
	return cmd
}

func (a *app) usersListCmd() *cobra.Command {
	var status, group, search, sortBy string
	var asJSON, desc bool
	var lf lifecycleFilter
	cmd := &cobra.Command{
		Use:   "list [--status S] [--group G] [--search TEXT] [--kind K] [--expiring 30d] [--inactive 90d] [--json]",
		Short: "List users, alphabetical by name",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			f, err := parseUserFilter(db, a.actor(), status, group)
			if err != nil {
				return err
			}
			f.Search, f.Desc = search, desc
			byLogin := strings.EqualFold(sortBy, "last-login")
			if !byLogin {
				if f.Sort, err = roster.ParseUserSort(sortBy); err != nil {
					return err
				}
			}
			users, err := db.ListUsers(a.actor(), f)
			if err != nil {
				return err
			}
			if users, err = lf.apply(users, db.Now()); err != nil {
				return err
			}
			if byLogin {
				sortByLastLogin(users, desc)
			}
			groupName, err := groupNamer(db, a.actor())
			if err != nil {
				return err
			}
			if asJSON {
				return writeUsersJSON(a.stdout, users, groupName)
			}
			return writeUsersTable(a.stdout, users, groupName)
		},
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only users in this status: pending, active or disabled")
	f.StringVar(&group, "group", "", "only members of this group, directly or through a group nested in it")
	f.StringVar(&search, "search", "", "only users whose username, name or e-mail contains TEXT")
	f.StringVar(&sortBy, "sort", "name", "order: name, username, email, status, created or last-login (newest first)")
	lf.flags(f)
	f.BoolVar(&desc, "desc", false, "reverse the order")
	f.BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

// parseUserFilter reads the --status and --group flags shared by commands that select users.
func parseUserFilter(db *store.DB, actor roster.Actor, status, group string) (roster.UserFilter, error) {
	var f roster.UserFilter
	if status != "" {
		st, err := roster.ParseStatus(status)
		if err != nil {
			return f, err
		}
		f.Status = st
	}
	if group != "" {
		g, err := db.Group(actor, group)
		if err != nil {
			return f, err
		}
		f.GroupID = g.ID
	}
	return f, nil
}

// groupNamer returns a function from group id to name.
func groupNamer(db *store.DB, actor roster.Actor) (func(uint64) string, error) {
	groups, err := db.Groups(actor)
	if err != nil {
		return nil, err
	}
	names := make(map[uint64]string, len(groups))
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	return func(id uint64) string {
		if n, ok := names[id]; ok {
			return n
		}
		return "#" + strconv.FormatUint(id, 10)
	}, nil
}

func writeUsersJSON(w interface{ Write([]byte) (int, error) }, users []*roster.User, groupName func(uint64) string) error {
	bw := bufio.NewWriter(w)
	records := make([]roster.UserRecord, len(users))
	for i, u := range users {
		records[i] = u.Record(groupName)
	}
	enc := json.NewEncoder(bw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(records); err != nil {
		return err
	}
	return bw.Flush()
}

func writeUsersTable(w interface{ Write([]byte) (int, error) }, users []*roster.User, groupName func(uint64) string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tNAME\tE-MAIL\tROLE\tSTATUS\tGROUPS\tEXPIRES\tLAST SIGN-IN")
	for _, u := range users {
		groups := make([]string, len(u.GroupIDs))
		for i, id := range u.GroupIDs {
			groups[i] = groupName(id)
		}
		email := u.Email
		if u.IsService() {
			email = "(service)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, nameCell(u), email, u.Role, u.Status, strings.Join(groups, ","),
			roster.FormatExpiry(u.ExpiresAt, time.Local), lastLoginText(u))
	}
	return tw.Flush()
}

// nameCell is a user's name in a table: a name not given yet says so.
func nameCell(u *roster.User) string {
	if u.Name == "" {
		return "(not given yet)"
	}
	return u.Name
}

func (a *app) usersEditCmd() *cobra.Command {
	var name, givenName, surname, email, role, username, expires string
	var posix posixEdit
	cmd := &cobra.Command{
		Use:   "edit USER [--name N] [--given-name G] [--surname S] [--email E] [--role R] [--username U] [--uid-number N] [--shell PATH] [--expires YYYY-MM-DD|none]",
		Short: "Change a user's name (or its parts), e-mail, role, username, uid number, login shell or expiry date",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, u, err := a.openUser(args[0])
			if err != nil {
				return err
			}
			var upd roster.UserUpdate
			if cmd.Flags().Changed("name") {
				upd.Name = &name
			}
			if cmd.Flags().Changed("given-name") {
				upd.GivenName = &givenName
			}
			if cmd.Flags().Changed("surname") {
				upd.Surname = &surname
			}
			if cmd.Flags().Changed("email") {
				upd.Email = &email
			}
			if cmd.Flags().Changed("username") {
				upd.Username = &username
			}
			if cmd.Flags().Changed("role") {
				r, err := roster.ParseRole(role)
				if err != nil {
					return err
				}
				upd.Role = &r
			}
			posix.apply(cmd, &upd)
			if cmd.Flags().Changed("expires") {
				at, err := roster.ParseExpiry(expires, time.Local)
				if err != nil {
					return err
				}
				upd.ExpiresAt = &at
			}
			u, err = db.UpdateUser(a.actor(), u.ID, upd)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: %s, %s, %s\n", u.Username, nameCell(u), u.Email, u.Role)
			if cmd.Flags().Changed("given-name") || cmd.Flags().Changed("surname") {
				fmt.Fprintf(a.stdout, "%s: given name %q, surname %q\n", u.Username, u.GivenName, u.Surname)
			}
			if cmd.Flags().Changed("expires") {
				fmt.Fprintf(a.stdout, "%s: %s\n", u.Username, expiryLine(u))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "new full name")
	f.StringVar(&givenName, "given-name", "", "new first name (\"\" removes it)")
	f.StringVar(&surname, "surname", "", "new last name (\"\" removes it)")
	f.StringVar(&email, "email", "", "new e-mail address")
	f.StringVar(&role, "role", "", "new role: owner, admin or member")
	f.StringVar(&username, "username", "", "new username")
	f.StringVar(&expires, "expires", "", "disable the account on this date (YYYY-MM-DD, local time), or none")
	posix.flags(cmd)
	return cmd
}

func (a *app) usersStatusCmd(use string, status roster.Status, verb string) *cobra.Command {
	return &cobra.Command{
		Use:   use + " USER...",
		Short: strings.ToUpper(use[:1]) + use[1:] + " users (by username or e-mail)",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.bulk(args, verb, func(db *store.DB, ids []uint64) (roster.BulkResult, error) {
				return db.SetStatus(a.actor(), ids, status)
			})
		},
	}
}

func (a *app) usersDeleteCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete USER... [--yes]",
		Short: "Delete users (asks first on a terminal; --yes otherwise)",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				if !a.isTerminal() {
					return usageError{fmt.Errorf("refusing to delete without --yes when not on a terminal")}
				}
				ok, err := a.confirm(fmt.Sprintf("Delete %d user(s): %s? [y/N] ", len(args), strings.Join(args, ", ")))
				if err != nil || !ok {
					fmt.Fprintln(a.stdout, "nothing deleted")
					return err
				}
			}
			return a.bulk(args, "deleted", func(db *store.DB, ids []uint64) (roster.BulkResult, error) {
				return db.DeleteUsers(a.actor(), ids)
			})
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask")
	return cmd
}

func (a *app) usersGroupCmd(use string, add bool) *cobra.Command {
	var group string
	verb, short := "added to ", "Add users to a group"
	if !add {
		verb, short = "removed from ", "Remove users from a group"
	}
	cmd := &cobra.Command{
		Use:   use + " --group G USER...",
		Short: short,
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if group == "" {
				return usageError{fmt.Errorf("--group is required")}
			}
			return a.bulk(args, verb+group, func(db *store.DB, ids []uint64) (roster.BulkResult, error) {
				if add {
					return db.AddToGroup(a.actor(), ids, group)
				}
				return db.RemoveFromGroup(a.actor(), ids, group)
			})
		},
	}
	cmd.Flags().StringVar(&group, "group", "", "the group (required)")
	return cmd
}

// openUser opens the database and finds the user named by ref (a username
// or an e-mail address), for the commands that act on one user.
func (a *app) openUser(ref string) (*store.DB, *roster.User, error) {
	db, err := a.openDB()
	if err != nil {
		return nil, nil, err
	}
	u, err := db.FindUser(a.actor(), ref)
	return db, u, err
}

// findUserIDs resolves user references (usernames or e-mail addresses) to
// ids; the first unknown one fails the call, naming it.
func findUserIDs(db *store.DB, actor roster.Actor, refs []string) ([]uint64, error) {
	users, err := db.FindUsers(actor, refs)
	if err != nil {
		return nil, err
	}
	ids := make([]uint64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids, nil
}

// bulk resolves user references, runs op and prints its summary. A user
// skipped for a refusal (not one already in the state asked for) makes the
// command fail, even when others changed.
func (a *app) bulk(refs []string, verb string, op func(*store.DB, []uint64) (roster.BulkResult, error)) error {
	db, err := a.openDB()
	if err != nil {
		return err
	}
	ids, err := findUserIDs(db, a.actor(), refs)
	if err != nil {
		return err
	}
	res, err := op(db, ids)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, res.Summary(verb))
	for _, s := range res.Skipped {
		fmt.Fprintf(a.stderr, "  skipped %s: %s\n", s.Target, s.Reason)
	}
	refused := 0
	for _, s := range res.Skipped {
		if !strings.HasPrefix(s.Reason, "already") && !strings.HasPrefix(s.Reason, "not in") {
			refused++
		}
	}
	switch {
	case refused > 0 && len(res.Changed) == 0:
		return roster.Errorf(roster.EFORBIDDEN, "nothing changed")
	case refused > 0:
		// A script must not take a partial delete for a whole one.
		return roster.Errorf(roster.EFORBIDDEN, "%s skipped", plural(refused, "user"))
	}
	return nil
}

// confirm asks a yes/no question on the terminal.
func (a *app) confirm(question string) (bool, error) {
	fmt.Fprint(a.stdout, question)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "y" || ans == "yes", nil
}
