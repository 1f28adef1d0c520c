package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
)

// Ensure a sound installation passes every check, and no mail is sent.
func TestSound(t *testing.T) {
	s := newSetup(t)
	r := Run(context.Background(), s.cfg)
	for _, res := range r {
		if res.Status != Pass {
			t.Errorf("%s %s: %s → %s", res.Status.Mark(), res.Check, res.Message, res.Fix)
		}
	}
	if r.Failed() {
		t.Fatal("a sound set-up failed")
	}
	want(t, r, "mail.certificate", Pass, "smtp.example.com", "89 days left")
	want(t, r, "mail.auth", Pass, "accepts roster", "no mail sent")
	want(t, r, "site.answers", Pass, "this Roster", "this database")
	want(t, r, "database.file", Pass, "mode 0600")
	if s.relay.mails != 0 {
		t.Fatalf("the doctor started %d mail transactions", s.relay.mails)
	}
	var out strings.Builder
	if err := r.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OK     bool `json:"ok"`
		Checks []struct{ Check, Status string }
	}
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil || !doc.OK || len(doc.Checks) != len(r) || doc.Checks[0].Status != "pass" {
		t.Fatalf("JSON %s: %v", out.String(), err)
	}
}

// Ensure the defaults warn about each trap by name, and fail nothing.
func TestDefaults(t *testing.T) {
	s := newSetup(t)
	s.cfg.Mail = mail.Config{}
	if err := s.cfg.Mail.Normalize(); err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t)
	s.cfg.DB, s.cfg.DBPath = db, db.Path()
	s.hosts["127.0.0.1:8080"] = startSite(t, db)
	r := Run(context.Background(), s.cfg)
	// The default greeting is this machine's name: a warning where that is
	// not fully qualified (as on most test machines), else a pass naming it.
	if name := mail.MachineName(); fullyQualified(name) {
		want(t, r, "mail.greeting", Pass, name)
	} else {
		want(t, r, "mail.greeting", Warn, fmt.Sprintf("%q is not fully qualified", name))
	}
	want(t, r, "mail.from", Warn, "roster@localhost", "--from")
	want(t, r, "mail.relay", Warn, "dev mailbox", "--smtp")
	want(t, r, "site.base-url", Warn, "http://127.0.0.1:8080", "--base-url")
	want(t, r, "database.backup", Warn, "no backup recorded", "roster backup")
	want(t, r, "site.answers", Pass)
	if r.Failed() {
		t.Fatalf("the defaults failed a check:\n%s", text(r))
	}
}

// Ensure a loopback base URL is a failure once mail goes to a real relay.
func TestLoopbackBaseURLWithRelay(t *testing.T) {
	s := newSetup(t)
	s.cfg.Mail.BaseURL = "http://127.0.0.1:8080"
	want(t, Run(context.Background(), s.cfg), "site.base-url", Fail, "nobody can open them")
}

// Ensure a relay whose certificate names another host fails the
// certificate, and the password is then not sent.
func TestRelayCertificateForAnotherName(t *testing.T) {
	s := newSetup(t)
	ca := newCA(t)
	other := startRelay(t, ca.leaf(t, 90, "mail.other.example"), "roster", "s3cret")
	s.hosts["smtp.example.com:587"] = other.addr
	s.cfg.Mail.CAFile = ca.file
	r := Run(context.Background(), s.cfg)
	want(t, r, "mail.starttls", Pass)
	want(t, r, "mail.certificate", Fail, "is for mail.other.example, not smtp.example.com")
	want(t, r, "mail.auth", Fail, "not tried")
	if !r.Failed() {
		t.Fatal("not failed")
	}
}

// Ensure a certificate from an authority nobody trusts fails.
func TestRelayCertificateUntrusted(t *testing.T) {
	s := newSetup(t)
	s.cfg.Mail.CAFile = newCA(t).file
	want(t, Run(context.Background(), s.cfg), "mail.certificate", Fail, "not signed by a trusted authority", "--smtp-ca-file")
}

// Ensure a wrong password is named, with the relay's answer.
func TestWrongSMTPPassword(t *testing.T) {
	s := newSetup(t)
	s.cfg.Mail.Password = "wrong"
	r := Run(context.Background(), s.cfg)
	want(t, r, "mail.auth", Fail, "refused roster: 535", "ROSTER_SMTP_PASSWORD")
	want(t, r, "mail.certificate", Pass)
}

// Ensure a relay that refuses a short greeting name is caught.
func TestGreetingRefused(t *testing.T) {
	s := newSetup(t)
	s.cfg.Mail.HelloName = "roster"
	r := Run(context.Background(), s.cfg)
	want(t, r, "mail.greeting", Fail, "refuses EHLO roster", "fully-qualified")
}

// Ensure a relay that does not answer is named.
func TestRelayDown(t *testing.T) {
	s := newSetup(t)
	delete(s.hosts, "smtp.example.com:587")
	want(t, Run(context.Background(), s.cfg), "mail.relay", Fail, "smtp.example.com:587 does not answer")
}

// Ensure another program on the base URL (a 404 for every link) and
// another Roster on another database are each told apart from this one.
func TestBaseURLAnsweredByAnother(t *testing.T) {
	s := newSetup(t)
	nginx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx/1.26.3")
		http.NotFound(w, r)
	}))
	t.Cleanup(nginx.Close)
	s.hosts["accounts.example.com:80"] = strings.TrimPrefix(nginx.URL, "http://")
	r := Run(context.Background(), s.cfg)
	want(t, r, "site.answers", Fail, "another program answers", "404", "nginx/1.26.3")

	otherDB, err := store.Open(filepath.Join(t.TempDir(), "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.hosts["accounts.example.com:80"] = startSite(t, otherDB)
	want(t, Run(context.Background(), s.cfg), "site.answers", Fail, "another database", otherDB.Path())

	delete(s.hosts, "accounts.example.com:80")
	want(t, Run(context.Background(), s.cfg), "site.answers", Fail, "nothing answers", "roster serve")
}

// Ensure a database that was readable by others fails, naming the mode.
func TestDatabaseMode(t *testing.T) {
	s := newSetup(t)
	s.cfg.DBMode = 0o644
	want(t, Run(context.Background(), s.cfg), "database.file", Fail, "mode 0644", "password hash")
}

// Ensure a backup two days old is overdue.
func TestBackupTwoDaysOld(t *testing.T) {
	s := newSetup(t)
	at, _, err := s.cfg.DB.LastBackup()
	if err != nil || at.IsZero() {
		t.Fatal(at, err)
	}
	s.cfg.Now = func() time.Time { return at.Add(48 * time.Hour) }
	want(t, Run(context.Background(), s.cfg), "database.backup", Warn, "2 days ago", "overdue", "due every 24h", "roster backup")
}

// Ensure a missing database is a failure and is not created.
func TestNoDatabase(t *testing.T) {
	s := newSetup(t)
	s.cfg.DB, s.cfg.DBPath = nil, filepath.Join(t.TempDir(), "none.db")
	r := Run(context.Background(), s.cfg)
	want(t, r, "database.file", Fail, "no database at")
}
