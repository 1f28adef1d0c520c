package web

import (
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/roster-dev/roster/internal/version"
)

// Health is the JSON answer of GET /healthz to a client that accepts
// application/json: which Roster serves the site and on which database.
// `roster doctor` compares it with the database it opened, to tell this
// site from another program (or another Roster) on the base URL's port.
type Health struct {
	Status   string         `json:"status"` // "ok", or "unavailable" with Error
	Error    string         `json:"error,omitempty"`
	Version  string         `json:"version"`
	Database HealthDatabase `json:"database"`
}

// HealthDatabase names the database: its identity (random, made once, kept
// in the file) always; its path only to a client on this machine that came
// without a proxy, since the path says something about the server.
type HealthDatabase struct {
	ID   string `json:"id,omitempty"`
	Path string `json:"path,omitempty"`
}

// handleHealth serves GET /healthz for a proxy, a monitor and `roster
// doctor`. It answers "ok" in plain text, as it always has, unless the
// client accepts application/json: then a Health, with status 503 when the
// database cannot be read.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if !acceptsJSON(r) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	h := Health{Status: "ok", Version: version.Info().Version}
	code := http.StatusOK
	id, err := s.DB.ID()
	if err != nil {
		s.Log.Warn("health check: database identity", "err", err)
		h.Status, h.Error, code = "unavailable", "the database cannot be read", http.StatusServiceUnavailable
	}
	h.Database.ID = id
	if localDirect(r) {
		h.Database.Path = s.DB.Path()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(h)
}

// acceptsJSON reports an Accept header that names application/json.
func acceptsJSON(r *http.Request) bool {
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept"), ","), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/json" {
			return true
		}
	}
	return false
}

// localDirect reports a request from a loopback address that no proxy
// forwarded.
func localDirect(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback() &&
		r.Header.Get("X-Forwarded-For") == "" && r.Header.Get("Forwarded") == ""
}
