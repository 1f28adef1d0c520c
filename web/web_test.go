package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
)

const goodPassword = "violet kettle under 7 moons"

// Ensure the whole invitation works: the page shows who is being
// activated, the form sets the password, and the store says Active.
func TestInviteActivates(t *testing.T) {
	s := newSite(t)
	ada, path := s.pending("ada", "Ada Lovelace", "ada@example.com")
	before, _ := s.db.Changes()

	page := s.get(path)
	wantStatus(t, page, http.StatusOK, "Example Ltd", "Set your password", "Ada Lovelace", "ada", "ada@example.com",
		`autocomplete="new-password"`, `name="confirm"`)
	res := s.post(path, url.Values{"csrf": {s.csrf(page)}, "password": {goodPassword}, "confirm": {goodPassword}})
	wantStatus(t, res, http.StatusOK, "Your account is active", "ada")

	u := s.user(ada.ID)
	if u.Status != roster.StatusActive || u.ActivatedAt.IsZero() {
		t.Fatalf("user after activation: status %s, activated %v", u.Status, u.ActivatedAt)
	}
	if ok, err := password.Verify(u.PasswordHash, goodPassword); err != nil || !ok {
		t.Fatalf("stored hash does not verify: %v %v", ok, err)
	}
	if after, _ := s.db.Changes(); after <= before {
		t.Fatal("activation did not move the change counter: open TUIs would not notice")
	}
	if ev := s.lastEvent(); ev.Action != roster.ActionUserActivate || ev.Targets[0] != "ada" || !strings.Contains(ev.Details, "127.0.0.1") {
		t.Fatalf("audit event %+v", ev)
	}
	// Ensure nothing secret reached the log.
	raw := strings.TrimPrefix(path, "/invite/")
	if logs := s.log.String(); strings.Contains(logs, raw) || strings.Contains(logs, goodPassword) || !strings.Contains(logs, "password set") {
		t.Fatalf("log leaks a secret or lacks the event:\n%s", logs)
	}
}

// Ensure a reset link sets a new password and keeps the user Active.
func TestResetLinkSetsPassword(t *testing.T) {
	s := newSite(t)
	ada, path := s.pending("ada", "Ada Lovelace", "ada@example.com")
	wantStatus(t, s.setPassword(path, goodPassword), http.StatusOK)

	reset := s.link(ada, roster.TokenReset)
	wantStatus(t, s.get(reset), http.StatusOK, "Choose a new password", "Save new password")
	wantStatus(t, s.setPassword(reset, "a brand new secret phrase"), http.StatusOK, "Your new password is set")
	u := s.user(ada.ID)
	if ok, _ := password.Verify(u.PasswordHash, "a brand new secret phrase"); !ok || u.Status != roster.StatusActive {
		t.Fatalf("after reset: status %s, new password stored %v", u.Status, ok)
	}
	if ev := s.lastEvent(); ev.Action != roster.ActionPasswordReset {
		t.Fatalf("audit event %+v", ev)
	}
}

// Ensure every kind of dead link gets the same page, which tells the
// person what to do but not which kind it is, while the audit log gets the
// real reason; and that none of them changes the account.
func TestDeadLinks(t *testing.T) {
	s := newSite(t)

	used, usedPath := s.pending("used", "Used Link", "used@example.com")
	wantStatus(t, s.setPassword(usedPath, goodPassword), http.StatusOK)

	revoked, revokedPath := s.pending("revoked", "Revoked Link", "revoked@example.com")
	s.link(revoked, roster.TokenInvite) // a re-send revokes the first link

	disabled, disabledPath := s.pending("disabled", "Disabled User", "disabled@example.com")
	disabledForm := s.get(disabledPath)
	if _, err := s.db.SetStatus(local, []uint64{disabled.ID}, roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}

	expired, err := s.db.CreateUser(local, roster.NewUser{Username: "expired", Name: "Expired Link", Email: "expired@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := s.db.IssueLink(local, expired.ID, roster.TokenInvite, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expiredPath := "/invite/" + raw
	expiredForm := s.get(expiredPath)
	s.clock.Add(time.Hour + time.Second)

	tampered := []byte(revokedPath)
	tampered[len(tampered)-3] ^= 0x01

	var bodies []string
	for _, tc := range []struct {
		name, path, reason string
		uid                uint64
	}{
		{"used", usedPath, "already used", used.ID},
		{"revoked", revokedPath, "revoked", revoked.ID},
		{"disabled", disabledPath, "revoked", disabled.ID}, // disabling revokes the link
		{"expired", expiredPath, "expired", expired.ID},
		{"tampered", string(tampered), "", 0},
		{"unknown", "/invite/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", 0},
		{"long", "/invite/" + strings.Repeat("x", 4000), "", 0},
		{"reset path", "/reset/" + strings.TrimPrefix(usedPath, "/invite/"), "already used", used.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before *roster.User
			if tc.uid != 0 {
				before = s.user(tc.uid)
			}
			res := s.get(tc.path)
			wantStatus(t, res, http.StatusNotFound, "This link does not work", "Ask your administrator at Example Ltd")
			if strings.Contains(res.body, "expired") || strings.Contains(res.body, "revoked") || strings.Contains(res.body, "disabled") {
				t.Fatalf("the page says why the link failed:\n%s", res.body)
			}
			bodies = append(bodies, res.body)
			ev := s.lastEvent()
			if tc.reason == "" {
				// A link the store never issued is logged, not audited.
				if ev.Action == roster.ActionTokenRefused && strings.Contains(ev.Details, hashPrefix(strings.TrimPrefix(tc.path, "/invite/"))) {
					t.Fatalf("a guessed link was audited: %+v", ev)
				}
				if !strings.Contains(s.log.String(), "token="+hashPrefix(strings.TrimPrefix(tc.path, "/invite/"))) {
					t.Fatalf("a guessed link was not logged:\n%s", s.log.String())
				}
			} else {
				if ev.Action != roster.ActionTokenRefused || !strings.Contains(ev.Details, tc.reason) {
					t.Fatalf("audit event %+v, want reason %q", ev, tc.reason)
				}
				if tc.uid != 0 && (len(ev.Targets) != 1 || ev.Targets[0] != before.Username) {
					t.Fatalf("audit event not about the user: %+v", ev)
				}
			}

			// A form opened while the link still worked cannot use it either.
			form := disabledForm
			if tc.name == "expired" {
				form = expiredForm
			}
			res = s.post(tc.path, url.Values{"csrf": {csrfOf(s, form)}, "password": {goodPassword}, "confirm": {goodPassword}})
			if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusForbidden {
				t.Fatalf("POST to a dead link: %d\n%s", res.StatusCode, res.body)
			}
			if tc.uid != 0 {
				after := s.user(tc.uid)
				if after.PasswordHash != before.PasswordHash || after.Status != before.Status {
					t.Fatalf("a dead link changed the user: %+v → %+v", before, after)
				}
			}
		})
	}
	for i := 1; i < len(bodies); i++ {
		if bodies[i] != bodies[0] {
			t.Fatalf("dead-link pages differ:\n%s\n----\n%s", bodies[0], bodies[i])
		}
	}
}

func csrfOf(s *site, page response) string {
	if m := csrfRE.FindStringSubmatch(page.body); m != nil {
		return m[1]
	}
	return ""
}

// Ensure a disabled user's link does nothing, even with a form opened
// before the account was disabled.
func TestDisabledUserPost(t *testing.T) {
	s := newSite(t)
	u, path := s.pending("dora", "Dora Disabled", "dora@example.com")
	form := s.get(path)
	if _, err := s.db.SetStatus(local, []uint64{u.ID}, roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	res := s.post(path, url.Values{"csrf": {s.csrf(form)}, "password": {goodPassword}, "confirm": {goodPassword}})
	wantStatus(t, res, http.StatusNotFound, "This link does not work")
	if got := s.user(u.ID); got.Status != roster.StatusDisabled || got.PasswordHash != "" {
		t.Fatalf("disabled user changed: %+v", got)
	}
	if ev := s.lastEvent(); !strings.Contains(ev.Details, "revoked") {
		t.Fatalf("audit event %+v", ev)
	}
}

// Ensure each password rule shows its message on the form, keeps the link
// alive, and changes nothing.
func TestPasswordRules(t *testing.T) {
	s := newSite(t, func(srv *Server) { srv.Limits = Limits{Off: true} })
	u, path := s.pending("grace.hopper", "Grace Hopper", "Grace@Example.com")
	for _, tc := range []struct{ name, pw, confirm, want string }{
		{"empty", "", "", "at least 10"},
		{"short", "short", "short", "at least 10"},
		{"long", strings.Repeat("x1", 65), strings.Repeat("x1", 65), "at most 128"},
		{"username", "Grace.Hopper", "Grace.Hopper", "not be your username"},
		{"e-mail", "grace@example.COM", "grace@example.COM", "not be your e-mail"},
		{"common", "Password123", "Password123", "most common"},
		{"mismatch", goodPassword, goodPassword + "!", "The two passwords differ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := s.get(path)
			res := s.post(path, url.Values{"csrf": {s.csrf(form)}, "password": {tc.pw}, "confirm": {tc.confirm}})
			wantStatus(t, res, http.StatusBadRequest, tc.want, `role="alert"`, `aria-invalid="true"`, "Grace Hopper")
			if strings.Contains(res.body, `value="`+tc.pw+`"`) && tc.pw != "" {
				t.Fatal("the form echoes the password back")
			}
			if got := s.user(u.ID); got.Status != roster.StatusPending || got.PasswordHash != "" {
				t.Fatalf("a refused password changed the user: %+v", got)
			}
		})
	}
	// The link still works after all those mistakes.
	wantStatus(t, s.setPassword(path, goodPassword), http.StatusOK, "Your account is active")
}

// Ensure forms without the right CSRF token, or sent from another site,
// are refused and change nothing.
func TestCSRF(t *testing.T) {
	s := newSite(t)
	u, path := s.pending("ada", "Ada Lovelace", "ada@example.com")
	_, otherPath := s.pending("bob", "Bob Babbage", "bob@example.com")
	page := s.get(path)
	token := s.csrf(page)
	otherToken := s.csrf(s.get(otherPath))
	good := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "password": {goodPassword}, "confirm": {goodPassword}}
	}

	for _, tc := range []struct {
		name    string
		form    url.Values
		headers []string
		client  *http.Client
	}{
		{"no token", url.Values{"password": {goodPassword}, "confirm": {goodPassword}}, nil, nil},
		{"wrong token", good("AAAA" + token[4:]), nil, nil},
		{"another link's token", good(otherToken), nil, nil},
		{"no cookie", good(token), nil, newClient(t)},
		{"cross-site fetch", good(token), []string{"Sec-Fetch-Site", "cross-site"}, nil},
		{"foreign origin", good(token), []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.ts.URL+path, strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			for i := 0; i+1 < len(tc.headers); i += 2 {
				if tc.headers[i+1] == "" {
					req.Header.Del(tc.headers[i])
				} else {
					req.Header.Set(tc.headers[i], tc.headers[i+1])
				}
			}
			c := s.client
			if tc.client != nil {
				c = tc.client
			}
			res := s.do(c, req)
			wantStatus(t, res, http.StatusForbidden)
			if tc.headers == nil {
				// A stale form comes back fresh, with a word of why.
				wantStatus(t, res, http.StatusForbidden, "the form expired", `name="csrf"`, "ada@example.com")
			}
			if got := s.user(u.ID); got.Status != roster.StatusPending || got.PasswordHash != "" {
				t.Fatalf("a refused form changed the user: %+v", got)
			}
		})
	}
	// The right token still works.
	wantStatus(t, s.post(path, good(token)), http.StatusOK, "Your account is active")

	// Ensure a site restarted between page and post (a new secret) asks
	// again, and the fresh form then works. The cookie jar sends the
	// cookie to any port of 127.0.0.1, as a browser would.
	_, path = s.pending("carol", "Carol Clerk", "carol@example.com")
	stale := s.csrf(s.get(path))
	restarted := New(s.db)
	restarted.Hash = s.srv.Hash
	handler, err := restarted.Handler()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(handler)
	defer ts.Close()
	res := s.postTo(ts.URL, path, good(stale))
	wantStatus(t, res, http.StatusForbidden, "the form expired")
	wantStatus(t, s.postTo(ts.URL, path, good(s.csrf(res))), http.StatusOK, "Your account is active")
}

// Ensure an oversized form is refused before anything is parsed.
func TestOversizedBody(t *testing.T) {
	s := newSite(t)
	u, path := s.pending("ada", "Ada Lovelace", "ada@example.com")
	token := s.csrf(s.get(path))
	res := s.post(path, url.Values{"csrf": {token}, "password": {strings.Repeat("a", 20000)}, "confirm": {"x"}})
	wantStatus(t, res, http.StatusRequestEntityTooLarge, "Too much data")
	res = s.post("/reset", url.Values{"email": {strings.Repeat("a", 20000) + "@example.com"}})
	wantStatus(t, res, http.StatusRequestEntityTooLarge)
	if got := s.user(u.ID); got.Status != roster.StatusPending {
		t.Fatal("an oversized form changed the user")
	}
}

// Ensure every kind of response carries the security headers.
func TestSecurityHeaders(t *testing.T) {
	s := newSite(t, func(srv *Server) { srv.Limits = Limits{PerAddr: Rate{Burst: 5, Every: time.Hour}} })
	_, path := s.pending("ada", "Ada Lovelace", "ada@example.com")
	for _, p := range []string{path, "/invite/nope", "/reset", "/", "/no/such/page", "/static/style.css", "/healthz"} {
		res := s.get(p)
		h := res.Header
		for name, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
		} {
			if !strings.Contains(h.Get(name), want) {
				t.Errorf("%s: %s = %q, want %q", p, name, h.Get(name), want)
			}
		}
		if p != "/static/style.css" && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control = %q", p, h.Get("Cache-Control"))
		}
		if strings.Contains(h.Get("Content-Security-Policy"), "script-src") || strings.Contains(res.body, "<script") {
			t.Errorf("%s: scripts allowed or present", p)
		}
	}
	// Ensure the rate-limited page has them too.
	res := s.get("/")
	wantStatus(t, res, http.StatusTooManyRequests, "Slow down")
	if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("Retry-After") == "" {
		t.Fatalf("429 headers: %v", res.Header)
	}
}

// Ensure the stylesheet is served, and cached only under its version.
func TestStylesheet(t *testing.T) {
	s := newSite(t)
	page := s.get("/")
	v := s.srv.pages.cssVersion
	wantStatus(t, page, http.StatusOK, `href="/static/style.css?v=`+v+`"`)
	res := s.get("/static/style.css?v=" + v)
	wantStatus(t, res, http.StatusOK, "prefers-color-scheme")
	if res.Header.Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("stylesheet headers: %v", res.Header)
	}
}

// Ensure the per-address limit stops a client that asks too often, and
// only that client.
func TestRateLimitPerAddress(t *testing.T) {
	s := newSite(t, func(srv *Server) {
		srv.TrustProxy = true
		srv.Limits = Limits{PerAddr: Rate{Burst: 3, Every: time.Hour}}
	})
	from := func(addr string) response {
		req, _ := http.NewRequest("GET", s.ts.URL+"/invite/guess", nil)
		req.Header.Set("X-Forwarded-For", addr)
		return s.do(s.client, req)
	}
	for i := 0; i < 3; i++ {
		wantStatus(t, from("198.51.100.1"), http.StatusNotFound)
	}
	res := from("198.51.100.1")
	wantStatus(t, res, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	wantStatus(t, from("198.51.100.2"), http.StatusNotFound)
	// Ensure an IPv6 client cannot escape by changing the host part.
	for i := 0; i < 3; i++ {
		from("2001:db8:1:2::" + string(rune('a'+i)))
	}
	wantStatus(t, from("2001:db8:1:2::ffff"), http.StatusTooManyRequests)
	if !strings.Contains(s.log.String(), "from=198.51.100.2 ") {
		t.Fatalf("the log has not the forwarded address:\n%s", s.log.String())
	}
}

// Ensure X-Forwarded-For is ignored unless the proxy is trusted.
func TestForwardedForIgnoredByDefault(t *testing.T) {
	s := newSite(t)
	req, _ := http.NewRequest("GET", s.ts.URL+"/invite/guess", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.66")
	s.do(s.client, req)
	if logs := s.log.String(); strings.Contains(logs, "203.0.113.66") || !strings.Contains(logs, "from=127.0.0.1 ") {
		t.Fatalf("log:\n%s", logs)
	}
}

// Ensure the per-link limit bounds password submissions on one link.
func TestRateLimitPerToken(t *testing.T) {
	s := newSite(t, func(srv *Server) { srv.Limits = Limits{PerToken: Rate{Burst: 2, Every: time.Hour}} })
	u, path := s.pending("ada", "Ada Lovelace", "ada@example.com")
	token := s.csrf(s.get(path))
	bad := url.Values{"csrf": {token}, "password": {"short"}, "confirm": {"short"}}
	wantStatus(t, s.post(path, bad), http.StatusBadRequest)
	wantStatus(t, s.post(path, bad), http.StatusBadRequest)
	wantStatus(t, s.post(path, url.Values{"csrf": {token}, "password": {goodPassword}, "confirm": {goodPassword}}), http.StatusTooManyRequests)
	if s.user(u.ID).Status != roster.StatusPending {
		t.Fatal("a limited post changed the user")
	}
	// Another link is not affected.
	_, other := s.pending("bob", "Bob Babbage", "bob@example.com")
	wantStatus(t, s.setPassword(other, goodPassword), http.StatusOK)
}

// recordingResetter records reset requests.
type recordingResetter struct {
	mu     sync.Mutex
	emails []string
}

func (r *recordingResetter) RequestReset(_ context.Context, email string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emails = append(r.emails, email)
	return nil
}

func (r *recordingResetter) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.emails...)
}

// Ensure "forgot password" answers the same for known and unknown
// addresses, hands the address on, and checks its form.
func TestForgotPassword(t *testing.T) {
	resets := &recordingResetter{}
	s := newSite(t, func(srv *Server) { srv.Resets = resets })
	s.pending("ada", "Ada Lovelace", "ada@example.com")

	form := s.get("/reset")
	wantStatus(t, form, http.StatusOK, "Forgot your password?", `type="email"`)
	token := s.csrf(form)
	known := s.post("/reset", url.Values{"csrf": {token}, "email": {"ada@example.com"}})
	unknown := s.post("/reset", url.Values{"csrf": {token}, "email": {"nobody@example.com"}})
	wantStatus(t, known, http.StatusOK, "Check your mail")
	if known.body != unknown.body || known.StatusCode != unknown.StatusCode {
		t.Fatal("the answer differs for a known and an unknown address")
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(resets.got()) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
	if got := resets.got(); len(got) != 2 {
		t.Fatalf("reset requests %v, want both addresses", got)
	}

	wantStatus(t, s.post("/reset", url.Values{"csrf": {token}, "email": {"not an address"}}),
		http.StatusBadRequest, "Enter the e-mail address", `value="not an address"`)
	wantStatus(t, s.post("/reset", url.Values{"email": {"ada@example.com"}}), http.StatusForbidden)
	wantStatus(t, s.post("/reset", url.Values{"csrf": {token}, "email": {"ada@example.com"}}, "Sec-Fetch-Site", "cross-site"),
		http.StatusForbidden)
	if got := resets.got(); len(got) != 2 {
		t.Fatalf("refused forms reached the resetter: %v", got)
	}
}

// Ensure the reset form works without a resetter (no mail set up), and
// that its own limit holds.
func TestForgotPasswordLimited(t *testing.T) {
	s := newSite(t, func(srv *Server) { srv.Limits = Limits{ResetPerAddr: Rate{Burst: 2, Every: time.Hour}} })
	token := s.csrf(s.get("/reset"))
	form := url.Values{"csrf": {token}, "email": {"ada@example.com"}}
	wantStatus(t, s.post("/reset", form), http.StatusOK)
	wantStatus(t, s.post("/reset", form), http.StatusOK)
	wantStatus(t, s.post("/reset", form), http.StatusTooManyRequests)
	if !strings.Contains(s.log.String(), "sends no mail") {
		t.Fatal("no warning that reset mail is not set up")
	}
}

// Ensure a base URL behind a proxy prefixes links, trusts its origin and
// marks the cookie Secure.
func TestBaseURL(t *testing.T) {
	s := newSite(t, func(srv *Server) { srv.BaseURL = "https://accounts.example.com/roster/" })
	_, path := s.pending("ada", "Ada Lovelace", "ada@example.com")
	req, _ := http.NewRequest("GET", s.ts.URL+path, nil)
	page := s.do(s.client, req)
	wantStatus(t, page, http.StatusOK, `href="/roster/static/style.css`)
	wantStatus(t, s.get("/invite/nope"), http.StatusNotFound, `href="/roster/reset"`)
	var secure bool
	for _, c := range page.Cookies() {
		secure = secure || c.Name == csrfCookie && c.Secure && c.HttpOnly && c.SameSite == http.SameSiteStrictMode
	}
	if !secure {
		t.Fatalf("CSRF cookie not Secure/HttpOnly/SameSite=Strict: %v", page.Header.Values("Set-Cookie"))
	}
	// The cookie jar will not send a Secure cookie over plain http, so
	// send it by hand, from the public origin.
	token := s.csrf(page)
	form := url.Values{"csrf": {token}, "password": {goodPassword}, "confirm": {goodPassword}}
	req, _ = http.NewRequest("POST", s.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://accounts.example.com")
	req.Header.Set("Cookie", page.Header.Get("Set-Cookie"))
	wantStatus(t, s.do(http.DefaultClient, req), http.StatusOK, "Your account is active")

	srv := New(s.db)
	srv.BaseURL = "ftp://nope"
	if _, err := srv.Handler(); err == nil {
		t.Fatal("a non-http base URL was accepted")
	}
}

// Ensure Start serves on a real port and Shutdown stops it.
func TestStartShutdown(t *testing.T) {
	s := newSite(t)
	srv := New(s.db)
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", res.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + addr.String() + "/healthz"); err == nil {
		t.Fatal("still serving after Shutdown")
	}
}

// Ensure a second site on a taken address fails with EADDRINUSE, which
// tells a TUI that another roster process serves the site already.
func TestStartAddressInUse(t *testing.T) {
	s := newSite(t)
	first := New(s.db)
	addr, err := first.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Shutdown(context.Background()) })
	_, err = New(s.db).Start(addr.String())
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("second Start on %s: %v, want EADDRINUSE", addr, err)
	}
}

// Ensure Run stops cleanly when its context ends.
func TestRun(t *testing.T) {
	s := newSite(t)
	srv := New(s.db)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, "127.0.0.1:0") }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop")
	}
}

// Ensure two browsers racing on one link activate once.
func TestConcurrentSubmissions(t *testing.T) {
	s := newSite(t)
	u, path := s.pending("ada", "Ada Lovelace", "ada@example.com")
	var clients []*http.Client
	var tokens []string
	for i := 0; i < 4; i++ {
		c := newClient(t)
		req, _ := http.NewRequest("GET", s.ts.URL+path, nil)
		clients = append(clients, c)
		tokens = append(tokens, s.csrf(s.do(c, req)))
	}
	var wg sync.WaitGroup
	results := make(chan int, 4)
	for i, c := range clients {
		token := tokens[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := url.Values{"csrf": {token}, "password": {goodPassword}, "confirm": {goodPassword}}
			req, _ := http.NewRequest("POST", s.ts.URL+path, strings.NewReader(v.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := c.Do(req)
			if err != nil {
				results <- 0
				return
			}
			res.Body.Close()
			results <- res.StatusCode
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for st := range results {
		if st == http.StatusOK {
			ok++
		} else if st != http.StatusNotFound {
			t.Errorf("status %d", st)
		}
	}
	if ok != 1 {
		t.Fatalf("%d submissions succeeded, want exactly 1", ok)
	}
	if s.user(u.ID).Status != roster.StatusActive {
		t.Fatal("not active")
	}
}

// Ensure unknown paths and methods get plain answers.
func TestNotFoundAndMethods(t *testing.T) {
	s := newSite(t)
	wantStatus(t, s.get("/admin"), http.StatusNotFound, "Page not found")
	wantStatus(t, s.get("/"), http.StatusOK, "Forgot your password?")
	req, _ := http.NewRequest("DELETE", s.ts.URL+"/reset", nil)
	if res := s.do(s.client, req); res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE /reset: %d", res.StatusCode)
	}
}
