package tui

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/store"
)

// goldenDir is where TestGoldenColour's database lives: a fixed-length
// path, written in the files as goldenShown so that the header's layout
// is the same on every run.
const goldenShown = "/tmp/rg00000000"

// goldenDB opens a database at a fixed-length path with the test clock.
func goldenDB(t *testing.T) (*store.DB, string) {
	t.Helper()
	dir := fmt.Sprintf("/tmp/rg%08x", rand.Uint32())
	path := filepath.Join(dir, "roster.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return testClock }
	t.Cleanup(func() {
		storetest.Check(t, path)
		os.RemoveAll(dir)
	})
	return db, dir
}

// Ensure the main screens keep their colours and layout, at 80×24 and
// 120×40, with a fixed clock and data. The files hold the frames with
// their escape sequences (cat one in a terminal to see it); go test
// -run TestGoldenColour -update rewrites them.
func TestGoldenColour(t *testing.T) {
	db, dir := goldenDB(t)
	seedSmall(t, db)
	addUser(t, db, "yamada", "山田 太郎", "taro@example.jp", "sales")
	mia := addUser(t, db, "mia", "Mia Member", "mia@example.com", "sales")
	setStatus(t, db, roster.StatusActive, mia)
	if err := db.RecordLogin(mia.ID, "ssh", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMailboxMessages([]*store.MailboxMessage{{ReceivedAt: testClock, From: "roster@localhost",
		To: []string{"alan@example.org"}, Subject: "You are invited to Roster",
		Text: "Hello Alan Turing,\n\nSet your password: http://127.0.0.1:9/invite/abc\n"}}); err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(dir, "import")
	if err := os.MkdirAll(csv, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(csv, "staff.csv"), []byte("Name,E-mail,Groups,Role\nLin Chen,lin@example.com,sales,admin\nBad,nope,,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := Options{Services: Services{Mail: fakeMail{dev: true}, Site: "http://127.0.0.1:9"}}

	screens := []struct {
		name           string
		keys           []string
		wait           string
		then, thenWait string // a key once wait shows, and what to wait for then
		start          func(t *testing.T, w, h int) *harness
	}{
		{name: "list", keys: []string{"down", "space", "down", "space"}, wait: "2 selected"},
		{name: "details", keys: []string{"enter"}, wait: "Ada Lovelace"},
		{name: "groups", keys: []string{"G"}, wait: "engineering"},
		{name: "mailbox", keys: []string{"M"}, wait: "You are invited"},
		{name: "import", keys: []string{"I"}, wait: "staff.csv", then: "enter", thenWait: "Lin Chen"},
		{name: "account", wait: "Last sign-ins", start: func(t *testing.T, w, h int) *harness {
			actor := roster.Actor{Name: "mia", UserID: mia.ID, Role: roster.RoleMember}
			return startModel(t, db, w, h, NewAccount(Options{DB: db, Actor: actor, DarkBackground: true,
				Now: func() time.Time { return testClock.Add(time.Hour) }}))
		}},
	}
	for _, sc := range screens {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s-%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				var h *harness
				if sc.start != nil {
					h = sc.start(t, size[0], size[1])
				} else {
					h = startOpts(t, db, size[0], size[1], opts)
					h.waitText("Ada Lovelace")
				}
				wd, err := os.Getwd()
				if err != nil {
					t.Fatal(err)
				}
				if sc.name == "import" {
					// The import screen lists the working folder; the golden
					// files are found from the package's, so it is left again.
					if err := os.Chdir(csv); err != nil {
						t.Fatal(err)
					}
				}
				h.keys(sc.keys...)
				h.waitText(sc.wait)
				if sc.then != "" {
					h.keys(sc.then)
					h.waitText(sc.thenWait)
				}
				h.waitFor("loaded", func(s string) bool { // what loads off the Update loop has come
					return !strings.Contains(s, "loading…") && !strings.Contains(s, "Loading…")
				})
				if err := os.Chdir(wd); err != nil {
					t.Fatal(err)
				}
				frame := strings.ReplaceAll(h.frame(), dir, goldenShown)
				golden.RequireEqual(t, frame)
			})
		}
	}
}
