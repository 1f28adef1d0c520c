package main

import (
	"context"
	"log/slog"

	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/pflag"
)

// mailWorker is the part of `roster serve` that sends the outbox (and,
// with no SMTP server configured, runs the dev mailbox). It reads the mail
// settings (--smtp and friends, the environment, the config file) when it
// starts. --mail-worker=false leaves sending to another roster process.
type mailWorker struct {
	a     *app
	on    bool
	flags *pflag.FlagSet
}

func (m *mailWorker) name() string { return "mail worker" }

func (m *mailWorker) addFlags(fs *pflag.FlagSet) {
	m.flags = fs // cobra merges the root's persistent mail flags into it before run
	fs.BoolVar(&m.on, "mail-worker", true, "send queued mail from this process (false: another roster process does)")
}

func (m *mailWorker) enabled() bool { return m.on }

// run sends until ctx is cancelled.
func (m *mailWorker) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	cfg, err := m.a.mailConfig(m.flags)
	if err != nil {
		return err
	}
	mailer, err := mail.New(db, cfg, log)
	if err != nil {
		return err
	}
	log.Info("sending mail", "to", mailer.Mode(), "connections", cfg.Connections)
	return mailer.Run(ctx)
}
