package web

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type requests struct {
	mu  sync.Mutex
	got []string
}

func (r *requests) Request(route string, status int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, route+" "+http.StatusText(status))
}

// Ensure the observer hears each request's route pattern and status, and
// never the token in the path.
func TestObserver(t *testing.T) {
	obs := &requests{}
	s := newSite(t, func(srv *Server) { srv.Observer = obs })
	_, path := s.pending("ada", "Ada Lovelace", "ada@example.com")
	s.get(path)
	s.get("/invite/nope")
	s.get("/healthz")
	s.get("/no/such/page")
	want := []string{"GET /invite/{token} OK", "GET /invite/{token} Not Found", "GET /healthz OK", "GET / Not Found"}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if strings.Join(obs.got, "|") != strings.Join(want, "|") {
		t.Fatalf("observed %q, want %q", obs.got, want)
	}
}
