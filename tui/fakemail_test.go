package tui

import (
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// fakeMail is a Mailer that sends nothing: Invite calls its hook (nil:
// nothing changed), each changed user gets a job, and every job reports
// sent at once. For tests of what the app does around invitations, not of
// mail.
type fakeMail struct {
	invite func(roster.Actor, []uint64) (roster.BulkResult, error)
	dev    bool // says mail goes to the dev mailbox
}

func (f fakeMail) Invite(a roster.Actor, ids []uint64) (store.Queued, error) {
	if f.invite == nil {
		return store.Queued{}, nil
	}
	r, err := f.invite(a, ids)
	q := store.Queued{BulkResult: r}
	for i := range r.Changed {
		q.Jobs = append(q.Jobs, uint64(i+1))
	}
	return q, err
}

func (f fakeMail) QueueResets(roster.Actor, []uint64) (store.Queued, error) {
	return store.Queued{}, nil
}

func (fakeMail) Progress(jobs []uint64) (store.JobCounts, error) {
	return store.JobCounts{Total: len(jobs), Sent: len(jobs)}, nil
}
func (f fakeMail) DevMailbox() bool { return f.dev }

func (f fakeMail) Mode() string {
	if f.dev {
		return "dev mailbox"
	}
	return "test mail"
}
func (fakeMail) BaseURL() string { return "http://127.0.0.1:9" }
