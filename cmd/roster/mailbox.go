package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
)

func (a *app) mailboxCmd() *cobra.Command {
	var asJSON, clear bool
	var limit int
	var to string
	cmd := &cobra.Command{
		Use:   "mailbox [--to ADDRESS] [--limit N] [--json]",
		Short: "Show the built-in dev mailbox: the mail Roster sent while no SMTP server was configured",
		Long: `With no SMTP server configured, Roster delivers its mail to a dev mailbox of
its own and keeps it in the database. This lists it, newest first, with the
link each message carries, so the invitation flow can be tried on a fresh
machine. The links are live one-time links: treat them as secrets.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			if clear {
				if err := db.ClearMailbox(a.actor()); err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, "the dev mailbox is empty")
				return nil
			}
			var msgs []*store.MailboxMessage
			if to != "" {
				msgs, err = db.MailboxFor(a.actor(), to, limit)
			} else {
				msgs, err = db.MailboxMessages(a.actor(), limit, false)
			}
			if err != nil {
				return err
			}
			if asJSON {
				if msgs == nil {
					msgs = []*store.MailboxMessage{}
				}
				return writeJSON(a.stdout, msgs)
			}
			if len(msgs) == 0 {
				fmt.Fprintln(a.stdout, "the dev mailbox is empty")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RECEIVED\tTO\tSUBJECT\tLINK")
			for _, m := range msgs {
				rcpt := ""
				if len(m.To) > 0 {
					rcpt = m.To[0]
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.ReceivedAt.Local().Format("2006-01-02 15:04:05"), rcpt, oneLine(m.Subject), m.Link)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON, with each message's text")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many messages (0: all)")
	cmd.Flags().StringVar(&to, "to", "", "only messages to this address")
	cmd.Flags().BoolVar(&clear, "clear", false, "empty the dev mailbox")
	return cmd
}

// oneLine keeps a header value on one line of a table.
func oneLine(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			r = ' '
		}
		out = append(out, r)
	}
	return string(out)
}
