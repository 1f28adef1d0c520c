package mail

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

//go:embed templates/*
var embedded embed.FS

// Template names. Each kind has a plain-text template (which also defines
// "subject") and an HTML one; a file of the same name in the template
// folder replaces the embedded one.
var templateNames = map[store.MailKind]string{
	store.MailInvite:  "invite",
	store.MailReset:   "reset",
	store.MailTest:    "test",
	store.MailDormant: "dormant",
}

// Composer builds invitation, reset and test messages: multipart/
// alternative, plain text and HTML, with headers built by go-message so no
// name or subject can inject a header. It is safe for concurrent use.
type Composer struct {
	from    *mail.Address
	domain  string // for Message-ID
	baseURL string
	org     string
	ttl     time.Duration
	text    map[store.MailKind]*texttemplate.Template
	html    map[store.MailKind]*htmltemplate.Template

	// Now is the clock for the Date header.
	Now func() time.Time
}

// TemplateData is what the templates see.
type TemplateData struct {
	Name        string // the invitee's full name
	Username    string
	Email       string
	Inviter     string // who sent the invitation: a Roster user's name, else the organisation
	ByPerson    bool   // Inviter is a person (a Roster user), not the organisation
	Org         string // what they are invited to
	Link        string // BASE_URL/invite/TOKEN
	Expires     time.Time
	ExpiresText string // "Wednesday, 25 November 2026, 14:03 UTC"
	TTL         string // "24 hours"
}

// NewComposer loads the templates (overrides from cfg.TemplateDir first)
// and checks them. cfg must be normalized.
func NewComposer(cfg Config) (*Composer, error) {
	from, err := parseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	c := &Composer{
		from: from, baseURL: cfg.BaseURL, org: cfg.OrgName, ttl: cfg.TTL,
		text: map[store.MailKind]*texttemplate.Template{},
		html: map[store.MailKind]*htmltemplate.Template{},
		Now:  time.Now,
	}
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 {
		c.domain = from.Address[at+1:]
	}
	if c.domain == "" {
		c.domain = "localhost"
	}
	for kind, name := range templateNames {
		src, err := loadTemplate(cfg.TemplateDir, name+".txt")
		if err != nil {
			return nil, err
		}
		tt, err := texttemplate.New(name + ".txt").Option("missingkey=error").Parse(src)
		if err != nil {
			return nil, fmt.Errorf("template %s.txt: %w", name, err)
		}
		if tt.Lookup("subject") == nil {
			return nil, fmt.Errorf("template %s.txt: no {{define \"subject\"}}", name)
		}
		c.text[kind] = tt
		src, err = loadTemplate(cfg.TemplateDir, name+".html")
		if err != nil {
			return nil, err
		}
		ht, err := htmltemplate.New(name + ".html").Option("missingkey=error").Parse(src)
		if err != nil {
			return nil, fmt.Errorf("template %s.html: %w", name, err)
		}
		c.html[kind] = ht
	}
	// Render each once now, so a broken override fails at start, not per mail.
	sample := store.MailContent{Kind: store.MailInvite, Token: "sample", Expires: time.Now(), InviterName: "admin",
		User: sampleUser()}
	for kind := range templateNames {
		sample.Kind = kind
		if _, err := c.Render(sample); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func loadTemplate(dir, name string) (string, error) {
	if dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			return string(b), nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("template override: %w", err)
		}
	}
	b, err := embedded.ReadFile("templates/" + name)
	if err != nil {
		return "", fmt.Errorf("embedded template %s: %w", name, err)
	}
	return string(b), nil
}

// Link returns the link for a raw token. Invitation and reset tokens share
// the invitation site's page, which reads the token's purpose.
func (c *Composer) Link(token string) string {
	return c.baseURL + "/invite/" + token
}

// Render builds the whole message for one mail. It is a store.RenderFunc.
func (c *Composer) Render(m store.MailContent) ([]byte, error) {
	var to *mail.Address
	if m.User != nil {
		to = &mail.Address{Name: m.User.Name, Address: m.User.Email}
	}
	return c.render(m, to)
}

func (c *Composer) render(m store.MailContent, to *mail.Address) ([]byte, error) {
	tt, ok := c.text[m.Kind]
	if !ok {
		return nil, fmt.Errorf("no template for %s mail", m.Kind)
	}
	d := TemplateData{Org: c.org, Inviter: m.InviterName, ByPerson: m.InviterName != "", Expires: m.Expires}
	if d.Inviter == "" {
		d.Inviter = c.org
	}
	if m.User != nil {
		d.Name, d.Username, d.Email = m.User.Name, m.User.Username, m.User.Email
	}
	if m.Token != "" {
		d.Link = c.Link(m.Token)
	}
	if !m.Expires.IsZero() {
		d.ExpiresText = m.Expires.UTC().Format("Monday, 2 January 2006, 15:04 MST")
		d.TTL = humanDuration(m.Expires.Sub(c.Now()))
		switch {
		case m.Kind == store.MailDormant: // the day the account is disabled, not a link's life
			d.TTL = humanDuration(max(24*time.Hour, m.Expires.Sub(c.Now()).Round(24*time.Hour)))
		case c.ttl > 0:
			d.TTL = humanDuration(c.ttl)
		}
	}
	var subject, text, html bytes.Buffer
	if err := tt.ExecuteTemplate(&subject, "subject", d); err != nil {
		return nil, fmt.Errorf("render subject: %w", err)
	}
	if err := tt.Execute(&text, d); err != nil {
		return nil, fmt.Errorf("render text: %w", err)
	}
	if err := c.html[m.Kind].Execute(&html, d); err != nil {
		return nil, fmt.Errorf("render html: %w", err)
	}
	return c.compose(to, strings.TrimSpace(subject.String()), text.Bytes(), html.Bytes())
}

// RenderTest builds the message of `roster mail test`; sender names who
// asked for it.
func (c *Composer) RenderTest(to, sender string) ([]byte, error) {
	addr, err := parseAddress(to)
	if err != nil {
		return nil, fmt.Errorf("test address: %w", err)
	}
	return c.render(store.MailContent{Kind: store.MailTest, InviterName: sender}, addr)
}

func sampleUser() *roster.User {
	return &roster.User{Username: "sample", Name: "Sample Person", Email: "sample@example.com"}
}

func (c *Composer) compose(to *mail.Address, subject string, text, html []byte) ([]byte, error) {
	// go-message writes the field added last first: add them in reverse of
	// the usual order (Date, From, To, Subject, Message-ID, MIME-Version,
	// Auto-Submitted, Content-Type).
	boundary := make([]byte, 24)
	if _, err := rand.Read(boundary); err != nil {
		return nil, err
	}
	var h gomail.Header
	h.SetContentType("multipart/alternative", map[string]string{"boundary": hex.EncodeToString(boundary)})
	h.Set("Auto-Submitted", "auto-generated")
	h.Set("MIME-Version", "1.0")
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	h.SetMessageID(hex.EncodeToString(id) + "@" + c.domain)
	h.SetSubject(subject)
	if to != nil {
		h.SetAddressList("To", []*mail.Address{to})
	}
	h.SetAddressList("From", []*mail.Address{c.from})
	h.SetDate(c.Now())

	var buf bytes.Buffer
	buf.Grow(len(text) + len(html) + 1024)
	mw, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	for _, part := range []struct {
		typ  string
		body []byte
	}{{"text/plain", text}, {"text/html", html}} {
		var ph gomail.InlineHeader
		ph.SetContentType(part.typ, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Disposition", "inline")
		ph.Set("Content-Transfer-Encoding", "quoted-printable") // CRLF line ends, 76-column lines
		w, err := mw.CreatePart(ph.Header)
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		if _, err := w.Write(part.body); err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return buf.Bytes(), nil
}

// parseAddress reads "Name <address>" or a bare address.
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("contains a line break")
	}
	return mail.ParseAddress(s)
}

// humanDuration says "24 hours", "90 minutes", "3 days".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 2*time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d == time.Hour:
		return "1 hour"
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return fmt.Sprintf("%.1f hours", d.Hours())
}
