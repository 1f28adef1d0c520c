package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/pflag"
)

// lifecycleSweep is the part of `roster serve` that disables accounts on
// their expiry date (checked every minute: one read of a small index) and,
// with --disable-after-inactive or disable_after_inactive in config.toml,
// accounts with no sign-in for that long (checked every hour), after a
// warning mail --warn-before-disable ahead when an SMTP server is set.
type lifecycleSweep struct {
	inactive string
	warn     string
	flags    *pflag.FlagSet // serve's, for --config once parsed
	mail     *mailWorker    // builds the mailer for the warnings
}

func (l *lifecycleSweep) name() string { return "lifecycle" }

func (l *lifecycleSweep) addFlags(fs *pflag.FlagSet) {
	l.flags = fs
	fs.StringVar(&l.inactive, "disable-after-inactive", "", `disable active accounts with no sign-in for this long, e.g. 180d (config: disable_after_inactive; default: never)`)
	fs.StringVar(&l.warn, "warn-before-disable", "", `mail people this long before the inactivity policy disables them, once; needs an SMTP server (config: warn_before_disable; default: 14d; none: never)`)
}

// defaultWarnBefore is how long before the inactivity policy disables
// someone they are warned by mail, unless set.
const defaultWarnBefore = 14 * 24 * time.Hour

// enabled: expiry dates always apply while serving.
func (l *lifecycleSweep) enabled() bool { return true }

// Sweep periods.
const (
	expiryEvery  = time.Minute
	dormantEvery = time.Hour
)

func (l *lifecycleSweep) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	file, err := readConfigFile(l.flags)
	if err != nil {
		return err
	}
	policy := cmp.Or(l.inactive, file.DisableAfterInactive)
	var inactive time.Duration
	if policy != "" {
		d, err := roster.ParseDays(policy)
		if err != nil {
			return usageError{errors.New("disable-after-inactive: " + roster.ErrorMessage(err))}
		}
		inactive = d
		log.Info("inactivity policy", "disable_after", policy)
	}
	warn, err := l.warnings(cmp.Or(l.warn, file.WarnBeforeDisable), inactive, db, log)
	if err != nil {
		return err
	}
	actor := roster.SystemActor("serve")
	var lastDormant time.Time
	tick := time.NewTicker(expiryEvery)
	defer tick.Stop()
	for {
		span := time.Duration(0)
		if inactive > 0 && time.Since(lastDormant) >= dormantEvery {
			span, lastDormant = inactive, time.Now()
		}
		if span > 0 && warn != nil {
			if warned, err := warn(); err != nil {
				log.Error("warn before disabling", "err", roster.ErrorMessage(err))
			} else if len(warned) > 0 {
				log.Info("warned by mail before disabling", "users", strings.Join(warned, ","))
			}
		}
		res, err := db.DisableDue(actor, span)
		switch {
		case err != nil:
			log.Error("disable due accounts", "err", roster.ErrorMessage(err))
		case len(res.Expired)+len(res.Dormant)+len(res.Kept) > 0:
			log.Info("accounts disabled", "expired", strings.Join(res.Expired, ","), "dormant", strings.Join(res.Dormant, ","),
				"kept_last_owner", strings.Join(res.Kept, ","))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// warnings returns what queues the warning mail before the inactivity
// policy disables someone, or nil when there is no policy, the warning is
// off ("none", "0") or no SMTP server is set (the dev mailbox reaches
// nobody).
func (l *lifecycleSweep) warnings(setting string, inactive time.Duration, db *store.DB, log *slog.Logger) (func() ([]string, error), error) {
	if inactive <= 0 {
		return nil, nil
	}
	before := defaultWarnBefore
	switch s := strings.TrimSpace(setting); {
	case s == "":
	case strings.EqualFold(s, "none") || s == "0":
		log.Info("no warning mail before disabling (warn_before_disable is none)")
		return nil, nil
	default:
		d, err := roster.ParseDays(s)
		if err != nil {
			return nil, usageError{errors.New("warn-before-disable: " + roster.ErrorMessage(err))}
		}
		before = d
	}
	if before >= inactive {
		return nil, usageError{fmt.Errorf("warn-before-disable (%s) must be shorter than disable-after-inactive", setting)}
	}
	mailer, err := l.mail.build(db, log)
	if err != nil {
		return nil, err
	}
	if mailer.DevMailbox() {
		log.Info("no warning mail before disabling: no SMTP server is set")
		return nil, nil
	}
	actor := roster.SystemActor("serve")
	return func() ([]string, error) {
		return db.WarnDormant(actor, inactive, before, mailer.Composer.Render)
	}, nil
}

// expireWhileOpen disables accounts whose expiry date comes while a
// long-running process (the terminal app) is open; opening the file did it
// for the dates already past. Failures wait for the next minute.
func expireWhileOpen(ctx context.Context, db *store.DB) {
	tick := time.NewTicker(expiryEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_, _ = db.DisableDue(roster.SystemActor("expiry"), 0)
		}
	}
}
