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
// not the job's random key, or naming only the address, blocks nobody (job
// numbers are sequential, addresses known); a real one does, by its
// envelope or by the headers it returned.
func TestForgedBounceNeedsTheKey(t *testing.T) {
	db := openDB(t)
	srv := startServer(t, serverOpts{})
	users := addUsers(t, db, "grace@contoso.com", "linus@example.net")
	cfg := testConfig(srv.addr)
	q := invite(t, db, cfg, users)
	startWorker(t, db, cfg)
	if c := waitDone(t, db, q.Jobs); c.Sent != 2 {
		t.Fatalf("counts %+v", c)
	}
	fixture := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "bounces", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	blocked := func(i int) bool {
		u, err := db.User(admin, users[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		return u.Suppressed
	}
	dsn := fixture("exchange-online.eml")                                                     // about grace@contoso.com, tagged roster-41
	untagged := strings.ReplaceAll(fixture("gmail-text.eml"), "roster+roster-42@", "roster@") // about linus@example.net
	for what, forged := range map[string]string{
		"the number alone": strings.ReplaceAll(dsn, "roster-41", fmt.Sprintf("roster-%d", q.Jobs[0])),
		"a guessed key":    strings.ReplaceAll(dsn, "roster-41", fmt.Sprintf("roster-%d-%016x", q.Jobs[0], 0x0123456789abcdef)),
		"the address only": untagged,
	} {
		if _, err := ApplyBounce(db, strings.NewReader(forged)); !errors.Is(err, ErrNotBounce) {
			t.Errorf("%s: ApplyBounce = %v; want ErrNotBounce (no job matched)", what, err)
		}
	}
	if blocked(0) || blocked(1) {
		t.Fatal("a forged bounce blocked an address")
	}

	// The real DSN, tagged by its envelope id.
	real := strings.ReplaceAll(dsn, "roster-41", EnvelopeID(jobOf(t, db, q.Jobs[0])))
	if _, err := ApplyBounce(db, strings.NewReader(real)); err != nil || !blocked(0) {
		t.Fatalf("the real DSN: %v, grace blocked %v", err, blocked(0))
	}
	// A text bounce that lost the envelope but quotes the headers it
	// returned: the worker put the tag there too.
	m := srv.messages()
	var sent string
	for _, msg := range m {
		if strings.Contains(string(msg.Data), "linus@example.net") {
			sent = string(msg.Data)
		}
	}
	header, _, _ := strings.Cut(sent, "\r\n\r\n")
	if !strings.HasPrefix(header, envelopeHeader+": "+EnvelopeID(jobOf(t, db, q.Jobs[1]))) {
		t.Fatalf("the sent message does not start with its tag header:\n%s", header)
	}
	quoted := untagged + "\n----- Original message headers -----\n\n" + header + "\n"
	if _, err := ApplyBounce(db, strings.NewReader(quoted)); err != nil || !blocked(1) {
		t.Fatalf("a text bounce quoting the returned headers: %v, linus blocked %v", err, blocked(1))
	}
}
