package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/roster-dev/roster/metrics"
	"github.com/roster-dev/roster/store"
	"github.com/spf13/pflag"
)

// metricsServer is the part of `roster serve` that serves Prometheus
// metrics on --metrics ADDR (off unless given). The other parts report to
// it through sink(), which is nil when it is off.
type metricsServer struct {
	addr string
	m    *metrics.Metrics
}

func (s *metricsServer) name() string { return "metrics" }

func (s *metricsServer) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.addr, "metrics", "", `serve Prometheus metrics at http://ADDR/metrics, such as "127.0.0.1:9090" (off unless given; keep it off the public network)`)
}

func (s *metricsServer) enabled() bool { return s.addr != "" }

// sink returns the metrics the other parts report to, or nil when off. It
// is called by those parts' run, after the flags were parsed.
func (s *metricsServer) sink() *metrics.Metrics {
	if s == nil || s.addr == "" {
		return nil
	}
	return s.m
}

// run serves until ctx is cancelled.
func (s *metricsServer) run(ctx context.Context, db *store.DB, log *slog.Logger) error {
	if err := s.m.WatchDB(db); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.addr, err)
	}
	log.Info("metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
