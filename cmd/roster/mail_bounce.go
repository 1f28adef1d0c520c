package main

import (
	"errors"
	"fmt"

	"github.com/roster-dev/roster/mail"
	"github.com/spf13/cobra"
)

// exitTempFail asks a mail system's pipe to deliver the message again
// later (EX_TEMPFAIL of sysexits.h).
const exitTempFail = 75

func (a *app) mailBounceCmd() *cobra.Command {
	var maildir string
	cmd := &cobra.Command{
		Use:   "bounce [--maildir DIR]",
		Short: "Read a bounce from standard input (or a Maildir's new mail) and block the address it names",
		Long: `Bounce reads one message on standard input, as a mail system's pipe hands it
over (for example the alias  roster-bounces: "|roster mail bounce --db /var/lib/roster/roster.db"),
or, with --maildir, every new message of a Maildir. A bounce Roster recognises
(an RFC 3464 delivery report, or the text forms of Gmail, Exchange and qmail)
for mail it sent marks the invitation bounced, blocks the address with the
remote server's words, revokes the link, and is audited; a temporary failure
is recorded only.

From standard input, a message that is not a recognised bounce exits 1 (the
mail system then returns it to its postmaster: nothing is lost); a database
that cannot be written exits 75 (the mail system tries again later). In a
Maildir, every message read moves from new/ to cur/, marked seen when it was
applied and unseen otherwise; nothing is deleted.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return statusError{err, exitTempFail}
			}
			if maildir != "" {
				applied, left, err := mail.ScanMaildir(db, maildir, nil, nil)
				fmt.Fprintf(a.stdout, "%d bounces applied, %d messages left unread in %s\n", applied, left, maildir)
				return err
			}
			res, err := mail.ApplyBounce(db, a.stdin)
			for _, r := range res {
				fmt.Fprintln(a.stdout, r)
			}
			switch {
			case errors.Is(err, mail.ErrNotBounce):
				return fmt.Errorf("left to the mail system: %w", err)
			case err != nil:
				return statusError{err, exitTempFail}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&maildir, "maildir", "", "read the new messages of this Maildir instead of standard input")
	return cmd
}
