package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Mailer is the mail system the terminal app drives: it queues invitation
// and reset mail, reports the jobs' progress and says where mail goes.
// *mail.Mailer implements it.
type Mailer interface {
	// Invite queues invitations and returns the jobs (store.DB.InviteUsers).
	Invite(actor roster.Actor, ids []uint64) (store.Queued, error)
	// QueueResets queues password-reset mail (store.DB.QueueResets).
	QueueResets(actor roster.Actor, ids []uint64) (store.Queued, error)
	// Progress counts the jobs per state.
	Progress(jobs []uint64) (store.JobCounts, error)
	// Mode says where mail goes: "dev mailbox" or the SMTP URL without secrets.
	Mode() string
	// DevMailbox reports whether mail goes to the built-in dev mailbox.
	DevMailbox() bool
	// BaseURL is the base of the links in mail, without a trailing slash.
	BaseURL() string
}

// ProgressEvery is how often the invitation progress bar polls the jobs.
const ProgressEvery = 200 * time.Millisecond

// mailKind is what a mailScreen sends.
type mailKind int

const (
	mailInvite mailKind = iota
	mailReset
)

// mailActions are the actions menu's entries for mail, when Services.Mail is set.
func mailActions() []Action {
	return []Action{
		{
			Label:    "Send invitation",
			LabelFor: inviteLabel,
			Skip:     func(c *Common, u *roster.User) string { return store.InviteSkip(c.Actor, u) },
			Open:     func(c *Common, ids []uint64) (screen, tea.Cmd) { return newMailScreen(c, ids, mailInvite), nil },
		},
		{
			Label: "Send password reset",
			Skip:  func(c *Common, u *roster.User) string { return store.ResetSkip(c.Actor, u) },
			Open:  func(c *Common, ids []uint64) (screen, tea.Cmd) { return newMailScreen(c, ids, mailReset), nil },
		},
		{
			Label:  "Set-password link",
			Single: true,
			Skip:   opSkip(roster.OpIssueLink),
			Open: func(c *Common, ids []uint64) (screen, tea.Cmd) {
				if len(ids) != 1 {
					return nil, func() tea.Msg { return say("A set-password link is for one user at a time: select one", true) }
				}
				return newLinkScreen(c, ids[0]), nil
			},
		},
		{
			Label: "Unblock mail", Verb: "unblocked",
			Skip: func(c *Common, u *roster.User) string {
				if !u.Suppressed {
					return "mail is not blocked"
				}
				return maySkip(c, roster.OpUnblockMail, u)
			},
			Question: func(who, _ string) string { return "Let mail go to " + who + " again?" },
			Run: func(c *Common, ids []uint64, _ string) (roster.BulkResult, error) {
				return c.DB.UnblockMail(c.Actor, ids)
			},
		},
	}
}

// inviteLabel says "Re-send invitation" only when every user it would go
// to was sent one before.
func inviteLabel(c *Common, ids []uint64) string {
	if resending(c, ids) {
		return "Re-send invitation"
	}
	return "Send invitation"
}

// resending reports whether every user an invitation would go to was sent
// one before (and at least one would get it).
func resending(c *Common, ids []uint64) bool {
	if c.snap == nil {
		return false
	}
	n := 0
	for _, id := range ids {
		i, ok := c.snap.indexOf(id)
		if !ok {
			continue
		}
		u := c.snap.user(i)
		if store.InviteSkip(c.Actor, u) != "" {
			continue
		}
		if !sentBefore(u) {
			return false
		}
		n++
	}
	return n > 0
}

// sentBefore reports whether an invitation to u left for their address
// (it may have expired or bounced since); one only queued, or that failed
// to send, does not count.
func sentBefore(u *roster.User) bool {
	if u.InvitedAt.IsZero() {
		return false
	}
	return u.Delivery == roster.DeliverySent || u.Delivery == roster.DeliveryBounced
}
