package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/roster-dev/roster/metrics"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"
)

// serveComponent is one part of `roster serve`: the invitation site, the
// mail worker, the SSH server, the directory, the backup schedule, the
// metrics. Each
// lives in its own file (serve_*.go), registers its own flags, and runs
// until ctx is cancelled; returning nil then is a clean stop.
type serveComponent interface {
	name() string
	addFlags(fs *pflag.FlagSet)
	enabled() bool
	run(ctx context.Context, db *store.DB, log *slog.Logger) error
}

// flagChecker is a serveComponent that can refuse its flags before serve
// starts anything (a usageError).
type flagChecker interface {
	checkFlags() error
}

// serveComponents lists the parts of `roster serve`, in start order.
func (a *app) serveComponents() []serveComponent {
	ms := &metricsServer{m: metrics.New()}
	mw := &mailWorker{a: a, metrics: ms}
	return []serveComponent{
		ms,
		&backupSchedule{},
		&webSite{a: a, resets: mw, metrics: ms},
		mw,
		&bounceReader{metrics: ms},
		&sshServer{a: a, metrics: ms},
		&directoryServer{metrics: ms},
		&lifecycleSweep{mail: mw},
	}
}

func (a *app) serveCmd() *cobra.Command {
	components := a.serveComponents()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run Roster's servers: invitation site, mail worker, SSH, directory, backups",
		Long: `Serve runs, in one process, every part of Roster that others reach over the
network or that works in the background. It runs until SIGTERM or SIGINT and
then stops each part cleanly.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openDB()
			if err != nil {
				return err
			}
			// Every part's flags first: a mistake stops serve before any part starts.
			for _, c := range components {
				if fc, ok := c.(flagChecker); ok && c.enabled() {
					if err := fc.checkFlags(); err != nil {
						return err
					}
				}
			}
			log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			defer announce(db, "roster serve", log)()
			// Keep the file open while no other roster process uses it
			// (store/owner.go); a second serve on the same file shares it.
			if owns, err := db.Own(); err != nil {
				log.Warn("the database file is opened per transaction", "why", err)
			} else if owns {
				defer db.Disown()
			}
			g, ctx := errgroup.WithContext(cmd.Context())
			var running []string
			for _, c := range components {
				if !c.enabled() {
					continue
				}
				running = append(running, c.name())
				g.Go(func() error {
					if err := c.run(ctx, db, log.With("part", c.name())); err != nil && !errors.Is(err, context.Canceled) {
						return fmt.Errorf("%s: %w", c.name(), err)
					}
					return nil
				})
			}
			if len(running) == 0 {
				return usageError{errors.New("nothing to serve: give at least one of the listen flags (see roster serve --help)")}
			}
			log.Info("roster serving", "db", db.Path(), "parts", strings.Join(running, ", "), "pid", os.Getpid())
			err = g.Wait()
			log.Info("roster stopped")
			return err
		},
	}
	for _, c := range components {
		c.addFlags(cmd.Flags())
	}
	return cmd
}
