package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Ensure `roster serve` with an inactivity policy and an SMTP server mails
// a warning, once, to whoever the policy disables within
// warn_before_disable (here the default, 14 days), and to nobody else; the
// mail waits in the outbox for the sending process.
func TestServeWarnsBeforeInactivity(t *testing.T) {
	db, cfgDir := mailEnv(t)
	s, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	local := roster.LocalActor("t")
	for name, age := range map[string]int{"mid": 170, "new": 10} {
		s.Now = func() time.Time { return time.Now().AddDate(0, 0, -age) }
		u, err := s.CreateUser(local, roster.NewUser{Username: name, Name: name, Email: name + "@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetStatus(local, []uint64{u.ID}, roster.StatusActive); err != nil {
			t.Fatal(err)
		}
	}
	s.Now = time.Now
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "disable_after_inactive = \"180d\"\nsmtp_url = \"smtp://127.0.0.1:1\"\nsmtp_plaintext_loopback = true\n" +
		"from = \"roster@example.org\"\nbase_url = \"http://127.0.0.1:9\"\n"
	if err := os.WriteFile(filepath.Join(cfgDir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var serr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--db", db, "serve", "--http", "", "--mail-worker=false"}, strings.NewReader(""), io.Discard, &serr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	var warned []roster.AuditEvent
	for len(warned) == 0 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve sent no warning; its log:\n%s", serr.String())
		}
		time.Sleep(20 * time.Millisecond) // polling interval
		warned, err = s.AuditEvents(local, store.AuditFilter{Search: roster.ActionDormantWarn})
		if err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, serr.String())
	}
	if len(warned) != 1 || strings.Join(warned[0].Targets, ",") != "mid" || warned[0].Actor != "system:inactivity" {
		t.Fatalf("warnings: %+v", warned)
	}
	jobs, err := s.OutboxJobs(local, store.OutboxFilter{Pending: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].Kind != store.MailDormant || jobs[0].To != "mid@example.com" {
		t.Fatalf("outbox: %+v", jobs)
	}
	if u, _ := s.FindUser(local, "mid"); u.Status != roster.StatusActive {
		t.Errorf("mid was disabled before the day: %s", u.Status)
	}
}
