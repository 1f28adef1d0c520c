package mail

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
)

// MachineName returns this machine's fully-qualified name when one can be
// found (the host name if it has a dot, else a name /etc/hosts or DNS
// gives its addresses), else the bare host name. It is the default
// greeting (EHLO): relays with reject_non_fqdn_helo refuse a bare one,
// and spam filters score "localhost".
func MachineName() string {
	machineOnce.Do(func() { machineName = lookupMachineName() })
	return machineName
}

var (
	machineOnce sync.Once
	machineName string
)

func lookupMachineName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "localhost"
	}
	if qualified(host) {
		return strings.TrimSuffix(host, ".")
	}
	if cname, err := net.LookupCNAME(host); err == nil && qualified(cname) {
		return strings.TrimSuffix(cname, ".")
	}
	addrs, _ := net.LookupHost(host)
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip == nil || ip.IsLoopback() {
			continue
		}
		names, _ := net.LookupAddr(a)
		for _, n := range names {
			if qualified(n) {
				return strings.TrimSuffix(n, ".")
			}
		}
	}
	return host
}

// qualified reports whether name is a fully-qualified domain name that
// is not a loopback or local-only name: "mail.example.org", not "vm",
// "localhost", "x.localhost" or an address literal.
func qualified(name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" || net.ParseIP(strings.Trim(name, "[]")) != nil {
		return false
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") || strings.HasSuffix(name, ".localdomain") {
		return false
	}
	return strings.Contains(name, ".")
}

// loopbackName reports whether name is a loopback name or address.
func loopbackName(name string) bool {
	name = strings.ToLower(strings.Trim(strings.TrimSuffix(name, "."), "[]"))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// Warnings says what, in a configuration sending through a relay, makes
// relays refuse the mail, spam filters flag it, or its links lead
// nowhere: a greeting, a From domain or a base URL that is a loopback or
// non-qualified name. The dev mailbox has none. Call after Normalize.
func (c Config) Warnings() []string {
	if c.URL == "" {
		return nil
	}
	var out []string
	if !qualified(c.HelloName) {
		out = append(out, fmt.Sprintf("the SMTP greeting (EHLO %s) is not a fully-qualified name: relays may refuse it and spam filters score it; set --smtp-helo (ROSTER_SMTP_HELO) to this machine's name in DNS", c.HelloName))
	}
	if from, err := parseAddress(c.From); err == nil {
		domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
		if !qualified(domain) {
			out = append(out, fmt.Sprintf("the sender %s is not in a real domain: relays may refuse it and bounces cannot come back; set --from (ROSTER_FROM)", from.Address))
		}
	}
	if u, err := url.Parse(c.BaseURL); err == nil {
		if h := u.Hostname(); loopbackName(h) || !qualified(h) {
			out = append(out, fmt.Sprintf("the links in mail point to %s, which recipients cannot reach; set --base-url (ROSTER_BASE_URL) to the site's public address", c.BaseURL))
		}
	}
	return out
}

// checkHelloName refuses a greeting that is not a domain name or an
// address literal ([192.0.2.1]).
func checkHelloName(name string) error {
	if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
		if net.ParseIP(strings.TrimPrefix(strings.Trim(name, "[]"), "IPv6:")) == nil {
			return fmt.Errorf("%q is not an address literal", name)
		}
		return nil
	}
	if len(name) > 253 {
		return fmt.Errorf("%q is longer than a domain name may be", name)
	}
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return fmt.Errorf("%q is not a domain name", name)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("%q is not a domain name (letters, digits, dots and hyphens)", name)
			}
		}
	}
	return nil
}
