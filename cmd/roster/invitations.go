package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// recentInvitations is how far back `invitations list` shows closed
// invitations (accepted, revoked, replaced) without --all.
const recentInvitations = 30 * 24 * time.Hour

func (a *app) invitationsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "invitations",
		Short: "List and revoke invitations",
		Args:  knownSubcommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.invitationsListCmd(), a.invitationsRevokeCmd())
	return cmd
}

func (a *app) invitationsListCmd() *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "list [--all] [--json]",
		Short: "List open invitations and those of the last 30 days, newest first",
		Long: `List shows each invitation link: address, who sent it, when, until when it
works, and its state: queued, sent, failed, bounced (the mail), link (handed
over without mail), expired, accepted, revoked, or replaced by a newer one.
Open invitations (live or expired) are always listed: an expired one stays
until the user is invited again, activated or deleted. Closed ones are listed
for 30 days, or always with --all.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			since := db.Now().Add(-recentInvitations)
			if all {
				since = time.Time{}
			}
			list, err := db.Invitations(a.actor(), since)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONList(a.stdout, list)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USERNAME\tE-MAIL\tSENT BY\tSENT\tEXPIRES\tSTATE")
			for _, inv := range list {
				state := inv.State
				if inv.Detail != "" {
					state += ": " + inv.Detail
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", inv.Username, inv.Email, inv.SentBy,
					inv.SentAt.Local().Format(time.DateTime), inv.ExpiresAt.Local().Format(time.DateTime), state)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.Flags().BoolVar(&all, "all", false, "also closed invitations older than 30 days")
	return cmd
}

func (a *app) invitationsRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke USER",
		Short: "Revoke USER's live invitation: its link stops working",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, u, err := a.openUser(args[0])
			if err != nil {
				return err
			}
			if err := db.RevokeInvitation(a.actor(), u.ID); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "revoked the invitation of %s (%s)\n", u.Username, u.Email)
			return nil
		},
	}
}
