package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

func day(offset int) string { return time.Now().AddDate(0, 0, offset).Format(roster.DateLayout) }

// Ensure expiry dates are set, listed, filtered and cleared from the
// command line, and that the next roster process after the date disables
// the account, audited once by system:expiry.
func TestCLIExpiry(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com", "--expires", day(10))
	cliOK(t, db, "users", "add", "--username", "bob", "--name", "Bob", "--email", "bob@example.com")
	cliOK(t, db, "users", "activate", "ada", "bob")
	if out := cliOK(t, db, "users", "edit", "bob", "--expires", day(60)); !strings.Contains(out, "disabled from") {
		t.Errorf("edit said %q", out)
	}
	users := listJSON(t, db)
	if users[0]["expires"] != day(10) || users[1]["expires"] != day(60) || users[0]["kind"] != "person" {
		t.Fatalf("list: %v", users)
	}
	if got := names(listJSON(t, db, "--expiring", "30d")); got != "ada" {
		t.Errorf("--expiring 30d: %s", got)
	}
	cliFail(t, db, 2, []string{"--expiring", "days"}, "users", "list", "--expiring", "soon")
	cliFail(t, db, 1, []string{"expiry date", "YYYY-MM-DD"}, "users", "edit", "bob", "--expires", "31/03/2027")
	cliOK(t, db, "users", "edit", "bob", "--expires", "none")
	if users := listJSON(t, db, "--search", "bob"); users[0]["expires"] != nil {
		t.Errorf("expires none: %v", users[0])
	}
	// A date already past: the next process to open the file disables ada.
	cliOK(t, db, "users", "edit", "ada", "--expires", day(-1))
	users = listJSON(t, db, "--search", "ada")
	if users[0]["status"] != "disabled" {
		t.Fatalf("after the date: %v", users[0])
	}
	cliOK(t, db, "users", "list")
	out := cliOK(t, db, "audit", "--json")
	if n := strings.Count(out, `"system:expiry"`); n != 1 {
		t.Errorf("%d events by system:expiry, want 1:\n%s", n, out)
	}
	cliFail(t, db, 1, []string{"expired on"}, "users", "activate", "ada")
}

// Ensure a service account is added without e-mail, Active with its
// password printed once, listed by kind, and never invited.
func TestCLIServiceAccount(t *testing.T) {
	db := tempDB(t)
	code, out, errOut := cli(t, "", "--db", db, "users", "add", "--service", "nextcloud", "--name", "Nextcloud")
	if code != 0 || !strings.Contains(errOut, "shown this once") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	pw := strings.TrimSpace(out)
	if len(pw) != 20 {
		t.Fatalf("password %q", pw)
	}
	cliFail(t, db, 2, []string{"without --username"}, "users", "add", "--service", "x", "--username", "y")
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	svc := listJSON(t, db, "--kind", "service")
	if len(svc) != 1 || svc[0]["username"] != "nextcloud" || svc[0]["status"] != "active" || svc[0]["kind"] != "service" {
		t.Fatalf("--kind service: %v", svc)
	}
	if groups, _ := svc[0]["groups"].([]any); len(groups) != 1 || groups[0] != roster.DirectoryReaders {
		t.Errorf("groups %v", svc[0]["groups"])
	}
	if got := names(listJSON(t, db, "--kind", "person")); got != "ada" {
		t.Errorf("--kind person: %s", got)
	}
	generate := "give it a new password with: roster users password nextcloud --generate"
	cliFail(t, db, 1, []string{"refused nextcloud: " + roster.ServiceNoLink, generate}, "invite", "nextcloud", "--no-wait")
	cliFail(t, db, 1, []string{"refused nextcloud: " + roster.ServiceNoLink, generate}, "users", "reset", "nextcloud", "--no-wait")
	// Even a link without mail: a service account's password is not set from a link.
	cliFail(t, db, 1, []string{"you may not make set-password links for nextcloud (a service account): " + roster.ServiceNoLink, generate}, "users", "link", "nextcloud")
	if strings.Contains(cliOK(t, db, "audit"), pw) {
		t.Error("the password is in the audit log")
	}
}

// Ensure --generate prints a new password once, revokes the live link,
// and audits it without the password.
func TestCLIGeneratePassword(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	link := strings.TrimSpace(cliOK(t, db, "users", "link", "ada"))
	cliFail(t, db, 2, []string{"--generate"}, "users", "password", "ada")
	pw := strings.TrimSpace(cliOK(t, db, "users", "password", "ada", "--generate"))
	if len(pw) != 20 {
		t.Fatalf("password %q", pw)
	}
	audit := cliOK(t, db, "audit")
	if strings.Contains(audit, pw) || !strings.Contains(audit, roster.ActionPasswordGenerate) || !strings.Contains(audit, "live link revoked") {
		t.Errorf("audit:\n%s", audit)
	}
	s, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	raw := link[strings.LastIndex(link, "/")+1:]
	if _, _, err := s.LookupToken(raw); err == nil {
		t.Error("the link still works")
	}
	if users := listJSON(t, db); users[0]["status"] != "active" {
		t.Errorf("status %v", users[0]["status"])
	}
}

// Ensure --sort last-login puts the latest sign-in first.
func TestCLISortLastLogin(t *testing.T) {
	db := tempDB(t)
	for _, n := range []string{"ada", "bob", "cy"} {
		cliOK(t, db, "users", "add", "--username", n, "--name", n, "--email", n+"@example.com")
		cliOK(t, db, "users", "activate", n)
	}
	s, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	s.Now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	for _, n := range []string{"bob", "ada"} {
		u, err := s.FindUser(roster.LocalActor("t"), n)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RecordLogin(u.ID, "ldap", "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	if out := cliOK(t, db, "users", "sign-ins", "ada"); !strings.Contains(out, "ldap  127.0.0.1") {
		t.Errorf("sign-ins: %q", out)
	}
	if out := cliOK(t, db, "users", "sign-ins", "cy"); !strings.Contains(out, "never signed in") {
		t.Errorf("sign-ins of cy: %q", out)
	}
	if got := names(listJSON(t, db, "--sort", "last-login")); got != "ada bob cy" {
		t.Errorf("--sort last-login: %s", got)
	}
	if got := names(listJSON(t, db, "--sort", "last-login", "--desc")); got != "cy bob ada" {
		t.Errorf("--sort last-login --desc: %s", got)
	}
}

// Ensure `invitations list` shows an invitation with its sender and state,
// and `invitations revoke` turns it revoked.
func TestCLIInvitations(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	cliOK(t, db, "invite", "ada", "--no-wait")
	var list []map[string]any
	if err := json.Unmarshal([]byte(cliOK(t, db, "invitations", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0]["email"] != "ada@example.com" || list[0]["state"] != "queued" ||
		!strings.HasPrefix(list[0]["sent_by"].(string), "os:") || list[0]["expires_at"] == nil {
		t.Fatalf("list: %v", list)
	}
	cliOK(t, db, "invitations", "revoke", "ada")
	if out := cliOK(t, db, "invitations", "list"); !strings.Contains(out, "revoked") || !strings.Contains(out, "ada@example.com") {
		t.Errorf("after revoke:\n%s", out)
	}
	cliFail(t, db, 1, []string{"no live invitation"}, "invitations", "revoke", "ada")
	// A new address: the new invitation shows it, the old one keeps its own.
	cliOK(t, db, "users", "edit", "ada", "--email", "ada@new.example.com")
	cliOK(t, db, "invite", "ada", "--no-wait")
	out := cliOK(t, db, "invitations", "list")
	for _, want := range []string{`(?m)^ada\s+ada@new\.example\.com\s.*\squeued$`, `(?m)^ada\s+ada@example\.com\s.*\sreplaced$`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("list lacks %s:\n%s", want, out)
		}
	}
}

// Ensure that several roster processes opening the file at once after an
// expiry date disable the account once, with one audit event.
func TestExpiryManyProcessesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildRoster(t, dir)
	db := filepath.Join(dir, "roster.db")
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	cliOK(t, db, "users", "activate", "ada")
	// The edit's own process opened the file before the date was set: the
	// account is still active until the next process opens it.
	cliOK(t, db, "users", "edit", "ada", "--expires", day(-1))

	var wg sync.WaitGroup
	codes := make([]int, 4)
	errs := make([]string, 4)
	for i := range codes {
		wg.Go(func() { codes[i], _, errs[i] = rosterProc(bin, db, "users", "list") })
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 {
			t.Fatalf("process %d: exit %d: %s", i, c, errs[i])
		}
	}
	if users := listJSON(t, db); users[0]["status"] != "disabled" {
		t.Fatalf("ada: %v", users[0]["status"])
	}
	if n := strings.Count(cliOK(t, db, "audit", "--json"), `"system:expiry"`); n != 1 {
		t.Errorf("%d events by system:expiry, want 1", n)
	}
}

// Ensure `roster serve` applies disable_after_inactive from config.toml:
// an account activated 200 days ago with no sign-in is disabled by
// system:inactivity, a recent one is not; a bad span stops serve.
func TestServeInactivityPolicy(t *testing.T) {
	db, cfgDir := mailEnv(t)
	s, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	local := roster.LocalActor("t")
	for _, n := range []string{"old", "new"} {
		if n == "old" {
			s.Now = func() time.Time { return time.Now().AddDate(0, 0, -200) }
		} else {
			s.Now = time.Now
		}
		u, err := s.CreateUser(local, roster.NewUser{Username: n, Name: n, Email: n + "@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetStatus(local, []uint64{u.ID}, roster.StatusActive); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(cfgDir, "config.toml")
	if err := os.WriteFile(cfg, []byte(`disable_after_inactive = "soon"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cliFail(t, db, 2, []string{"disable-after-inactive", "90d"}, "serve", "--http", "")
	if err := os.WriteFile(cfg, []byte(`disable_after_inactive = "180d"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var serr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--db", db, "serve", "--http", ""}, strings.NewReader(""), io.Discard, &serr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		u, err := s.FindUser(local, "old")
		if err == nil && u.Status == roster.StatusDisabled {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not disable the dormant account; its log:\n%s", serr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, serr.String())
	}
	if u, _ := s.FindUser(local, "new"); u.Status != roster.StatusActive {
		t.Errorf("new: %s", u.Status)
	}
	if out := cliOK(t, db, "audit", "--json"); strings.Count(out, `"system:inactivity"`) != 1 {
		t.Errorf("audit:\n%s", out)
	}
}
