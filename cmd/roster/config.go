package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/mail"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// fileConfig is $XDG_CONFIG_HOME/roster/config.toml. There is deliberately
// no password key: the SMTP password comes from ROSTER_SMTP_PASSWORD or the
// file named by smtp_password_file.
type fileConfig struct {
	SMTPURL               string  `toml:"smtp_url"`
	SMTPPasswordFile      string  `toml:"smtp_password_file"`
	SMTPCAFile            string  `toml:"smtp_ca_file"`
	SMTPPlaintextLoopback *bool   `toml:"smtp_plaintext_loopback"`
	SMTPConnections       int     `toml:"smtp_connections"`
	SMTPRate              float64 `toml:"smtp_rate"`
	SMTPHelo              string  `toml:"smtp_helo"`
	BounceAddress         string  `toml:"bounce_address"`
	From                  string  `toml:"from"`
	BaseURL               string  `toml:"base_url"`
	OrgName               string  `toml:"org_name"`
	InviteTTL             string  `toml:"invite_ttl"`
	Templates             string  `toml:"templates"`
	SSHMaxSessionsPerUser int     `toml:"ssh_max_sessions_per_user"`
	DisableAfterInactive  string  `toml:"disable_after_inactive"` // serve's inactivity policy, e.g. "180d"
	WarnBeforeDisable     string  `toml:"warn_before_disable"`    // mail the person this long before (default 14d; "none": never)
}

// mailSetting ties a flag to its environment variable.
type mailSetting struct {
	flag, env, usage string
}

var mailSettings = []mailSetting{
	{"smtp", "ROSTER_SMTP_URL", "SMTP server: smtp://[user@]host[:587] (STARTTLS) or smtps://[user@]host[:465]; unset: the built-in dev mailbox"},
	{"smtp-password-file", "ROSTER_SMTP_PASSWORD_FILE", "file holding the SMTP password (or set ROSTER_SMTP_PASSWORD)"},
	{"smtp-ca-file", "ROSTER_SMTP_CA_FILE", "PEM file of certificate authorities to trust for the SMTP server"},
	{"smtp-plaintext-loopback", "ROSTER_SMTP_PLAINTEXT_LOOPBACK", "allow smtp:// without STARTTLS to a relay on a loopback address (no credentials)"},
	{"smtp-connections", "ROSTER_SMTP_CONNECTIONS", "SMTP connections in parallel (default 4)"},
	{"smtp-rate", "ROSTER_SMTP_RATE", "at most this many messages per second (default: no limit)"},
	{"smtp-helo", "ROSTER_SMTP_HELO", "the name Roster greets the SMTP server with (EHLO; default this machine's fully-qualified name)"},
	{"from", "ROSTER_FROM", `From address of Roster's mail (default "Roster <roster@localhost>")`},
	{"bounce-address", "ROSTER_BOUNCE_ADDRESS", "where bounces come back: the return path of Roster's mail (default the --from address)"},
	{"base-url", "ROSTER_BASE_URL", "base of the links in mail (default http://127.0.0.1:8080)"},
	{"org-name", "ROSTER_ORG_NAME", `what people are invited to (default "Roster")`},
	{"invite-ttl", "ROSTER_INVITE_TTL", "how long links stay valid, e.g. 24h, 72h (default 24h)"},
	{"mail-templates", "ROSTER_MAIL_TEMPLATES", "folder of mail templates that replace the built-in ones (default $XDG_CONFIG_HOME/roster/templates)"},
	{"config", "ROSTER_CONFIG", "configuration file (default $XDG_CONFIG_HOME/roster/config.toml)"},
}

// addMailFlags registers the mail settings as persistent flags of the root,
// so they work before or after any subcommand.
func (a *app) addMailFlags(fs *pflag.FlagSet) {
	for _, s := range mailSettings {
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.env)
		if s.flag == "smtp-plaintext-loopback" {
			fs.Bool(s.flag, false, usage)
		} else {
			fs.String(s.flag, "", usage)
		}
	}
}

// configDir returns $XDG_CONFIG_HOME/roster, or ~/.config/roster.
func configDir() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "roster")
}

// readConfigFile reads the configuration file: --config, else
// $ROSTER_CONFIG, else config.toml in configDir, which may be missing.
// Unknown settings are refused, so a misspelt one is not ignored.
func readConfigFile(flags *pflag.FlagSet) (fileConfig, error) {
	var file fileConfig
	var path string
	explicit := true
	if f := flags.Lookup("config"); f != nil && f.Changed {
		path = f.Value.String()
	} else if v := os.Getenv("ROSTER_CONFIG"); v != "" {
		path = v
	} else {
		path, explicit = filepath.Join(configDir(), "config.toml"), false
	}
	md, err := toml.DecodeFile(path, &file)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) || explicit {
			return file, roster.FieldErrorf(roster.EINVALID, "config", "configuration file %s: %v", path, err)
		}
		return file, nil
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		hint := ""
		if strings.Contains(strings.Join(keys, " "), "password") {
			hint = " (the SMTP password goes in ROSTER_SMTP_PASSWORD or smtp_password_file)"
		}
		return file, roster.FieldErrorf(roster.EINVALID, "config", "configuration file %s: unknown setting %s%s", path, strings.Join(keys, ", "), hint)
	}
	return file, nil
}

// mailConfig resolves the mail settings: flags win over the environment,
// which wins over the configuration file, which wins over the defaults.
// fs is the running command's flag set (cmd.Flags()), which holds the
// root's persistent flags once cobra has parsed them.
func (a *app) mailConfig(flags *pflag.FlagSet) (mail.Config, error) {
	var cfg mail.Config
	get := func(name string) (string, bool) {
		if f := flags.Lookup(name); f != nil && f.Changed {
			return f.Value.String(), true
		}
		for _, s := range mailSettings {
			if s.flag == name {
				if v, ok := os.LookupEnv(s.env); ok && v != "" {
					return v, true
				}
			}
		}
		return "", false
	}
	file, err := readConfigFile(flags)
	if err != nil {
		return cfg, err
	}
	str := func(name, fromFile string) string {
		if v, ok := get(name); ok {
			return v
		}
		return fromFile
	}
	cfg.URL = str("smtp", file.SMTPURL)
	cfg.CAFile = str("smtp-ca-file", file.SMTPCAFile)
	cfg.From = str("from", file.From)
	cfg.HelloName = str("smtp-helo", file.SMTPHelo)
	cfg.BounceAddress = str("bounce-address", file.BounceAddress)
	cfg.BaseURL = str("base-url", file.BaseURL)
	cfg.OrgName = str("org-name", file.OrgName)
	cfg.TemplateDir = str("mail-templates", file.Templates)
	if cfg.TemplateDir == "" {
		cfg.TemplateDir = filepath.Join(configDir(), "templates")
	}
	if v, ok := get("smtp-plaintext-loopback"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, roster.FieldErrorf(roster.EINVALID, "smtp-plaintext-loopback", "want true or false, not %q", v)
		}
		cfg.PlaintextLoopback = b
	} else if file.SMTPPlaintextLoopback != nil {
		cfg.PlaintextLoopback = *file.SMTPPlaintextLoopback
	}
	if v, ok := get("smtp-connections"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return cfg, roster.FieldErrorf(roster.EINVALID, "smtp-connections", "want a number from 1 to 100, not %q", v)
		}
		cfg.Connections = n
	} else {
		cfg.Connections = file.SMTPConnections
	}
	if v, ok := get("smtp-rate"); ok {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 {
			return cfg, roster.FieldErrorf(roster.EINVALID, "smtp-rate", "want messages per second (0 for no limit), not %q", v)
		}
		cfg.Rate = r
	} else {
		cfg.Rate = file.SMTPRate
	}
	if ttl := str("invite-ttl", file.InviteTTL); ttl != "" {
		d, err := time.ParseDuration(ttl)
		if err != nil || d < time.Minute || d > 30*24*time.Hour {
			return cfg, roster.FieldErrorf(roster.EINVALID, "invite-ttl", "want a duration from 1m to 720h, such as 24h, not %q", ttl)
		}
		cfg.TTL = d
	}
	// The password: the environment, else a file; never a flag's value.
	if pw, ok := os.LookupEnv("ROSTER_SMTP_PASSWORD"); ok && pw != "" {
		cfg.Password = pw
	} else if pf := str("smtp-password-file", file.SMTPPasswordFile); pf != "" {
		b, err := os.ReadFile(pf)
		if err != nil {
			return cfg, roster.FieldErrorf(roster.EINVALID, "smtp-password-file", "read the SMTP password file: %v", err)
		}
		cfg.Password = strings.TrimRight(string(b), "\r\n")
	}
	if err := cfg.Normalize(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// addMail registers the mail settings as persistent flags of the root and
// the mail commands: invite, mail, mailbox.
func (a *app) addMail(root *cobra.Command) {
	a.addMailFlags(root.PersistentFlags())
	root.AddCommand(a.inviteCmd(), a.mailCmd(), a.mailboxCmd())
}
