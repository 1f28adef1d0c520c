package web

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/password"
	"github.com/roster-dev/roster/store"
)

var local = roster.LocalActor("tester")

// cheapParams make argon2id fast for tests that do not measure it.
var cheapParams = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// testClock is a store clock that tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// site is a real store, a real invitation site on httptest, and a browser-
// like client with a cookie jar.
type site struct {
	t      testing.TB
	db     *store.DB
	srv    *Server
	ts     *httptest.Server
	client *http.Client
	clock  *testClock
	log    *lockedBuffer
}

// newSite starts a site; configure may change the Server before it starts.
func newSite(t testing.TB, configure ...func(*Server)) *site {
	t.Helper()
	db := storetest.Open(t)
	clock := &testClock{now: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}
	db.Now = clock.Now
	logs := &lockedBuffer{}
	srv := New(db)
	srv.Org = "Example Ltd"
	srv.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv.Hash = func(pw string) (string, error) { return password.HashWith(pw, cheapParams) }
	for _, c := range configure {
		c(srv)
	}
	h, err := srv.Handler()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &site{t: t, db: db, srv: srv, ts: ts, client: newClient(t), clock: clock, log: logs}
}

// newClient returns a client with its own cookie jar that does not follow
// redirects.
func newClient(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// pending adds a Pending user and returns them with a fresh invitation link
// (the path, "/invite/TOKEN").
func (s *site) pending(username, name, email string) (*roster.User, string) {
	s.t.Helper()
	u, err := s.db.CreateUser(local, roster.NewUser{Username: username, Name: name, Email: email})
	if err != nil {
		s.t.Fatal(err)
	}
	return u, s.link(u, roster.TokenInvite)
}

// link issues a new link for u and returns its path.
func (s *site) link(u *roster.User, purpose roster.TokenPurpose) string {
	s.t.Helper()
	raw, _, err := s.db.IssueLink(local, u.ID, purpose, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	return "/" + purpose.String() + "/" + raw
}

// response is a read response.
type response struct {
	*http.Response
	body string
}

func (s *site) do(c *http.Client, req *http.Request) response {
	s.t.Helper()
	res, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{res, string(b)}
}

func (s *site) get(path string) response {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.ts.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.do(s.client, req)
}

// post sends a form as a same-origin browser would, with extra headers.
func (s *site) post(path string, form url.Values, headers ...string) response {
	s.t.Helper()
	return s.postTo(s.ts.URL, path, form, headers...)
}

// postTo is post to another server.
func (s *site) postTo(base, path string, form url.Values, headers ...string) response {
	s.t.Helper()
	req, err := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.do(s.client, req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the form token on a page, or fails.
func (s *site) csrf(page response) string {
	s.t.Helper()
	m := csrfRE.FindStringSubmatch(page.body)
	if m == nil {
		s.t.Fatalf("no CSRF token on the page (status %d):\n%s", page.StatusCode, page.body)
	}
	return html.UnescapeString(m[1])
}

// setPassword opens the link and submits the form with pw twice.
func (s *site) setPassword(path, pw string) response {
	s.t.Helper()
	form := s.get(path)
	if form.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %d\n%s", path, form.StatusCode, form.body)
	}
	return s.post(path, url.Values{"csrf": {s.csrf(form)}, "password": {pw}, "confirm": {pw}})
}

// user reads a user back from the store.
func (s *site) user(id uint64) *roster.User {
	s.t.Helper()
	u, err := s.db.User(local, id)
	if err != nil {
		s.t.Fatal(err)
	}
	return u
}

// lastEvent returns the newest audit event.
func (s *site) lastEvent() roster.AuditEvent {
	s.t.Helper()
	evs, err := s.db.AuditEvents(local, store.AuditFilter{Limit: 1})
	if err != nil || len(evs) == 0 {
		s.t.Fatalf("audit: %v", err)
	}
	return evs[0]
}

// wantStatus fails unless the response has the status and every piece of
// text.
func wantStatus(t testing.TB, r response, status int, texts ...string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d\n%s", r.StatusCode, status, r.body)
	}
	for _, text := range texts {
		if !strings.Contains(r.body, html.EscapeString(text)) && !strings.Contains(r.body, text) {
			t.Fatalf("page lacks %q:\n%s", text, r.body)
		}
	}
}
