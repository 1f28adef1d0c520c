package mail

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Mailer is what the TUI, the CLI and the invitation site call: it queues
// mail through the store with the Composer's templates, wakes its Worker,
// and reports progress. Run it (Run) in every roster process that queues
// mail; several processes may run one each on the same database.
type Mailer struct {
	DB       *store.DB
	Composer *Composer
	Worker   *Worker
	cfg      Config
}

// New checks cfg and builds a Mailer for db. Nothing touches the network
// until Run.
func New(db *store.DB, cfg Config, log *slog.Logger) (*Mailer, error) {
	if err := cfg.Normalize(); err != nil {
		return nil, err
	}
	c, err := NewComposer(cfg)
	if err != nil {
		return nil, err
	}
	w, err := NewWorker(db, cfg, log)
	if err != nil {
		return nil, err
	}
	return &Mailer{DB: db, Composer: c, Worker: w, cfg: cfg}, nil
}

// Run sends the outbox until ctx is cancelled (see Worker.Run).
func (m *Mailer) Run(ctx context.Context) error { return m.Worker.Run(ctx) }

// Mode says where mail goes: "dev mailbox" or the SMTP URL without secrets.
func (m *Mailer) Mode() string { return m.Worker.Mode() }

// DevMailbox reports whether mail goes to the built-in dev mailbox.
func (m *Mailer) DevMailbox() bool { return m.Worker.DevMailbox() }

// Warnings says what in the settings makes relays refuse the mail or
// spam filters flag it (see Config.Warnings).
func (m *Mailer) Warnings() []string { return m.cfg.Warnings() }

// BaseURL returns the base of links, without a trailing slash.
func (m *Mailer) BaseURL() string { return m.cfg.BaseURL }

// OrgName returns the organisation people are invited to.
func (m *Mailer) OrgName() string { return m.cfg.OrgName }

func (m *Mailer) options() store.MailOptions {
	return store.MailOptions{TTL: m.cfg.TTL, Render: m.Composer.Render}
}

// Invite queues invitations (store.DB.InviteUsers) and wakes the worker.
// Follow the returned Jobs with Progress.
func (m *Mailer) Invite(actor roster.Actor, ids []uint64) (store.Queued, error) {
	q, err := m.DB.InviteUsers(actor, ids, m.options())
	if err == nil && len(q.Jobs) > 0 {
		m.Worker.Wake()
	}
	return q, err
}

// QueueResets queues password-reset mail (store.DB.QueueResets).
func (m *Mailer) QueueResets(actor roster.Actor, ids []uint64) (store.Queued, error) {
	q, err := m.DB.QueueResets(actor, ids, m.options())
	if err == nil && len(q.Jobs) > 0 {
		m.Worker.Wake()
	}
	return q, err
}

// mailActor is the mail worker's actor: it reads the outbox it sends.
var mailActor = roster.SystemActor("mail")

// RequestReset is the invitation site's "forgot password"
// (store.DB.RequestReset); it implements web.Resetter.
func (m *Mailer) RequestReset(_ context.Context, email string) error {
	err := m.DB.RequestReset(roster.SystemActor("web"), email, m.options())
	if err == nil {
		m.Worker.Wake()
	}
	return err
}

// SendTest queues a test message to address and returns its job.
func (m *Mailer) SendTest(actor roster.Actor, address string) (uint64, error) {
	body, err := m.Composer.RenderTest(address, strings.TrimPrefix(actor.Name, "os:"))
	if err != nil {
		return 0, roster.FieldErrorf(roster.EINVALID, "address", "%v", err)
	}
	id, err := m.DB.QueueTestMail(actor, address, body)
	if err == nil {
		m.Worker.Wake()
	}
	return id, err
}

// Progress counts the jobs per state (store.DB.JobCounts).
func (m *Mailer) Progress(jobs []uint64) (store.JobCounts, error) {
	return m.DB.JobCounts(mailActor, jobs)
}

// Wait polls the jobs until none is queued or being sent, except those
// deferred for a later retry, calling progress (if not nil) after every
// poll. It returns the last counts; ctx ends the wait early.
func (m *Mailer) Wait(ctx context.Context, jobs []uint64, every time.Duration, progress func(store.JobCounts)) (store.JobCounts, error) {
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		c, err := m.DB.JobCounts(mailActor, jobs)
		if err != nil {
			return c, err
		}
		if progress != nil {
			progress(c)
		}
		if c.Pending() == c.Deferred {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-t.C:
		}
	}
}
