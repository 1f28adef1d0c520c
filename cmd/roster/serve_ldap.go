package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/roster-dev/roster/ldap"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/pflag"
)

// directoryServer is the part of `roster serve` that serves the office
// directory: --ldap ADDR (plain, with StartTLS when a certificate is
// given), --ldaps ADDR, --ldap-cert, --ldap-key, --base-dn.
type directoryServer struct {
	addr, tlsAddr string
	certFile      string
	keyFile       string
	baseDN        string
	requireTLS    bool
	maxRequest    int
	bindTimeout   time.Duration
	metrics       *metricsServer
}

func (d *directoryServer) name() string { return "ldap" }

func (d *directoryServer) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&d.addr, "ldap", "", `serve the directory over LDAP on this address, such as "127.0.0.1:3890" (off unless given; StartTLS when --ldap-cert is set)`)
	fs.StringVar(&d.tlsAddr, "ldaps", "", `serve the directory over LDAPS on this address, such as ":6360" (needs --ldap-cert and --ldap-key)`)
	fs.StringVar(&d.certFile, "ldap-cert", os.Getenv("ROSTER_LDAP_CERT"), "PEM certificate (chain) for LDAPS and StartTLS (env ROSTER_LDAP_CERT)")
	fs.StringVar(&d.keyFile, "ldap-key", os.Getenv("ROSTER_LDAP_KEY"), "PEM private key of --ldap-cert (env ROSTER_LDAP_KEY)")
	base := os.Getenv("ROSTER_BASE_DN")
	if base == "" {
		base = "dc=example,dc=com"
	}
	fs.StringVar(&d.baseDN, "base-dn", base, "the directory's base DN (env ROSTER_BASE_DN)")
	fs.BoolVar(&d.requireTLS, "ldap-require-tls", false, "refuse binds on the plain port until the client has done StartTLS")
	fs.IntVar(&d.maxRequest, "ldap-max-request", 256<<10, "largest LDAP request in bytes; a client announcing more is disconnected")
	fs.DurationVar(&d.bindTimeout, "ldap-bind-timeout", 10*time.Second, "close a directory connection that has not bound this long after it opened")
}

func (d *directoryServer) enabled() bool { return d.addr != "" || d.tlsAddr != "" }

// run serves until ctx is cancelled.
// checkFlags refuses flags that do not go together, before serve starts
// anything.
func (d *directoryServer) checkFlags() error {
	if d.maxRequest < 1024 || d.bindTimeout < time.Second {
		return usageError{errors.New("--ldap-max-request must be at least 1024 and --ldap-bind-timeout at least 1s")}
	}
	if (d.certFile == "") != (d.keyFile == "") {
		return usageError{errors.New("--ldap-cert and --ldap-key go together")}
	}
	if d.requireTLS && d.certFile == "" {
		return usageError{errors.New("--ldap-require-tls needs --ldap-cert and --ldap-key")}
	}
	if d.tlsAddr != "" && d.certFile == "" {
		return usageError{errors.New("--ldaps needs --ldap-cert and --ldap-key")}
	}
	if base, err := ldap.ParseDN(d.baseDN); err != nil || len(base) == 0 {
		return usageError{fmt.Errorf("base DN %q: want something like dc=example,dc=com", d.baseDN)}
	}
	return nil
}

func (d *directoryServer) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	cfg := ldap.Config{BaseDN: d.baseDN, Log: log, RequireTLS: d.requireTLS, MaxRequestSize: d.maxRequest, BindTimeout: d.bindTimeout}
	if m := d.metrics.sink(); m != nil {
		cfg.Observer = m
	}
	if d.certFile != "" {
		cert, err := tls.LoadX509KeyPair(d.certFile, d.keyFile)
		if err != nil {
			return fmt.Errorf("load the LDAP certificate: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv, err := ldap.New(db, cfg)
	if err != nil {
		return usageError{err}
	}
	defer srv.Close()
	errc := make(chan error, 2)
	listen := func(addr string, ldaps bool) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
		log.Info("directory listening", "addr", ln.Addr().String(), "ldaps", ldaps, "starttls", !ldaps && cfg.TLS != nil, "base_dn", d.baseDN)
		go func() {
			if ldaps {
				errc <- srv.ServeTLS(ln)
			} else {
				errc <- srv.Serve(ln)
			}
		}()
		return nil
	}
	if d.addr != "" {
		if err := listen(d.addr, false); err != nil {
			return err
		}
		if cfg.TLS == nil {
			log.Warn("directory without TLS: passwords cross the network in clear; keep --ldap on a loopback address or give --ldap-cert")
		}
	}
	if d.tlsAddr != "" {
		if err := listen(d.tlsAddr, true); err != nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
		return srv.Close()
	case err := <-errc:
		return err
	}
}
