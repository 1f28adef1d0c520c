package mail

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Ensure a Maildir scan applies a DSN for a job Roster sent, leaves a
// reply and a bounce for mail Roster never sent unread, and deletes
// nothing.
func TestScanMaildir(t *testing.T) {
	db := openDB(t)
	srv := startServer(t, serverOpts{})
	users := addUsers(t, db, "grace@contoso.com", "ada@example.com")
	cfg := testConfig(srv.addr)
	q := invite(t, db, cfg, users)
	startWorker(t, db, cfg)
	if c := waitDone(t, db, q.Jobs); c.Sent != 2 {
		t.Fatalf("counts %+v", c)
	}
	dir := t.TempDir()
	for _, sub := range []string{"new", "cur", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	put := func(name, fixture string, job string) {
		b, err := os.ReadFile(filepath.Join("testdata", "bounces", fixture))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(b), "roster-41", job)
		if err := os.WriteFile(filepath.Join(dir, "new", name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	put("1.dsn", "exchange-online.eml", EnvelopeID(jobOf(t, db, q.Jobs[0]))) // grace@contoso.com, job of grace
	put("2.reply", "not-a-bounce.eml", "roster-41")
	put("3.foreign", "gmail-text.eml", "roster-41") // linus@example.net: no such mail
	applied, left, err := ScanMaildir(db, dir, nil, nil)
	if err != nil || applied != 1 || left != 2 {
		t.Fatalf("scan: applied %d left %d err %v", applied, left, err)
	}
	cur, _ := os.ReadDir(filepath.Join(dir, "cur"))
	names := map[string]bool{}
	for _, e := range cur {
		names[e.Name()] = true
	}
	if !names["1.dsn:2,S"] || !names["2.reply:2,"] || !names["3.foreign:2,"] || len(names) != 3 {
		t.Errorf("cur/ holds %v", names)
	}
	grace, _ := db.User(admin, users[0].ID)
	ada, _ := db.User(admin, users[1].ID)
	if !grace.Suppressed || ada.Suppressed {
		t.Errorf("grace blocked=%v (want true), ada blocked=%v (want false)", grace.Suppressed, ada.Suppressed)
	}
	// Scanning again reads nothing: new/ is empty.
	if applied, left, err := ScanMaildir(db, dir, nil, nil); applied+left != 0 || err != nil {
		t.Errorf("second scan: %d %d %v", applied, left, err)
	}
}

// Ensure a forged bounce naming a real job number and its recipient, but
// not the job's random key, blocks nobody: job numbers are sequential.
func TestForgedBounceNeedsTheKey(t *testing.T) {
	db := openDB(t)
	srv := startServer(t, serverOpts{})
	users := addUsers(t, db, "grace@contoso.com")
	cfg := testConfig(srv.addr)
	q := invite(t, db, cfg, users)
	startWorker(t, db, cfg)
	if c := waitDone(t, db, q.Jobs); c.Sent != 1 {
		t.Fatalf("counts %+v", c)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "bounces", "exchange-online.eml"))
	if err != nil {
		t.Fatal(err)
	}
	key := jobOf(t, db, q.Jobs[0]).Key
	for _, forged := range []string{
		fmt.Sprintf("roster-%d", q.Jobs[0]),                           // the number alone
		fmt.Sprintf("roster-%d-%016x", q.Jobs[0], 0x0123456789abcdef), // a guessed key
	} {
		msg := strings.ReplaceAll(string(b), "roster-41", forged)
		if _, err := ApplyBounce(db, strings.NewReader(msg)); !errors.Is(err, ErrNotBounce) {
			t.Errorf("%s: ApplyBounce = %v; want ErrNotBounce (no job matched)", forged, err)
		}
	}
	if grace, _ := db.User(admin, users[0].ID); grace.Suppressed {
		t.Fatal("a forged bounce blocked grace's address")
	}
	real := strings.ReplaceAll(string(b), "roster-41", EnvelopeID(jobOf(t, db, q.Jobs[0])))
	if !strings.Contains(real, key) {
		t.Fatalf("the envelope id does not carry the key %s", key)
	}
	if _, err := ApplyBounce(db, strings.NewReader(real)); err != nil {
		t.Fatalf("the real bounce: %v", err)
	}
	if grace, _ := db.User(admin, users[0].ID); !grace.Suppressed {
		t.Error("the real bounce did not block grace's address")
	}
}
