package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
)

// usersLinkCmd is `roster users link USER`: a one-time set-password link
// for offices without mail.
func (a *app) usersLinkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "link USER",
		Short: "Print a one-time link that lets USER set a password (no mail sent)",
		Long: `Link issues a one-time set-password link for USER and prints it, for offices
without mail: hand it over in person or by chat. A Pending user becomes Active
when they set a password through it; an Active user gets a new password.

The link replaces the user's previous link (an invitation or reset sent
earlier stops working), stays valid 24 hours unless --invite-ttl says
otherwise, and works once. Its address starts with --base-url (or base_url in
the configuration file; default http://127.0.0.1:8080), which must be where
'roster serve --http' is reachable. Issuing it is audited.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.mailConfig(cmd.Flags())
			if err != nil {
				return err
			}
			if err := cfg.Normalize(); err != nil {
				return err
			}
			db, u, err := a.openUser(args[0])
			if err != nil {
				return err
			}
			purpose := roster.TokenReset
			if u.Status == roster.StatusPending {
				purpose = roster.TokenInvite
			}
			raw, t, err := db.IssueLink(a.actor(), u.ID, purpose, cfg.TTL)
			if err != nil {
				if u.IsService() && roster.ErrorCode(err) == roster.EFORBIDDEN {
					return roster.Errorf(roster.EFORBIDDEN, "%s; %s", roster.ErrorMessage(err), generateHint(u.Username))
				}
				return err
			}
			fmt.Fprintf(a.stdout, "%s/invite/%s\n", cfg.BaseURL, raw)
			fmt.Fprintf(a.stderr, "one-time %s link for %s (%s), valid until %s; it replaces any earlier link\n",
				purpose, u.Username, u.Email, t.ExpiresAt.Local().Format(time.DateTime))
			return nil
		},
	}
}

// usersResetCmd is `roster users reset USER...`: password-reset mail.
func (a *app) usersResetCmd() *cobra.Command {
	var noWait bool
	cmd := &cobra.Command{
		Use:   "reset USER...",
		Short: "Send password-reset mail to Active users and wait until it is delivered",
		Long: `Reset mails each Active user a one-time link to set a new password (valid
24 hours unless --invite-ttl says otherwise; it replaces any earlier link).
Pending users need an invitation instead ('roster invite'); disabled users and
addresses that bounced are refused. It waits until every mail is delivered or
has failed, like 'roster invite'; the exit status is 1 when any failed or was
refused.`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			ids, err := findUserIDs(db, a.actor(), args)
			if err != nil {
				return err
			}
			m, stop, err := a.startMailer(cmd, db, !noWait)
			if err != nil {
				return err
			}
			defer stop()
			q, err := m.QueueResets(a.actor(), ids)
			if err != nil {
				return err
			}
			printRefused(a.stderr, q.Skipped)
			if noWait {
				fmt.Fprintf(a.stdout, "%d reset mails queued (%s)\n", len(q.Jobs), m.Mode())
				if len(q.Skipped) > 0 {
					return errors.New(plural(len(q.Skipped), "user") + " refused")
				}
				return nil
			}
			return a.waitAndReport(cmd.Context(), m, "reset mail", q)
		},
	}
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "queue the mail and return; a running 'roster serve' or TUI sends it")
	return cmd
}

// printRefused lists the users a bulk mail left out, with how to give a
// service account a new password instead.
func printRefused(w io.Writer, skipped []roster.Skipped) {
	for _, sk := range skipped {
		if sk.Reason == store.SkipService {
			fmt.Fprintf(w, "refused %s: %s; %s\n", sk.Target, sk.Reason, generateHint(sk.Target))
			continue
		}
		fmt.Fprintf(w, "refused %s: %s\n", sk.Target, sk.Reason)
	}
}

func generateHint(username string) string {
	return "give it a new password with: roster users password " + username + " --generate"
}
