package main

import (
	"context"
	"log/slog"

	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/web"
	"github.com/spf13/pflag"
)

// webSite is the part of `roster serve` that serves the invitation site:
// --http ADDR (default 127.0.0.1:8080; "" turns it off) and --trust-proxy.
type webSite struct {
	addr       string
	trustProxy bool

	// org and baseURL come from the configuration; resets sends "forgot
	// password" mail. They are set by whoever builds the component.
	org     string
	baseURL string
	resets  web.Resetter
}

func (w *webSite) name() string { return "invitation site" }

func (w *webSite) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&w.addr, "http", web.DefaultAddr,
		`serve the invitation site on this address ("" to turn it off); put a TLS reverse proxy in front`)
	fs.BoolVar(&w.trustProxy, "trust-proxy", false,
		"take the client address from X-Forwarded-For on connections from loopback (a reverse proxy on this machine)")
}

func (w *webSite) enabled() bool { return w.addr != "" }

// run serves until ctx is cancelled, then stops within 10 seconds.
func (w *webSite) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	srv := web.New(db)
	srv.Org = w.org
	srv.BaseURL = w.baseURL
	srv.TrustProxy = w.trustProxy
	srv.Resets = w.resets
	srv.Log = log
	return srv.Run(ctx, w.addr)
}
