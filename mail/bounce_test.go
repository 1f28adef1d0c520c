package mail

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Ensure each form of bounce is read: the recipient, the job, whether it
// is hard, and the diagnostic; and that a person's reply is not a bounce.
func TestParseBounce(t *testing.T) {
	cases := []struct {
		file   string
		rcpt   string
		job    uint64
		hard   bool
		detail string
	}{
		{"exchange-online.eml", "grace@contoso.com", 41, true, "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found"},
		{"gmail-text.eml", "linus@example.net", 42, true, "550-5.1.1 The email account that you tried to reach does not exist"},
		{"exchange-text.eml", "ken@corp.example", 43, true, "5.1.1"},
		{"qmail.eml", "dennis@old.example", 44, true, "no mailbox here"},
		{"delayed.eml", "barbara@slow.example", 45, false, "4.4.1"},
		{"policy.eml", "john@strict.example", 46, false, SettingsPrefix + "554 5.7.1 Service unavailable"},
	}
	for _, c := range cases {
		f, err := os.Open(filepath.Join("testdata", "bounces", c.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseBounce(f)
		f.Close()
		if err != nil || len(got) != 1 {
			t.Errorf("%s: %+v %v", c.file, got, err)
			continue
		}
		b := got[0]
		if b.Recipient != c.rcpt || b.JobID != c.job || b.Hard != c.hard || !strings.Contains(b.Detail, c.detail) {
			t.Errorf("%s: %+v; want %s job %d hard=%v detail ~%q", c.file, b, c.rcpt, c.job, c.hard, c.detail)
		}
	}
	f, err := os.Open(filepath.Join("testdata", "bounces", "not-a-bounce.eml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := ParseBounce(f); !errors.Is(err, ErrNotBounce) {
		t.Errorf("a reply read as a bounce: %+v %v", got, err)
	}
	if _, err := ParseBounce(strings.NewReader("\x00\x01 garbage")); !errors.Is(err, ErrNotBounce) {
		t.Errorf("garbage: %v", err)
	}
}
