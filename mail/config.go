package mail

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roster-dev/roster"
)

// Defaults of Config.
const (
	DefaultConnections    = 4
	DefaultBaseURL        = "http://127.0.0.1:8080"
	DefaultOrgName        = "Roster"
	DefaultFrom           = "Roster <roster@localhost>"
	DefaultConnectTimeout = 10 * time.Second
	DefaultCommandTimeout = 30 * time.Second
	DefaultMaxAttempts    = 6
	DefaultRetryBase      = 10 * time.Second
	DefaultMaxBackoff     = 30 * time.Minute
	DefaultLease          = 2 * time.Minute
)

// Config is everything the mail package needs. The zero value, after
// Normalize, sends to the built-in dev mailbox.
type Config struct {
	// URL names the SMTP server: smtp://[user@]host[:587] (STARTTLS) or
	// smtps://[user@]host[:465] (implicit TLS). Empty means the built-in
	// dev mailbox.
	URL string
	// Password for the user in URL; never logged. It comes from
	// ROSTER_SMTP_PASSWORD or a file, never from the command line.
	Password string
	// CAFile is a PEM file of certificate authorities to trust instead of
	// the system's.
	CAFile string
	// PlaintextLoopback allows smtp:// without STARTTLS when the server is
	// on a loopback address and no credentials are set.
	PlaintextLoopback bool

	From string // the From header: "Name <address>"
	// BounceAddress is the return path: where bounces come back (default
	// the From address). Each message's return path names its job (see
	// VERPAddress, EnvelopeID).
	BounceAddress string
	BaseURL       string        // links are BaseURL/invite/TOKEN
	OrgName       string        // what people are invited to
	TTL           time.Duration // link validity (0: store.DefaultTokenTTL)

	Connections int // SMTP connections in parallel
	// MaxPerConnection closes a connection after that many messages (some
	// providers limit it); 0 means no limit. 1 means a connection per message.
	MaxPerConnection int
	Rate             float64 // messages per second across connections; 0: no limit

	ConnectTimeout time.Duration // to connect, TLS included
	CommandTimeout time.Duration // for every command and reply
	MaxAttempts    int           // attempts before a temporary failure becomes final
	RetryBase      time.Duration // first retry delay; doubles each time, with jitter
	MaxBackoff     time.Duration // longest retry delay
	Lease          time.Duration // how long a claimed job is ours

	TemplateDir string // overrides for the embedded templates (missing files fall back)
	HelloName   string // the name sent in EHLO (default MachineName())
}

// Normalize fills defaults in place and checks what it can without the
// network: the URL's shape, the From address, the base URL.
func (c *Config) Normalize() error {
	if c.Connections <= 0 {
		c.Connections = DefaultConnections
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return roster.FieldErrorf(roster.EINVALID, "base-url", "base URL %q must be http:// or https:// with a host", c.BaseURL)
	}
	if c.OrgName == "" {
		c.OrgName = DefaultOrgName
	}
	if c.From == "" {
		c.From = DefaultFrom
	}
	if _, err := parseAddress(c.From); err != nil {
		return roster.FieldErrorf(roster.EINVALID, "from", "from address %q: %v", c.From, err)
	}
	if c.BounceAddress != "" {
		a, err := parseAddress(c.BounceAddress)
		if err != nil || a.Name != "" {
			return roster.FieldErrorf(roster.EINVALID, "bounce-address", "bounce address %q must be a bare address", c.BounceAddress)
		}
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = DefaultCommandTimeout
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBase <= 0 {
		c.RetryBase = DefaultRetryBase
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.HelloName == "" {
		c.HelloName = MachineName()
	}
	if err := checkHelloName(c.HelloName); err != nil {
		return roster.FieldErrorf(roster.EINVALID, "smtp-helo", "SMTP greeting: %v", err)
	}
	if c.Rate < 0 {
		return roster.FieldErrorf(roster.EINVALID, "smtp-rate", "rate must be positive (or 0 for no limit)")
	}
	if c.URL != "" {
		if _, err := ParseServerURL(c.URL); err != nil {
			return err
		}
	}
	return nil
}

// Server is a parsed SMTP server URL.
type Server struct {
	ImplicitTLS bool   // smtps://
	Host        string // without port
	Port        string
	User        string // "" when no credentials
}

// Addr returns host:port.
func (s Server) Addr() string { return net.JoinHostPort(s.Host, s.Port) }

// String returns the URL without any secret.
func (s Server) String() string {
	scheme := "smtp"
	if s.ImplicitTLS {
		scheme = "smtps"
	}
	user := ""
	if s.User != "" {
		user = url.User(s.User).String() + "@"
	}
	return fmt.Sprintf("%s://%s%s", scheme, user, s.Addr())
}

// Loopback reports whether the host is a loopback address or "localhost".
func (s Server) Loopback() bool {
	if strings.EqualFold(s.Host, "localhost") {
		return true
	}
	ip := net.ParseIP(s.Host)
	return ip != nil && ip.IsLoopback()
}

// ParseServerURL reads smtp://[user@]host[:port] or smtps://…. A password
// in the URL is refused: it would show in process lists and shell history.
func ParseServerURL(raw string) (Server, error) {
	bad := func(format string, args ...any) (Server, error) {
		return Server{}, roster.FieldErrorf(roster.EINVALID, "smtp", format, args...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("SMTP URL: %v", err)
	}
	var s Server
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		s.Port = "587"
	case "smtps":
		s.ImplicitTLS, s.Port = true, "465"
	default:
		return bad("SMTP URL must start with smtp:// (STARTTLS) or smtps:// (TLS), not %q", u.Scheme+"://")
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return bad("put the SMTP password in ROSTER_SMTP_PASSWORD or a file (--smtp-password-file), not in the URL")
		}
		s.User = u.User.Username()
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return bad("SMTP URL %q has no host", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return bad("SMTP URL port %q is not a port number", p)
		}
		s.Port = p
	}
	if u.Path != "" && u.Path != "/" {
		return bad("SMTP URL %q must not have a path", raw)
	}
	return s, nil
}

// String describes the configuration without the password.
func (c Config) String() string {
	type plain Config // without methods, so %+v does not call String again
	c.Password = redact(c.Password)
	return fmt.Sprintf("%+v", plain(c))
}

// LogValue keeps the password out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.StringValue(c.String())
}

func redact(s string) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}
