package main

import (
	"context"
	"errors"
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
// accounts with no sign-in for that long (checked every hour).
type lifecycleSweep struct {
	inactive string
	flags    *pflag.FlagSet // serve's, for --config once parsed
}

func (l *lifecycleSweep) name() string { return "lifecycle" }

func (l *lifecycleSweep) addFlags(fs *pflag.FlagSet) {
	l.flags = fs
	fs.StringVar(&l.inactive, "disable-after-inactive", "", `disable active accounts with no sign-in for this long, e.g. 180d (config: disable_after_inactive; default: never)`)
}

// enabled: expiry dates always apply while serving.
func (l *lifecycleSweep) enabled() bool { return true }

// Sweep periods.
const (
	expiryEvery  = time.Minute
	dormantEvery = time.Hour
)

func (l *lifecycleSweep) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	policy := l.inactive
	if policy == "" {
		var err error
		if policy, err = inactivityPolicy(l.flags); err != nil {
			return err
		}
	}
	var inactive time.Duration
	if policy != "" {
		d, err := roster.ParseDays(policy)
		if err != nil {
			return usageError{errors.New("disable-after-inactive: " + roster.ErrorMessage(err))}
		}
		inactive = d
		log.Info("inactivity policy", "disable_after", policy)
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

// inactivityPolicy reads disable_after_inactive from the configuration
// file.
func inactivityPolicy(flags *pflag.FlagSet) (string, error) {
	file, err := readConfigFile(flags)
	return file.DisableAfterInactive, err
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
