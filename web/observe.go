package web

import (
	"net/http"
	"time"
)

// RequestObserver hears each request the site answered: its route (the
// pattern it matched, such as "GET /invite/{token}", never the path with
// its token; "" when none matched) and status.
type RequestObserver interface {
	Request(route string, status int, took time.Duration)
}

// observed tells the Observer about every request, after it is answered.
func (s *Server) observed(next http.Handler) http.Handler {
	if s.Observer == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.Observer.Request(r.Pattern, sw.status, time.Since(start))
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
