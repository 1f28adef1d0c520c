package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/tui"
	"github.com/roster-dev/roster/web"
	"github.com/spf13/cobra"
)

// runTUI opens the terminal app on the terminal the command runs in. The
// app is complete on its own: it sends queued mail (to the built-in dev
// mailbox when no SMTP server is set) and serves the invitation site when
// no other roster process does, so a fresh machine shows the whole
// invitation flow. Nothing is written to the terminal behind the app: the
// log goes to tui.log next to the database when ROSTER_DEBUG is set, and
// nowhere otherwise.
func (a *app) runTUI(cmd *cobra.Command) error {
	if !a.isTerminal() {
		return errors.New("the terminal app needs a terminal; run a command instead (see 'roster --help')")
	}
	db, err := a.openDB()
	if err != nil {
		return err
	}
	first := tui.Preload(db, a.actor()) // while the mail worker, the site and the terminal start
	cfg, err := a.mailConfig(cmd.Flags())
	if err != nil {
		return err
	}
	log, closeLog := a.tuiLog(db)
	defer closeLog()
	defer announce(db, "the terminal app", log)()

	mailer, err := mail.New(db, cfg, log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	go expireWhileOpen(ctx, db) // the app left open past midnight disables on the date too
	mailDone := make(chan error, 1)
	var mailStopped atomic.Pointer[error] // why the worker stopped before the app
	go func() {
		err := mailer.Run(ctx)
		if ctx.Err() == nil {
			if err == nil {
				err = errors.New("it ended without an error")
			}
			mailStopped.Store(&err)
		}
		mailDone <- err
	}()
	defer func() {
		cancel()
		if err := <-mailDone; err != nil {
			log.Error("mail worker", "err", err)
		}
	}()

	site, siteText := startSite(db, cfg, mailer, log)
	if site != nil {
		defer func() {
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			_ = site.Shutdown(sctx)
		}()
	}

	services := tuiServices(mailer, cfg, siteText)
	services.CheckSettings = a.settingsCheck(db, db.Path(), cfg)
	services.MailStopped = func() error {
		if err := mailStopped.Load(); err != nil {
			return *err
		}
		return nil
	}
	m := tui.New(tui.Options{
		DB:             db,
		Actor:          a.actor(),
		DarkBackground: true,
		Services:       services,
		Actions:        []tui.Action{tui.ExportAction()},
		PushedPoll:     pushedPoll(),
		Preloaded:      first,
	})
	p := tea.NewProgram(m,
		tea.WithContext(ctx),
		tea.WithInput(a.stdin),
		tea.WithOutput(a.stdout),
		tea.WithEnvironment(os.Environ()),
		tea.WithFPS(120), // a frame waits at most 8 ms to be drawn (60: 17 ms), as after a keystroke
	)
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("terminal app: %w", err)
	}
	return nil
}

// tuiServices plugs the mail system into the terminal app.
func tuiServices(m *mail.Mailer, cfg mail.Config, site string) tui.Services {
	return tui.Services{
		Mail:    m,
		LinkTTL: cfg.TTL,
		Site:    site,
	}
}

// startSite serves the invitation site from this process, on the address
// of the base URL when it is a plain http address on this machine, else on
// web.DefaultAddr. When the address is taken, a `roster serve` probably
// serves the site already, and it is left alone. It returns the server
// (nil when it does not run) and what the header says about the site.
func startSite(db *store.DB, cfg mail.Config, resets web.Resetter, log *slog.Logger) (*web.Server, string) {
	addr := siteAddr(cfg.BaseURL)
	site := web.New(db)
	site.Org, site.BaseURL, site.Resets, site.Log = cfg.OrgName, cfg.BaseURL, resets, log
	got, err := site.Start(addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		if why := checkSite(addr, db); why != "" {
			log.Warn("the invitation site's address is taken by something else; links will not work", "addr", addr, "why", why)
			return nil, tui.SiteBroken + addr + " " + why + ": links in mail will not work"
		}
		log.Info("the invitation site's address is taken; another roster process serves it", "addr", addr)
		return nil, addr + " (another roster process)"
	case err != nil:
		log.Error("cannot serve the invitation site", "addr", addr, "err", err)
		why := err
		if u := errors.Unwrap(err); u != nil {
			why = u
		}
		return nil, "not served (" + why.Error() + ")"
	}
	log.Info("invitation site listening", "addr", got.String())
	return site, "http://" + got.String()
}

// checkSite asks what answers at addr whether it is Roster on the
// database db (its /healthz, in JSON); it returns "" when it is, else what
// it is.
func checkSite(addr string, db *store.DB) string {
	req, err := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
	if err != nil {
		return "is not an address"
	}
	req.Header.Set("Accept", "application/json")
	client := http.Client{Timeout: 2 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return "does not answer"
	}
	defer res.Body.Close()
	var h web.Health
	if json.NewDecoder(io.LimitReader(res.Body, 4096)).Decode(&h) != nil || h.Database.ID == "" {
		return "is another program"
	}
	if id, err := db.ID(); err != nil || h.Database.ID != id {
		return "is roster on another database"
	}
	return ""
}

// siteAddr is where to listen for base: its host and port when it is an
// http address on a loopback or unspecified host, else web.DefaultAddr.
func siteAddr(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return web.DefaultAddr
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	if !isLoopbackHost(host) {
		return web.DefaultAddr
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// tuiLog is the terminal app's log: a file next to the database when
// ROSTER_DEBUG is set, else nothing. It never writes to the terminal.
func (a *app) tuiLog(db *store.DB) (*slog.Logger, func()) {
	if os.Getenv("ROSTER_DEBUG") == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}
	}
	f, err := os.OpenFile(filepath.Join(filepath.Dir(db.Path()), "tui.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), func() { f.Close() }
}

// pushedPoll is how often the app reads the change counter anyway while
// serve pushes changes: ROSTER_TUI_PUSHED_POLL (a Go duration), which
// tests set very long to prove a change arrives by push; 0 means the
// app's default.
func pushedPoll() time.Duration {
	d, err := time.ParseDuration(os.Getenv("ROSTER_TUI_PUSHED_POLL"))
	if err != nil {
		return 0
	}
	return d
}
