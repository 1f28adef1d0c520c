package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/pflag"
)

// backupSchedule is the part of `roster serve` that makes backups while it
// runs: --backup-dir DIR --backup-every 24h --backup-keep 14.
type backupSchedule struct {
	dir   string
	every time.Duration
	keep  int
}

func (b *backupSchedule) name() string { return "backups" }

func (b *backupSchedule) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&b.dir, "backup-dir", "", "make backups into this folder while serving")
	fs.DurationVar(&b.every, "backup-every", 24*time.Hour, "time between backups")
	fs.IntVar(&b.keep, "backup-keep", 14, "keep the newest N backups in --backup-dir (0: keep all)")
}

func (b *backupSchedule) enabled() bool { return b.dir != "" }

// retryAfter is how soon a failed backup is tried again (or sooner, when
// backups are more frequent than that).
const retryAfter = 10 * time.Minute

// checkFlags refuses a schedule that makes no sense, before serve starts.
func (b *backupSchedule) checkFlags() error {
	if b.every < time.Minute {
		return usageError{fmt.Errorf("--backup-every must be at least 1m, got %s", b.every)}
	}
	if b.keep < 0 {
		return usageError{fmt.Errorf("--backup-keep must be 0 or more")}
	}
	return nil
}

// run makes a backup when one is due (the folder holds none younger than
// --backup-every), then every --backup-every. A failed backup is
// logged and tried again later; it never stops the server.
func (b *backupSchedule) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	dest := b.dir + string(filepath.Separator)
	// Due now, unless the folder holds a backup younger than --backup-every
	// (serve restarted, say).
	due := time.Now()
	if list, err := store.ListBackups(b.dir); err == nil && len(list) > 0 {
		due = list[0].Made.Add(b.every)
	}
	log.Info("backups scheduled", "dir", b.dir, "every", b.every, "keep", b.keep, "next", due.Round(time.Second))
	timer := time.NewTimer(time.Until(due))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		res, err := db.Backup(roster.SystemActor("backup"), store.BackupOptions{Dest: dest, Keep: b.keep, Every: b.every})
		if err != nil {
			wait := min(retryAfter, b.every)
			log.Error("backup failed", "err", roster.ErrorMessage(err), "detail", err, "retry_in", wait)
			timer.Reset(wait)
			continue
		}
		log.Info("backup made", "path", res.Path, "size", res.Size, "users", res.Users,
			"took", res.Took.Round(time.Millisecond), "held", res.Held.Round(time.Millisecond), "removed", len(res.Removed))
		if res.Warning != "" {
			log.Warn("backup", "warning", res.Warning)
		}
		timer.Reset(time.Until(res.Made.Add(b.every)))
	}
}
