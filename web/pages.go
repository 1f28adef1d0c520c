package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
)

//go:embed templates/*.html static/style.css
var assets embed.FS

// pages holds one parsed template per page (each with the layout) and the
// stylesheet.
type pages struct {
	byName     map[string]*template.Template
	frames     *frames // the layout, rendered once per title (frame.go)
	css        []byte
	cssVersion string // a hash of the stylesheet, so it can be cached safely
}

var pageNames = []string{"index", "password", "done", "invalid", "reset", "reset_sent", "message"}

func loadPages() (*pages, error) {
	css, err := assets.ReadFile("static/style.css")
	if err != nil {
		return nil, fmt.Errorf("web: stylesheet: %w", err)
	}
	sum := sha256.Sum256(css)
	p := &pages{byName: map[string]*template.Template{}, css: css, cssVersion: hex.EncodeToString(sum[:4])}
	funcs := template.FuncMap{"when": formatTime}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	if p.frames, err = loadFrames(funcs); err != nil {
		return nil, err
	}
	return p, nil
}

// formatTime shows a time in UTC, as mail and logs do.
func formatTime(t time.Time) string { return t.UTC().Format("2 January 2006, 15:04 MST") }

// view is what every page template gets.
type view struct {
	Title      string
	Org        string
	Root       string // path prefix of links, ending in "/"
	CSSVersion string

	// The password form.
	Reset     bool // a reset link, not an invitation
	Name      string
	Username  string
	Email     string
	Expires   time.Time
	CSRF      string
	Error     string
	MinLength int
	MaxLength int

	// The name, asked of a person invited without one (see nameForm).
	AskName   bool
	Given     roster.PersonName // as typed, shown again with a problem
	NameError string
	NameField string // the field at fault: name, given_name or surname

	// A message page.
	Heading string
	Message string
	Back    string // a link to offer, if any
}

func (s *Server) newView(title string) *view {
	return &view{Title: title, Org: s.Org, Root: s.root, CSSVersion: s.pages.cssVersion,
		MinLength: password.MinLength, MaxLength: password.MaxLength}
}

// render writes a page with a status. It renders into a buffer first, so a
// template failure becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := s.pages.execute(&buf, name, v); err != nil {
		s.Log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// message renders the generic message page.
func (s *Server) message(w http.ResponseWriter, status int, heading, msg, back string) {
	v := s.newView(heading)
	v.Heading, v.Message, v.Back = heading, msg, back
	s.render(w, status, "message", v)
}
