package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/roster-dev/roster/mail"
	rostersh "github.com/roster-dev/roster/ssh"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/tui"
	"github.com/spf13/pflag"
)

// sshServer is the part of `roster serve` that serves the terminal app
// over SSH: --ssh ADDR (off unless given), --ssh-idle-timeout,
// --ssh-max-sessions, --ssh-max-sessions-per-user. Users sign in with the keys registered on them
// (roster users keys add); the host key lives next to the database.
type sshServer struct {
	a           *app // nil: no mail settings, and the app's mail actions are hidden
	addr        string
	idleTimeout time.Duration
	maxSessions int
	maxPerUser  int
	flags       *pflag.FlagSet
	metrics     *metricsServer
}

// sshShutdownGrace is how long open sessions get to say goodbye on SIGTERM.
const sshShutdownGrace = 10 * time.Second

func (s *sshServer) name() string { return "ssh" }

func (s *sshServer) addFlags(fs *pflag.FlagSet) {
	s.flags = fs
	fs.StringVar(&s.addr, "ssh", "", `serve the terminal app over SSH on this address, such as ":2222" (off unless given)`)
	fs.DurationVar(&s.idleTimeout, "ssh-idle-timeout", rostersh.DefaultIdleTimeout, "close SSH sessions after this long without a key press")
	fs.IntVar(&s.maxSessions, "ssh-max-sessions", rostersh.DefaultMaxSessions,
		fmt.Sprintf("refuse SSH sessions beyond this many at once; the last %d are kept for owners", rostersh.DefaultOwnerReserve))
	fs.IntVar(&s.maxPerUser, "ssh-max-sessions-per-user", rostersh.DefaultMaxPerUser,
		"refuse a user's SSH sessions beyond this many at once (config file: ssh_max_sessions_per_user)")
}

func (s *sshServer) enabled() bool { return s.addr != "" }

// checkFlags refuses limits that make no sense, before serve starts.
func (s *sshServer) checkFlags() error {
	if s.idleTimeout < time.Second {
		return usageError{fmt.Errorf("--ssh-idle-timeout must be at least 1s, got %s", s.idleTimeout)}
	}
	if s.maxSessions < 1 {
		return usageError{fmt.Errorf("--ssh-max-sessions must be at least 1, got %d", s.maxSessions)}
	}
	return s.resolveMaxPerUser()
}

// run serves until ctx is cancelled, then tells open sessions and stops
// within sshShutdownGrace.
func (s *sshServer) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	services, err := s.services(db, log)
	if err != nil {
		return err
	}
	cfg := rostersh.Config{
		IdleTimeout:        s.idleTimeout,
		MaxSessions:        s.maxSessions,
		MaxSessionsPerUser: s.maxPerUser,
		Log:                log,
		App:                rostersh.TerminalApp(db, services),
	}
	if m := s.metrics.sink(); m != nil {
		cfg.Observer = m
	}
	srv, err := rostersh.New(db, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.addr, err)
	}
	if srv.HostKeyCreated() {
		log.Info("ssh host key created", "path", srv.HostKeyPath())
	}
	log.Info("ssh listening", "addr", ln.Addr().String(), "host_key", srv.HostKeyPath(), "fingerprint", srv.Fingerprint(),
		"idle_timeout", s.idleTimeout, "max_sessions", s.maxSessions, "max_sessions_per_user", s.maxPerUser,
		"kept_for_owners", srv.OwnerReserve())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), sshShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// resolveMaxPerUser takes ssh_max_sessions_per_user from the
// configuration file unless the flag is given, and checks the value.
func (s *sshServer) resolveMaxPerUser() error {
	if f := s.flags.Lookup("ssh-max-sessions-per-user"); f == nil || !f.Changed {
		file, err := readConfigFile(s.flags)
		if err != nil {
			return err
		}
		if file.SSHMaxSessionsPerUser != 0 {
			if file.SSHMaxSessionsPerUser < 1 {
				return usageError{fmt.Errorf("ssh_max_sessions_per_user in the configuration file must be at least 1, got %d", file.SSHMaxSessionsPerUser)}
			}
			s.maxPerUser = file.SSHMaxSessionsPerUser
		}
	}
	if s.maxPerUser < 1 {
		return usageError{fmt.Errorf("--ssh-max-sessions-per-user must be at least 1, got %d", s.maxPerUser)}
	}
	return nil
}

// services plugs the mail actions into the app, when mail is configured
// as for the invitation site. The mail worker sends what they queue.
func (s *sshServer) services(db *store.DB, log *slog.Logger) (tui.Services, error) {
	if s.a == nil {
		return tui.Services{}, nil
	}
	cfg, err := s.a.mailConfig(s.flags)
	if err != nil {
		return tui.Services{}, err
	}
	mailer, err := mail.New(db, cfg, log)
	if err != nil {
		return tui.Services{}, err
	}
	services := tuiServices(mailer, cfg, "")
	// A member's "send me a reset link" is the site's "forgot password"
	// for their own address.
	services.RequestReset = func(email string) error { return mailer.RequestReset(context.Background(), email) }
	return services, nil
}
