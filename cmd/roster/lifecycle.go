package main

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// lifecycleFilter is the list's --kind, --expiring and --inactive flags.
type lifecycleFilter struct {
	kind, expiring, inactive string
}

func (lf *lifecycleFilter) flags(f *pflag.FlagSet) {
	f.StringVar(&lf.kind, "kind", "", "only accounts of this kind: person or service")
	f.StringVar(&lf.expiring, "expiring", "", "only accounts not disabled yet whose expiry date comes within this span (30d)")
	f.StringVar(&lf.inactive, "inactive", "", "only active accounts with no sign-in for this span (90d; never signed in counts from activation)")
}

// apply keeps the users the flags select.
func (lf *lifecycleFilter) apply(users []*roster.User, now time.Time) ([]*roster.User, error) {
	var keep []func(*roster.User) bool
	if lf.kind != "" {
		k, err := roster.ParseKind(lf.kind)
		if err != nil {
			return nil, usageError{err}
		}
		keep = append(keep, func(u *roster.User) bool { return u.Kind == k })
	}
	if lf.expiring != "" {
		d, err := roster.ParseDays(lf.expiring)
		if err != nil {
			return nil, usageError{fmt.Errorf("--expiring %w", err)}
		}
		keep = append(keep, func(u *roster.User) bool { return u.ExpiresWithin(now, d) })
	}
	if lf.inactive != "" {
		d, err := roster.ParseDays(lf.inactive)
		if err != nil {
			return nil, usageError{fmt.Errorf("--inactive %w", err)}
		}
		keep = append(keep, func(u *roster.User) bool { return u.InactiveFor(now, d) })
	}
	if len(keep) == 0 {
		return users, nil
	}
	return slices.DeleteFunc(users, func(u *roster.User) bool {
		for _, k := range keep {
			if !k(u) {
				return true
			}
		}
		return false
	}), nil
}

// sortByLastLogin orders users by their last sign-in, newest first (never
// signed in last), or the other way round with desc; ties by username.
func sortByLastLogin(users []*roster.User, desc bool) {
	slices.SortStableFunc(users, func(a, b *roster.User) int {
		c := b.LastLoginAt.Compare(a.LastLoginAt)
		if desc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.Username, b.Username))
	})
}

func lastLoginText(u *roster.User) string {
	if u.LastLoginAt.IsZero() {
		return ""
	}
	return u.LastLoginAt.Local().Format(time.DateTime)
}

func expiryLine(u *roster.User) string {
	if u.ExpiresAt.IsZero() {
		return "no expiry date"
	}
	return "disabled from " + u.ExpiresAt.Local().Format("2006-01-02 15:04 MST")
}

// generatePassword makes a password for u and approves it with the policy.
func generatePassword(username, email string) (string, password.Approved, error) {
	pw, err := password.Generate()
	if err != nil {
		return "", password.Approved{}, err
	}
	ok, err := password.Approve(pw, username, email, password.Hash)
	return pw, ok, err
}

// addService is `roster users add --service NAME`: the account is Active at
// once, and its generated password goes to stdout, once.
func (a *app) addService(n roster.NewUser, username string) error {
	n.Username = username
	if n.Name == "" {
		n.Name = username
	}
	n.Normalize()
	pw, ok, err := generatePassword(n.Username, n.Email)
	if err != nil {
		return err
	}
	db, err := a.openDB()
	if err != nil {
		return err
	}
	u, err := db.CreateService(a.actor(), n, ok)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "added service account %s (%s), active; its password follows, shown this once\n", u.Username, u.Name)
	fmt.Fprintln(a.stdout, pw)
	return nil
}

// usersPasswordCmd is `roster users password USER --generate`.
func (a *app) usersPasswordCmd() *cobra.Command {
	var generate bool
	cmd := &cobra.Command{
		Use:   "password USER --generate",
		Short: "Give USER a new generated password, printed once; their live links stop working",
		Long: `Password --generate sets a strong random password for USER (20 characters
that nobody misreads), prints it once on standard output, and revokes USER's
live invitation or reset link. A Pending person becomes Active. The password is
stored hashed only and never logged; the audit log records that it was
generated and by whom. USER can change it over LDAP password modify or a
reset mail.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !generate {
				return usageError{fmt.Errorf("give --generate: roster never takes a password on its command line (the user sets their own through a link)")}
			}
			db, u, err := a.openUser(args[0])
			if err != nil {
				return err
			}
			pw, ok, err := generatePassword(u.Username, u.Email)
			if err != nil {
				return err
			}
			u, err = db.SetGeneratedPassword(a.actor(), u.ID, ok)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "new password for %s (%s), shown this once; live links revoked\n", u.Username, u.Status)
			fmt.Fprintln(a.stdout, pw)
			return nil
		},
	}
	cmd.Flags().BoolVar(&generate, "generate", false, "generate the password (required)")
	return cmd
}

// usersSignInsCmd is `roster users sign-ins USER`: the last sign-ins with
// where from.
func (a *app) usersSignInsCmd() *cobra.Command {
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sign-ins USER [--limit N] [--json]",
		Short: "Show USER's last sign-ins (SSH, LDAP bind), newest first, with where from",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, u, err := a.openUser(args[0])
			if err != nil {
				return err
			}
			list, err := db.SignIns(a.actor(), u.ID, limit)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONList(a.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintf(a.stdout, "%s has never signed in\n", u.Username)
				return nil
			}
			for _, s := range list {
				fmt.Fprintf(a.stdout, "%s  %-4s  %s\n", s.At.Local().Format(time.DateTime), s.Via, s.From)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 5, "at most N sign-ins")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}
