package main

import (
	"context"
	"log/slog"
	"net"
	"net/url"

	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/web"
	"github.com/spf13/pflag"
)

// webSite is the part of `roster serve` that serves the invitation site:
// --http ADDR (default 127.0.0.1:8080; "" turns it off) and --trust-proxy.
// The organisation's name and the public address (--org-name, --base-url)
// are the mail settings, so the site and the links in mail agree; "forgot
// password" queues its mail through the same settings.
type webSite struct {
	a *app // nil: no mail settings, and "forgot password" sends nothing
	// resets queues "forgot password" mail: the mail worker of the same
	// serve, so it wakes at once; nil: a mailer of the site's own.
	resets     web.Resetter
	addr       string
	trustProxy bool
	flags      *pflag.FlagSet
	metrics    *metricsServer
}

func (w *webSite) name() string { return "invitation site" }

func (w *webSite) addFlags(fs *pflag.FlagSet) {
	w.flags = fs // cobra merges the root's persistent mail flags into it before run
	fs.StringVar(&w.addr, "http", web.DefaultAddr,
		`serve the invitation site on this address ("" to turn it off); put a TLS reverse proxy in front`)
	fs.BoolVar(&w.trustProxy, "trust-proxy", false,
		"take the client address from X-Forwarded-For on connections from loopback (a reverse proxy on this machine)")
}

func (w *webSite) enabled() bool { return w.addr != "" }

// run serves until ctx is cancelled, then stops within 10 seconds.
func (w *webSite) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	srv := web.New(db)
	srv.TrustProxy = w.trustProxy
	srv.Log = log
	if m := w.metrics.sink(); m != nil {
		srv.Observer = m
	}
	if w.a != nil {
		cfg, err := w.a.mailConfig(w.flags)
		if err != nil {
			return err
		}
		srv.Org, srv.BaseURL, srv.Resets = cfg.OrgName, cfg.BaseURL, w.resets
		if baseURLMisses(cfg.BaseURL, w.addr) {
			log.Warn("links in mail point at --base-url, but the site listens elsewhere: set --base-url to the address people open",
				"base_url", cfg.BaseURL, "http", w.addr)
		}
		if w.resets == nil {
			// This Mailer only queues reset mail; a mail worker (in this
			// process or another) sends it within its poll interval.
			mailer, err := mail.New(db, cfg, log)
			if err != nil {
				return err
			}
			srv.Resets = mailer
		}
	}
	return srv.Run(ctx, w.addr)
}

// baseURLMisses reports a base URL on this machine (plain http on
// loopback) whose address is not the one the site listens on: every link
// in mail would then lead nowhere. A public base URL is a reverse proxy's
// business and is not judged.
func baseURLMisses(base, listen string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || !isLoopbackHost(u.Hostname()) {
		return false
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil || port == "0" {
		return false
	}
	_, wantPort, _ := net.SplitHostPort(siteAddr(base))
	return port != wantPort
}

// isLoopbackHost reports a host name or address of this machine.
func isLoopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
