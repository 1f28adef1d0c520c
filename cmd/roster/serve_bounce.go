package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/pflag"
)

// bouncePoll is how often `roster serve` looks for new bounces.
const bouncePoll = 10 * time.Second

// bounceReader is the part of `roster serve` that reads bounces that come
// back by mail, from a Maildir (--bounce-maildir).
type bounceReader struct {
	maildir string
}

func (b *bounceReader) name() string { return "bounce reader" }

func (b *bounceReader) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&b.maildir, "bounce-maildir", os.Getenv("ROSTER_BOUNCE_MAILDIR"),
		"read bounces from this Maildir's new mail every 10 s (env ROSTER_BOUNCE_MAILDIR)")
}

func (b *bounceReader) enabled() bool { return b.maildir != "" }

func (b *bounceReader) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	log.Info("reading bounces", "maildir", b.maildir)
	t := time.NewTicker(bouncePoll)
	defer t.Stop()
	for {
		applied, left, err := mail.ScanMaildir(db, b.maildir, log)
		if err != nil {
			log.Error("bounce maildir", "err", err)
		} else if applied+left > 0 {
			log.Info("bounces read", "applied", applied, "left", left)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
