package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/pflag"
)

// mailWorker is the part of `roster serve` that sends the outbox (and,
// with no SMTP server configured, runs the dev mailbox). It reads the mail
// settings (--smtp and friends, the environment, the config file) when it
// starts. --mail-worker=false leaves sending to another roster process.
type mailWorker struct {
	a       *app
	on      bool
	flags   *pflag.FlagSet
	metrics *metricsServer

	once   sync.Once
	mailer *mail.Mailer
	err    error
}

// build makes the mailer once, from the settings parsed by then.
func (m *mailWorker) build(db *store.DB, log *slog.Logger) (*mail.Mailer, error) {
	m.once.Do(func() {
		cfg, err := m.a.mailConfig(m.flags)
		if err != nil {
			m.err = err
			return
		}
		m.mailer, m.err = mail.New(db, cfg, log)
		if ms := m.metrics.sink(); ms != nil && m.mailer != nil {
			m.mailer.Worker.Observe = ms.MailResult
		}
	})
	return m.mailer, m.err
}

// RequestReset queues a "forgot password" mail; it implements web.Resetter
// for the invitation site of the same `roster serve` (wire it as the
// webSite's resets). It works with --mail-worker=false too: the mail waits
// in the outbox for the process that sends.
func (m *mailWorker) RequestReset(ctx context.Context, email string) error {
	db, err := m.a.openDB()
	if err != nil {
		return err
	}
	mailer, err := m.build(db, nil)
	if err != nil {
		return err
	}
	return mailer.RequestReset(ctx, email)
}

func (m *mailWorker) name() string { return "mail worker" }

func (m *mailWorker) addFlags(fs *pflag.FlagSet) {
	m.flags = fs // cobra merges the root's persistent mail flags into it before run
	fs.BoolVar(&m.on, "mail-worker", true, "send queued mail from this process (false: another roster process does)")
}

func (m *mailWorker) enabled() bool { return m.on }

// run sends until ctx is cancelled.
func (m *mailWorker) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	mailer, err := m.build(db, log)
	if err != nil {
		return err
	}
	log.Info("sending mail", "to", mailer.Mode())
	for _, w := range mailer.Warnings() {
		log.Warn("mail settings", "warning", w)
	}
	return mailer.Run(ctx)
}
