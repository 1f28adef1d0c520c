package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/pflag"
)

// bouncePoll is how often `roster serve` looks for new bounces.
const bouncePoll = 10 * time.Second

// bounceReader is the part of `roster serve` that reads bounces that come
// back by mail: from an IMAP mailbox (--bounce-mailbox) and/or a Maildir
// (--bounce-maildir).
type bounceReader struct {
	maildir, mailbox, passwordFile, caFile string
	metrics                                *metricsServer
}

// observe counts a late bounce in the same counter as the relay's
// immediate ones, when metrics are served.
func (b *bounceReader) observe(r mail.BounceResult) {
	if m := b.metrics.sink(); m != nil && r.Err == nil {
		m.LateBounce(r.Outcome)
	}
}

func (b *bounceReader) name() string { return "bounce reader" }

func (b *bounceReader) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&b.maildir, "bounce-maildir", os.Getenv("ROSTER_BOUNCE_MAILDIR"),
		"read bounces from this Maildir's new mail every 10 s (env ROSTER_BOUNCE_MAILDIR)")
	fs.StringVar(&b.mailbox, "bounce-mailbox", os.Getenv("ROSTER_BOUNCE_MAILBOX"),
		"read bounces from this IMAP mailbox every 10 s: imaps://user@host/INBOX, or imap:// with STARTTLS (env ROSTER_BOUNCE_MAILBOX; password in ROSTER_BOUNCE_PASSWORD or --bounce-password-file)")
	fs.StringVar(&b.passwordFile, "bounce-password-file", os.Getenv("ROSTER_BOUNCE_PASSWORD_FILE"),
		"file holding the bounce mailbox's password (env ROSTER_BOUNCE_PASSWORD_FILE)")
	fs.StringVar(&b.caFile, "bounce-ca-file", os.Getenv("ROSTER_BOUNCE_CA_FILE"),
		"PEM file of certificate authorities to trust for the bounce mailbox (env ROSTER_BOUNCE_CA_FILE)")
}

func (b *bounceReader) enabled() bool { return b.maildir != "" || b.mailbox != "" }

// imapMailbox reads the --bounce-mailbox settings, or returns ok false.
func (b *bounceReader) imapMailbox() (m mail.BounceMailbox, ok bool, err error) {
	if b.mailbox == "" {
		return m, false, nil
	}
	if m, err = mail.ParseBounceMailbox(b.mailbox); err != nil {
		return m, false, err
	}
	m.CAFile = b.caFile
	if pw := os.Getenv("ROSTER_BOUNCE_PASSWORD"); pw != "" {
		m.Password = pw
	} else if b.passwordFile != "" {
		pb, err := os.ReadFile(b.passwordFile)
		if err != nil {
			return m, false, roster.FieldErrorf(roster.EINVALID, "bounce-password-file", "read the bounce mailbox password: %v", err)
		}
		m.Password = strings.TrimRight(string(pb), "\r\n")
	}
	if m.Password == "" {
		return m, false, roster.FieldErrorf(roster.EINVALID, "bounce-mailbox", "no password for the bounce mailbox (ROSTER_BOUNCE_PASSWORD or --bounce-password-file)")
	}
	return m, true, nil
}

func (b *bounceReader) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	imapBox, useIMAP, err := b.imapMailbox()
	if err != nil {
		return err
	}
	if useIMAP {
		log.Info("reading bounces", "mailbox", imapBox.String())
	}
	if b.maildir != "" {
		log.Info("reading bounces", "maildir", b.maildir)
	}
	t := time.NewTicker(bouncePoll)
	defer t.Stop()
	for {
		if useIMAP {
			applied, left, err := mail.PollIMAP(db, imapBox, log, b.observe)
			logScan(log, "bounce mailbox", applied, left, err)
		}
		if b.maildir != "" {
			applied, left, err := mail.ScanMaildir(db, b.maildir, log, b.observe)
			logScan(log, "bounce maildir", applied, left, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func logScan(log *slog.Logger, what string, applied, left int, err error) {
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		log.Error(what, "err", err)
	case applied+left > 0:
		log.Info("bounces read", "from", what, "applied", applied, "left", left)
	}
}
