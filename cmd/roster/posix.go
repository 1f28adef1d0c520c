package main

import (
	"encoding/json"
	"fmt"

	"github.com/roster-dev/roster"
	"github.com/spf13/cobra"
)

// posixEdit holds the Linux account flags of `roster users edit`.
type posixEdit struct {
	uidNumber uint32
	shell     string
}

func (p *posixEdit) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Uint32Var(&p.uidNumber, "uid-number", 0, "new Linux uid (free, and in the uid range of `roster posix`)")
	f.StringVar(&p.shell, "shell", "", "new login shell, an absolute path (\"\" for the default)")
}

func (p *posixEdit) apply(cmd *cobra.Command, upd *roster.UserUpdate) {
	if cmd.Flags().Changed("uid-number") {
		upd.UIDNumber = &p.uidNumber
	}
	if cmd.Flags().Changed("shell") {
		upd.Shell = &p.shell
	}
}

func (a *app) posixCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "posix [--json]",
		Short: "Show how users and groups look as Linux accounts (uid/gid ranges, home, shell)",
		Args:  knownSubcommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			s, err := db.PosixSettings(a.actor())
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{
					"uid_range": s.UIDs.String(), "gid_range": s.GIDs.String(),
					"home": s.HomeTemplate, "shell": s.DefaultShell, "primary_gid": s.PrimaryGID,
				})
			}
			fmt.Fprintf(a.stdout, "uid range    %s\ngid range    %s\nhome         %s\nshell        %s\nprimary gid  %d\n",
				s.UIDs, s.GIDs, s.HomeTemplate, s.DefaultShell, s.PrimaryGID)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(a.posixSetCmd())
	return cmd
}

func (a *app) posixSetCmd() *cobra.Command {
	var uids, gids, home, shell string
	var primary uint32
	cmd := &cobra.Command{
		Use:   "set [--uid-range LO-HI] [--gid-range LO-HI] [--home TEMPLATE] [--shell PATH] [--primary-gid N]",
		Short: "Change the Linux account settings (owners only)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			s, err := db.PosixSettings(a.actor())
			if err != nil {
				return err
			}
			f := cmd.Flags()
			if f.Changed("uid-range") {
				if s.UIDs, err = roster.ParseIDRange("uid-range", uids); err != nil {
					return err
				}
			}
			if f.Changed("gid-range") {
				if s.GIDs, err = roster.ParseIDRange("gid-range", gids); err != nil {
					return err
				}
			}
			if f.Changed("home") {
				s.HomeTemplate = home
			}
			if f.Changed("shell") {
				s.DefaultShell = shell
			}
			if f.Changed("primary-gid") {
				s.PrimaryGID = primary
			}
			if err := db.SetPosixSettings(a.actor(), s); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, "saved; numbers already handed out stay as they are")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&uids, "uid-range", "", "range new users' uid numbers come from, like 10000-59999")
	f.StringVar(&gids, "gid-range", "", "range new groups' gid numbers come from")
	f.StringVar(&home, "home", "", "home folder template; {username} is replaced")
	f.StringVar(&shell, "shell", "", "login shell of users without one of their own")
	f.Uint32Var(&primary, "primary-gid", 0, "every user's primary group (gidNumber); 100 is the machines' own \"users\" group")
	return cmd
}
