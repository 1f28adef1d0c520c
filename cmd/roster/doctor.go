package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/roster-dev/roster/doctor"
	"github.com/roster-dev/roster/mail"
	rostersh "github.com/roster-dev/roster/ssh"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/tui"
	"github.com/spf13/cobra"
)

// errChecksFailed makes `roster doctor` exit 1 after printing its report.
var errChecksFailed = errors.New("some checks failed (✗ above)")

func (a *app) doctorCmd() *cobra.Command {
	var asJSON bool
	// The doctor takes every flag of `roster serve`, so that it checks what
	// that serve runs with: copy the service's arguments.
	components := a.serveComponents()
	cmd := &cobra.Command{
		Use:   "doctor [serve flags]",
		Short: "Check the database, mail relay, site, directory and SSH server, and say what to fix",
		Long: `Doctor checks this installation as roster serve would run it with the same
flags, environment and configuration file: the database file (mode, consistency,
schema, last backup), the mail relay (it answers, STARTTLS and its certificate,
the credentials, without sending mail; the greeting name and From domain), the
site (--base-url is not loopback when mail goes out, and it is this Roster on
this database), the directory and the SSH server.

Each check is one line: ✓ fine, ⚠ works but will surprise someone, ✗ broken,
with what to do. Exit status 0 when nothing is ✗, 1 otherwise.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.doctorConfig(cmd, components)
			if err != nil {
				return err
			}
			report := doctor.Run(cmd.Context(), cfg)
			if asJSON {
				err = report.WriteJSON(a.stdout)
			} else {
				err = report.WriteText(a.stdout)
			}
			if err != nil {
				return err
			}
			if report.Failed() {
				return errChecksFailed
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"ok": bool, "checks": [{"check","status","message","fix"}]}`)
	for _, c := range components {
		c.addFlags(cmd.Flags())
	}
	return cmd
}

// doctorConfig gathers what the checks look at. The database's mode is
// read before it is opened (opening tightens it), and a missing database
// is not created.
func (a *app) doctorConfig(cmd *cobra.Command, components []serveComponent) (doctor.Config, error) {
	cfg := doctor.Config{DBPath: a.dbPath, Actor: a.actor()}
	if cfg.DBPath == "" {
		p, err := store.DefaultPath()
		if err != nil {
			return cfg, err
		}
		cfg.DBPath = p
	}
	if abs, err := filepath.Abs(cfg.DBPath); err == nil {
		cfg.DBPath = abs
	}
	fi, err := os.Stat(cfg.DBPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return cfg, err
	default:
		cfg.DBMode = fi.Mode()
		if cfg.DB, err = a.openDB(); err != nil {
			return cfg, err
		}
	}
	if cfg.Mail, err = a.mailConfig(cmd.Flags()); err != nil {
		return cfg, err
	}
	for _, c := range components {
		switch c := c.(type) {
		case *webSite:
			cfg.HTTPAddr = c.addr
		case *directoryServer:
			cfg.LDAPAddr, cfg.LDAPSAddr, cfg.LDAPCert = c.addr, c.tlsAddr, c.certFile
		case *sshServer:
			cfg.SSHAddr = c.addr
			if c.addr != "" {
				cfg.HostKeyPath = filepath.Join(filepath.Dir(cfg.DBPath), rostersh.HostKeyFile)
			}
		case *bounceReader:
			cfg.Bounces.Maildir = c.maildir
			if m, ok, err := c.imapMailbox(); err != nil {
				cfg.Bounces.SettingsErr = err
			} else if ok {
				cfg.Bounces.Mailbox = &m
			}
		case *backupSchedule:
			if c.dir != "" {
				cfg.BackupEvery = c.every
			}
		}
	}
	return cfg, nil
}

// settingsCheck is the terminal app's Check settings screen: the doctor's
// checks with the app's own database and mail settings. The app has no
// serve flags, so the directory and SSH checks are skipped; the database
// mode is read when the checks run.
func (a *app) settingsCheck(db *store.DB, path string, mailCfg mail.Config) func(context.Context) []tui.SettingsCheck {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return func(ctx context.Context) []tui.SettingsCheck {
		cfg := doctor.Config{DBPath: path, DB: db, Actor: a.actor(), Mail: mailCfg}
		if fi, err := os.Stat(path); err == nil {
			cfg.DBMode = fi.Mode()
		}
		report := doctor.Run(ctx, cfg)
		lines := make([]tui.SettingsCheck, len(report))
		for i, r := range report {
			lines[i] = tui.SettingsCheck{Check: r.Check, Status: checkStatus[r.Status], Message: r.Message, Fix: r.Fix}
		}
		return lines
	}
}

// checkStatus maps the doctor's verdicts to the screen's.
var checkStatus = map[doctor.Status]tui.CheckStatus{
	doctor.Pass: tui.CheckPass, doctor.Warn: tui.CheckWarn, doctor.Fail: tui.CheckFail,
}
