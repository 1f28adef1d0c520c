package web

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"
)

func (s *site) health(headers ...string) (response, Health) {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.ts.URL+"/healthz", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res := s.do(s.client, req)
	var h Health
	if err := json.Unmarshal([]byte(res.body), &h); err != nil {
		s.t.Fatalf("healthz JSON %q: %v", res.body, err)
	}
	return res, h
}

// Ensure /healthz stays plain "ok" for monitors, and names the database
// (identity, and path to a local client) when asked for JSON.
func TestHealth(t *testing.T) {
	s := newSite(t)
	res := s.get("/healthz")
	if res.StatusCode != http.StatusOK || res.body != "ok\n" {
		t.Fatalf("plain healthz: %d %q", res.StatusCode, res.body)
	}
	id, err := s.db.ID()
	if err != nil {
		t.Fatal(err)
	}
	res, h := s.health()
	if res.StatusCode != http.StatusOK || h.Status != "ok" || h.Database.ID != id || h.Database.Path != s.db.Path() || h.Version == "" {
		t.Fatalf("JSON healthz: %d %+v, want id %s path %s", res.StatusCode, h, id, s.db.Path())
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	// Through a proxy the path is not told.
	_, h = s.health("X-Forwarded-For", "203.0.113.9")
	if h.Database.ID != id || h.Database.Path != "" {
		t.Fatalf("proxied healthz: %+v", h)
	}
}

// Ensure a database that cannot be read turns the JSON answer into 503.
func TestHealthUnavailable(t *testing.T) {
	s := newSite(t)
	if _, err := s.db.ID(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(s.db.Path()); err != nil {
		t.Fatal(err)
	}
	res, h := s.health()
	if res.StatusCode != http.StatusServiceUnavailable || h.Status != "unavailable" || h.Error == "" {
		t.Fatalf("healthz without a database: %d %+v", res.StatusCode, h)
	}
}
