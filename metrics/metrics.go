// Package metrics serves Roster's Prometheus metrics: counters that the
// site, the directory, the SSH server and the mail worker move as they
// work (through the small observer interfaces each of them defines), and
// gauges read from the database at each scrape.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/roster-dev/roster/internal/version"
	"github.com/roster-dev/roster/store"
)

// Metrics holds Roster's metrics in a registry of its own. It implements
// web.RequestObserver, ldap.Observer and ssh.SessionObserver, and MailResult
// fits mail.Worker's Observe.
type Metrics struct {
	reg *prometheus.Registry

	mailSent, mailFailed, mailBounced, mailRetries prometheus.Counter
	mailSeconds                                    prometheus.Histogram

	ldapBinds      *prometheus.CounterVec
	ldapSearchSecs prometheus.Histogram

	sshSessions prometheus.Counter
	sshOpen     prometheus.Gauge

	httpRequests *prometheus.CounterVec
}

// New returns Roster's metrics, registered with the Go runtime's and the
// process's.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		f(c)
		return c
	}
	m.mailSent = counter("roster_mail_sent_total", "Messages the relay accepted.")
	m.mailFailed = counter("roster_mail_failed_total", "Messages given up on (configuration, 5xx to MAIL, too many attempts).")
	m.mailBounced = counter("roster_mail_bounced_total", "Messages refused for the recipient: 5xx to RCPT or DATA, or a bounce that came back later by mail.")
	m.mailRetries = counter("roster_mail_retries_total", "Delivery attempts that failed for now and will be tried again.")
	m.mailSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "roster_mail_send_seconds", Help: "Time to deliver one accepted message, connection included when one was opened.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
	})
	f(m.mailSeconds)
	m.ldapBinds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_ldap_binds_total", Help: "Simple binds with a password, by result (ok, refused).",
	}, []string{"result"})
	f(m.ldapBinds)
	for _, r := range []string{"ok", "refused"} {
		m.ldapBinds.WithLabelValues(r) // present from the start, at 0
	}
	m.ldapSearchSecs = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "roster_ldap_search_seconds", Help: "Time to answer one directory search (its _count is the number of searches).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9),
	})
	f(m.ldapSearchSecs)
	m.sshSessions = counter("roster_ssh_sessions_total", "SSH sessions opened (signed in).")
	m.sshOpen = prometheus.NewGauge(prometheus.GaugeOpts{Name: "roster_ssh_sessions_open", Help: "SSH sessions open now."})
	f(m.sshOpen)
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_http_requests_total", Help: "Requests the invitation site answered, by route pattern and status code.",
	}, []string{"route", "status"})
	f(m.httpRequests)
	b := version.Info()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "roster_build_info", Help: "Always 1; the labels say which build runs.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "goversion": b.GoVersion},
	})
	build.Set(1)
	f(build)
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchDB adds the gauges read from db at each scrape.
func (m *Metrics) WatchDB(db *store.DB) error {
	return m.reg.Register(&dbCollector{db: db})
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Request implements web.RequestObserver.
func (m *Metrics) Request(route string, status int, _ time.Duration) {
	if route == "" {
		route = "none"
	}
	m.httpRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
}

// Bind implements ldap.Observer.
func (m *Metrics) Bind(ok bool) {
	if ok {
		m.ldapBinds.WithLabelValues("ok").Inc()
	} else {
		m.ldapBinds.WithLabelValues("refused").Inc()
	}
}

// Search implements ldap.Observer.
func (m *Metrics) Search(took time.Duration) { m.ldapSearchSecs.Observe(took.Seconds()) }

// SessionOpened implements ssh.SessionObserver.
func (m *Metrics) SessionOpened() { m.sshSessions.Inc(); m.sshOpen.Inc() }

// SessionClosed implements ssh.SessionObserver.
func (m *Metrics) SessionClosed() { m.sshOpen.Dec() }

// MailResult counts one delivery attempt's outcome; it is mail.Worker's
// Observe.
func (m *Metrics) MailResult(o store.Outcome, took time.Duration) {
	switch o {
	case store.OutcomeSent:
		m.mailSent.Inc()
		m.mailSeconds.Observe(took.Seconds())
	case store.OutcomeFailed:
		m.mailFailed.Inc()
	case store.OutcomeBounced:
		m.mailBounced.Inc()
	case store.OutcomeRetry:
		m.mailRetries.Inc()
	}
}

// LateBounce counts a bounce that came back by mail (read by the bounce
// reader) in the same counter as the relay's immediate refusals, when it
// bounced a message: not a soft bounce, nor a second report about a
// message already counted.
func (m *Metrics) LateBounce(o store.BounceOutcome) {
	if o == store.BounceBlocked || o == store.BounceStale {
		m.mailBounced.Inc()
	}
}
