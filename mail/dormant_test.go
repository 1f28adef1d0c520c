package mail

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Ensure the inactivity warning names the account, the day it will be
// disabled and how far off that is (not the links' lifetime), and carries
// no link.
func TestComposeDormantWarning(t *testing.T) {
	c := testComposer(t, Config{From: "roster@example.org", BaseURL: "https://roster.example.org/", OrgName: "Acme", TTL: 24 * time.Hour})
	u := &roster.User{Username: "zoe", Name: "Zoe Quiet", Email: "zoe@example.com"}
	day := c.Now().Add(14*24*time.Hour + 3*time.Hour)
	raw, err := c.Render(store.MailContent{Kind: store.MailDormant, User: u, Expires: day})
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{"Subject: Your Acme account will be disabled soon", "(zoe)", day.UTC().Format("Monday, 2 January 2006"), "in about 14 days"} {
		if !strings.Contains(text, want) {
			t.Errorf("the warning lacks %q:\n%s", want, text)
		}
	}
	if bytes.Contains(raw, []byte("/invite/")) || strings.Contains(text, "24 hours") {
		t.Errorf("the warning carries a link or the links' lifetime:\n%s", text)
	}
}
