// Package doctor checks a Roster installation the way an administrator
// would when something goes wrong: the database file, the mail relay, the
// invitation site, the directory and the SSH server. Each check is one
// line, ✓ / ⚠ / ✗, with what to do; `roster doctor` prints them.
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
)

// Status is a check's verdict.
type Status int

// The verdicts, from best to worst.
const (
	Pass Status = iota // ✓ nothing to do
	Warn               // ⚠ works, but will surprise someone
	Fail               // ✗ broken: fix it
)

// Mark returns ✓, ⚠ or ✗.
func (s Status) Mark() string { return [...]string{"✓", "⚠", "✗"}[s] }

// String returns "pass", "warn" or "fail".
func (s Status) String() string { return [...]string{"pass", "warn", "fail"}[s] }

// MarshalText writes the status as its name in JSON.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Result is one check's line.
type Result struct {
	Check   string `json:"check"`   // "area.name", such as "mail.auth"
	Status  Status `json:"status"`  // pass, warn, fail
	Message string `json:"message"` // what was found
	Fix     string `json:"fix,omitempty"`
}

// Report is every check's result, in order.
type Report []Result

// Failed reports whether any check failed.
func (r Report) Failed() bool {
	for _, res := range r {
		if res.Status == Fail {
			return true
		}
	}
	return false
}

// Find returns the result of the named check, or nil.
func (r Report) Find(check string) *Result {
	for i := range r {
		if r[i].Check == check {
			return &r[i]
		}
	}
	return nil
}

// WriteText writes one line per check: mark, name, what was found and,
// when something is wrong, what to do.
func (r Report) WriteText(w io.Writer) error {
	width := 0
	for _, res := range r {
		width = max(width, len(res.Check))
	}
	for _, res := range r {
		line := fmt.Sprintf("%s %-*s  %s", res.Status.Mark(), width, res.Check, res.Message)
		if res.Fix != "" {
			line += " → " + res.Fix
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes {"ok": bool, "checks": [...]}.
func (r Report) WriteJSON(w io.Writer) error {
	if r == nil {
		r = Report{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		OK     bool   `json:"ok"`
		Checks Report `json:"checks"`
	}{!r.Failed(), r})
}

// Config is what the checks look at: the settings `roster serve` would run
// with.
type Config struct {
	// DBPath is the database file; DB is nil when it does not exist (the
	// doctor does not create one).
	DBPath string
	DB     *store.DB
	// DBMode is the file's permission bits as found before it was opened
	// (opening tightens them).
	DBMode os.FileMode
	// Actor reads the database: whoever runs the doctor.
	Actor roster.Actor
	// BackupEvery is how often backups are due (0: the recorded schedule,
	// else store.DefaultBackupInterval).
	BackupEvery time.Duration

	// Mail is the resolved mail configuration (Normalize called).
	Mail mail.Config
	// Bounces is where `roster serve` reads bounces that come back by mail.
	Bounces Bounces

	// HTTPAddr is where `roster serve` serves the site ("" if off).
	HTTPAddr string
	// LDAPAddr, LDAPSAddr and LDAPCert are the directory's --ldap, --ldaps
	// and --ldap-cert.
	LDAPAddr, LDAPSAddr, LDAPCert string
	// SSHAddr is --ssh; HostKeyPath the SSH host key.
	SSHAddr, HostKeyPath string

	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Timeout bounds each network check (0: 5 seconds).
	Timeout time.Duration
	// Dial connects to the relay, the site, the directory and the SSH
	// server (nil: a net.Dialer). Tests point names at their servers.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (c *Config) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Config) dial(ctx context.Context, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	if c.Dial != nil {
		return c.Dial(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

func (c *Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return 5 * time.Second
	}
	return c.Timeout
}

// Run runs every check and returns their results in a fixed order:
// database, mail, site, directory, SSH.
func Run(ctx context.Context, cfg Config) Report {
	var r Report
	r = append(r, checkDatabase(&cfg)...)
	r = append(r, checkMail(ctx, &cfg)...)
	r = append(r, checkBounces(&cfg)...)
	r = append(r, checkSite(ctx, &cfg)...)
	r = append(r, checkDirectory(ctx, &cfg)...)
	r = append(r, checkSSH(ctx, &cfg)...)
	return r
}

func pass(check, format string, args ...any) Result {
	return Result{Check: check, Status: Pass, Message: fmt.Sprintf(format, args...)}
}

func warn(check, fix, format string, args ...any) Result {
	return Result{Check: check, Status: Warn, Message: fmt.Sprintf(format, args...), Fix: fix}
}

func fail(check, fix, format string, args ...any) Result {
	return Result{Check: check, Status: Fail, Message: fmt.Sprintf(format, args...), Fix: fix}
}

// age says how long ago t was, in the largest sensible unit.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
}

// localDomain reports a domain that mail from the world cannot reach.
func localDomain(domain string) bool {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	if d == "" || !strings.Contains(d, ".") || net.ParseIP(strings.Trim(d, "[]")) != nil {
		return true
	}
	for _, suffix := range []string{".localhost", ".local", ".localdomain", ".lan", ".home", ".internal", ".home.arpa", ".invalid", ".test"} {
		if strings.HasSuffix(d, suffix) {
			return true
		}
	}
	return false
}
