package doctor

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/roster-dev/roster/web"
)

// checkSite: the base URL of the links in mail is not loopback when mail
// goes to real people, something answers there, and it is this Roster on
// this database (its /healthz names the database's identity).
func checkSite(ctx context.Context, c *Config) []Result {
	base := c.Mail.BaseURL
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return []Result{fail("site.base-url", "set --base-url to the address people open", "base URL %q is not an address", base)}
	}
	var r []Result
	if isLoopback(u.Hostname()) {
		if c.Mail.URL != "" {
			r = append(r, fail("site.base-url", "set --base-url (ROSTER_BASE_URL) to the public https address of the site",
				"links in mail point at %s, on the reader's own machine: nobody can open them", base))
		} else {
			r = append(r, warn("site.base-url", "set --base-url (ROSTER_BASE_URL) before sending real mail",
				"links point at %s, which only this machine opens (fine with the dev mailbox)", base))
		}
	} else {
		r = append(r, pass("site.base-url", "links point at %s", base))
	}
	return append(r, c.siteIdentity(ctx, base))
}

// siteIdentity asks base/healthz for JSON and compares the database it
// names with ours.
func (c *Config) siteIdentity(ctx context.Context, base string) Result {
	const check = "site.answers"
	client := &http.Client{
		Timeout: c.timeout(),
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) { return c.dial(ctx, addr) },
		},
	}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(base, "/")+"/healthz", nil)
	if err != nil {
		return fail(check, "fix --base-url", "%v", err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return fail(check, "start `roster serve` (with --http where --base-url leads), or fix the proxy in front of it",
			"nothing answers at %s: %v", base, unwrapNet(err))
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var h web.Health
	other := func(why string) Result {
		server := res.Header.Get("Server")
		if server != "" {
			server = ", Server: " + server
		}
		return fail(check, "stop the other program on that port, or point --base-url (and the proxy) at roster serve's --http address",
			"another program answers at %s (%s%s): %s; links in mail would fail", base, res.Status, server, why)
	}
	if err := json.Unmarshal(body, &h); err != nil || h.Database.ID == "" {
		if res.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "ok" {
			return warn(check, "upgrade the roster that serves the site", "an older Roster answers at %s (it does not say which database)", base)
		}
		return other("not Roster's health check")
	}
	if c.DB == nil {
		return fail(check, "check --db", "a Roster answers at %s, on database %s, but this one has no database", base, h.Database.ID)
	}
	id, err := c.DB.ID()
	if err != nil {
		return fail(check, "see the error", "read this database's identity: %v", err)
	}
	if h.Database.ID != id {
		where := ""
		if h.Database.Path != "" {
			where = " at " + h.Database.Path
		}
		return fail(check, "point --base-url at the roster serve that uses this database, or give this command its --db",
			"a Roster answers at %s, but on another database (%s%s, this one is %s)", base, short(h.Database.ID), where, short(id))
	}
	if h.Status != "ok" {
		return fail(check, "see roster serve's log", "this Roster answers at %s but says %s: %s", base, h.Status, h.Error)
	}
	return pass(check, "this Roster answers at %s on this database (%s)", base, short(id))
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") || (ip != nil && ip.IsLoopback())
}
