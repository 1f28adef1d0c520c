package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// contentSecurityPolicy allows the page its own stylesheet and nothing
// else: no scripts at all, no frames, forms only to this site.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// setSecurityHeaders sets the headers every response carries. The token is
// in the URL, so no page may leak it through a Referer, a frame or a cache.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
}

// clientAddr returns the address of the person making the request: the
// connection's peer, or, when the server trusts a reverse proxy and the
// peer is a loopback address, the last address the proxy appended to
// X-Forwarded-For. It is the key of the per-address limit and what the
// audit log records.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	addr = addr.Unmap()
	if s.TrustProxy && addr.IsLoopback() {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if fwd, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				return fwd.Unmap()
			}
		}
	}
	return addr
}

// limitKey is an address as a rate-limit key: IPv6 clients get a whole
// /64, which is what one household or host usually has.
func limitKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// The CSRF defence is twofold. http.CrossOriginProtection refuses
// cross-origin POSTs by their Sec-Fetch-Site or Origin header; and every
// form carries a token that is an HMAC, under a secret of this process, of
// a random cookie and the form's scope (the link's token hash, or
// "reset"): a signed double-submit cookie. Another site can neither read
// the cookie nor compute the HMAC.
const (
	csrfCookie = "roster_csrf"
	csrfField  = "csrf"
)

// csrfCookieValue returns the browser's CSRF cookie, setting a new one
// on w when the request has none (or a malformed one).
func (s *Server) csrfCookieValue(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && validCookie(c.Value) {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux (Go 1.24+ panics instead)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: v, Path: s.root, HttpOnly: true,
		Secure: s.secureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	return v
}

func validCookie(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

// csrfToken returns the form token for a cookie value and a scope.
func (s *Server) csrfToken(cookie, scope string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("roster csrf\x00"))
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether a parsed form carries the right token for its
// cookie and scope, comparing in constant time.
func (s *Server) checkCSRF(r *http.Request, scope string) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || !validCookie(c.Value) {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(r.PostForm.Get(csrfField))
	if err != nil {
		return false
	}
	want, _ := base64.RawURLEncoding.DecodeString(s.csrfToken(c.Value, scope))
	return hmac.Equal(got, want)
}
