package mail

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Ensure the invitation reads like mail from a person: headers in the
// usual order with Auto-Submitted kept, the inviter a Roster user's name
// or else the organisation (never the operating-system account), an HTML
// part with a real button and a link that can wrap on a phone.
func TestInvitationMessage(t *testing.T) {
	cfg := Config{From: "Example Org <roster@example.org>", BaseURL: "https://roster.example.org", OrgName: "Example Org"}
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	c, err := NewComposer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u := &roster.User{Username: "ada", Name: "Ada Lovelace", Email: "ada@example.com"}
	render := func(inviter string) string {
		b, err := c.Render(store.MailContent{Kind: store.MailInvite, User: u, Token: strings.Repeat("x", 43),
			Expires: time.Now().Add(24 * time.Hour), InviterName: inviter})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	msg := render("Grace Hopper")
	header := msg[:strings.Index(msg, "\r\n\r\n")]
	var names []string
	for _, line := range strings.Split(header, "\r\n") {
		if line != "" && line[0] != ' ' && line[0] != '\t' {
			names = append(names, strings.ToLower(line[:strings.IndexByte(line, ':')]))
		}
	}
	want := "date from to subject message-id mime-version auto-submitted content-type"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("header order %q; want %q", got, want)
	}
	if !strings.Contains(msg, "Grace Hopper has invited you to Example Org") {
		t.Error("the inviter's name is missing")
	}
	local := render("")
	if !strings.Contains(local, "You are invited to Example Org.") || strings.Contains(local, "root") || strings.Contains(local, "has invited you") {
		t.Errorf("local use should name the organisation only:\n%s", local)
	}
	html := htmlPart(t, local)
	if !regexp.MustCompile(`<a href="https://roster\.example\.org/invite/x+" style="display: inline-block; padding`).MatchString(html) {
		t.Error("no button-styled link in the HTML part")
	}
	if !strings.Contains(html, "word-break: break-all") || !strings.Contains(html, `name="viewport"`) || !strings.Contains(html, "max-width: 560px") {
		t.Error("the HTML part does not let the link wrap on a phone")
	}
}

// htmlPart returns the decoded text/html part of a message.
func htmlPart(t *testing.T, msg string) string {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader([]byte(msg)))
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("no HTML part: %v", err)
		}
		if h, ok := p.Header.(*gomail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/html" {
				b, _ := io.ReadAll(p.Body)
				return string(b)
			}
		}
	}
}
