package tui

import (
	"bytes"
	"image/color"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/roster-dev/roster"
)

// Ensure G adds, renames and deletes groups, with a clear choice when the
// group has members.
func TestGroupsScreen(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 100, 30)
	h.waitText("Ada Lovelace")
	h.keys("G")
	h.waitText("Groups", "engineering", "2 members", "directory-readers")

	h.keys("n")
	h.waitText("New group")
	h.typeText("-bad")
	h.keys("enter")
	h.waitText("✗ group name must start with a letter or digit")
	h.clearField(4)
	h.typeText("Sales")
	h.keys("enter")
	h.waitText("✗ group Sales exists")
	h.clearField(5)
	h.typeText("research")
	h.keys("enter")
	h.waitText("Group research added", "research", "0 members")
	if _, err := db.Group(testActor, "research"); err != nil {
		t.Fatal(err)
	}

	// Rename: the cursor is on the first group, directory-readers, which
	// is built in; move to engineering.
	h.keys("down", "r")
	h.waitText("Rename engineering to")
	h.clearField(len("engineering"))
	h.typeText("eng")
	h.keys("enter")
	h.waitText("Group engineering renamed to eng")
	if _, err := db.Group(testActor, "eng"); err != nil {
		t.Fatal(err)
	}

	// Delete a group with members: a clear choice, esc keeps it.
	h.keys("d")
	h.waitText("Group eng has 2 members", "remove the memberships and delete the group", "keep the group")
	h.keys("esc")
	h.waitGone("has 2 members")
	if _, err := db.Group(testActor, "eng"); err != nil {
		t.Fatal("esc deleted the group")
	}
	h.keys("d", "r")
	h.waitText("Group eng deleted")
	if _, err := db.Group(testActor, "eng"); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("eng still there: %v", err)
	}
	if u := h.user("ada"); len(u.GroupIDs) != 0 {
		t.Errorf("ada keeps groups %v", u.GroupIDs)
	}
	// An empty group asks y/n.
	h.waitText("› research") // the cursor keeps its place: the next group
	h.keys("d")
	h.waitText("Delete the empty group research?")
	h.keys("y")
	h.waitText("Group research deleted")

	// enter shows the group's users.
	h.waitText("› sales")
	h.keys("enter")
	h.waitText("group: sales", "2 shown")
}

// Ensure enter shows a user's fields, groups and history.
func TestDetailsScreen(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 100, 30)
	h.waitText("Ada Lovelace")
	h.keys("enter")
	s := h.waitText("History", "user.create")
	for _, want := range []string{"Username", "ada", "ada@example.com", "engineering", "Activated", "user.status", "status active", "by os:tester", "Linux", "uid 100", "default shell"} {
		if !strings.Contains(s, want) {
			t.Errorf("details lack %q:\n%s", want, s)
		}
	}
	// Actions for this user, from the details.
	h.keys("a")
	h.waitText("Actions for ada (Ada Lovelace)")
	h.keys("2")
	h.waitText("Done: 1 disabled")
	h.keys("enter")
	h.waitText("status disabled") // history refreshed
	h.keys("esc")
	h.waitText("5 shown")
}

// Ensure L lists the audit log newest first and / filters it.
func TestAuditScreen(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("L")
	s := h.waitText("Audit log", "group.create", "user.create")
	if strings.Index(s, "user.status") > strings.Index(s, "group.create") {
		t.Errorf("not newest first:\n%s", s)
	}
	h.keys("/")
	h.typeText("ken")
	s = h.waitFor("filtered log", func(s string) bool { return !strings.Contains(s, "group.create") && strings.Contains(s, "ken") })
	if strings.Contains(s, "grace") {
		t.Errorf("filter shows grace:\n%s", s)
	}
	h.keys("esc", "esc")
	h.waitText("5 shown")
}

// Ensure ? shows every key of the screen, grouped, from its KeyMap.
func TestHelpScreen(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("?")
	s := h.waitText("Keys")
	for _, want := range []string{"select all shown", "reverse sort", "filter by group", "audit log", "groups", "page down"} {
		if !strings.Contains(s, want) {
			t.Errorf("help lacks %q:\n%s", want, s)
		}
	}
	h.keys("esc")
	h.waitText("5 shown")
	h.keys("q") // quits from the list
	h.tm.WaitFinished(t)
}

// goldenScreen compares the screen with testdata/NAME.golden, with the
// database's temporary path replaced.
func goldenScreen(t *testing.T, h *harness, s string) {
	t.Helper()
	// The header pads between the path and the counts; the temporary
	// path's length varies, so the padding is squeezed.
	s = strings.ReplaceAll(s, h.db.Path(), "/data/roster.db")
	head, rest, _ := strings.Cut(s, "\n")
	golden.RequireEqual(t, strings.Join(strings.Fields(head), " ")+"\n"+rest)
}

// Ensure a few screens look as reviewed, at 100×24 (go test -update
// rewrites the files).
func TestGolden(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		h := start(t, mustOpenDB(t), 100, 24)
		goldenScreen(t, h, h.waitText("No users yet"))
	})
	db := mustOpenDB(t)
	seedSmall(t, db)
	addUser(t, db, "yamada", "山田 太郎", "taro@example.jp", "sales")
	addUser(t, db, "coder", "👩‍💻 Coder", "coder@example.com")
	addUser(t, db, "david", "דוד כהן", "david@example.co.il")
	t.Run("list", func(t *testing.T) {
		h := start(t, db, 100, 24)
		h.waitText("Ada Lovelace")
		h.keys("down", "space", "down", "space")
		goldenScreen(t, h, h.waitText("2 selected"))
	})
	t.Run("actions", func(t *testing.T) {
		h := start(t, db, 100, 24)
		h.waitText("Ada Lovelace")
		h.keys("ctrl+a", "a")
		goldenScreen(t, h, h.waitText("Actions for 8 users"))
	})
	t.Run("form", func(t *testing.T) {
		h := start(t, db, 100, 30)
		h.waitText("Ada Lovelace")
		h.keys("n")
		h.focus("Username")
		h.typeText("ada")
		goldenScreen(t, h, h.waitText("✗ username ada is taken"))
	})
}

// Ensure optional services appear only when given: Send invitation in the
// actions menu and Save and invite in the form invite through the mail system.
func TestServicesInvite(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 100, 30)
	h.waitText("Ada Lovelace")
	h.keys("a")
	s := h.waitText("Actions for ada")
	if strings.Contains(s, "Send invitation") {
		t.Errorf("no mail system, yet the menu offers it:\n%s", s)
	}

	invited := make(chan []uint64, 4)
	invite := func(_ roster.Actor, ids []uint64) (roster.BulkResult, error) {
		invited <- ids
		return roster.BulkResult{Changed: []string{"x"}}, nil
	}
	h = startOpts(t, db, 100, 30, Options{Services: Services{Mail: fakeMail{invite: invite}}})
	h.waitText("Ada Lovelace")
	h.keys("down", "a") // alan, pending
	h.waitText("Actions for alan", "Send invitation")
	h.keys("6") // after activate, disable, add, remove, role
	h.waitText("Send 1 invitation?")
	h.keys("y")
	h.waitText("1 invitation sent")
	if ids := <-invited; len(ids) != 1 || ids[0] != h.user("alan").ID {
		t.Errorf("invited %v", ids)
	}
	h.keys("enter", "n")
	h.focus("Username")
	h.typeText("newbie")
	h.waitText("✓ valid and free")
	h.keys("tab")
	h.focus("Name")
	h.typeText("New Bie")
	h.keys("tab", "tab", "tab") // past first and last name
	h.focus("E-mail")
	h.typeText("newbie@example.com")
	h.waitText("✓ valid and free")
	h.keys("tab")
	h.focus("Role")
	h.keys("tab")
	h.focus("Groups")
	h.keys("tab")
	h.focusSubmit()
	h.waitText("Save and invite") // first, with mail set up (seeds 000 and 001)
	h.keys("enter")
	h.waitText("User newbie added and invited")
	if ids := <-invited; len(ids) != 1 || ids[0] != h.user("newbie").ID {
		t.Errorf("invited %v", ids)
	}
}

// Ensure sessions given one Shared load the users once and share them,
// and still each see a change.
func TestSharedSnapshot(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	shared := NewShared(db)
	a := startOpts(t, db, 100, 30, Options{Shared: shared})
	b := startOpts(t, db, 100, 30, Options{Shared: shared})
	a.waitText("Ada Lovelace")
	b.waitText("Ada Lovelace")
	first, err := shared.load(testActor)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := shared.load(testActor); again != first {
		t.Error("an unchanged database was loaded again")
	}
	// Session a filters; b does not see a's view.
	a.keys("2")
	a.waitText("2 shown")
	b.waitText("5 shown")
	addUser(t, db, "zed", "Zed Shaw", "zed@example.com")
	a.waitText("3 shown")
	b.waitText("6 shown")
	if now, _ := shared.load(testActor); now == first {
		t.Error("a changed database was not loaded again")
	}
}

// Ensure the styles follow the terminal's background: a light one gives
// other colours than a dark one.
func TestLightAndDark(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 100, 30)
	h.waitText("Ada Lovelace")
	dark := h.frame()
	h.tm.Send(tea.BackgroundColorMsg{Color: color.White})
	light := h.waitFor("light styles", func(string) bool { return h.frame() != dark })
	if ansi.Strip(h.frame()) != light {
		t.Error("the text changed with the background")
	}
}

// Ensure NO_COLOR (an Ascii colour profile) sends no colour at all, while
// the cursor and selection stay visible as text.
func TestNoColor(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	m := New(Options{DB: db, Actor: testActor, DarkBackground: true})
	// TTY_FORCE makes the colour detection treat teatest's buffer as a
	// 256-colour terminal, so that only NO_COLOR takes the colours away
	// (without NO_COLOR this test fails).
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithEnvironment([]string{"NO_COLOR=1", "TTY_FORCE=1", "TERM=xterm-256color"})))
	// WaitFor consumes the output it reads; keep every byte.
	var seen []byte
	keep := func(want string) func([]byte) bool {
		return func(b []byte) bool {
			if bytes.Contains(b, []byte(want)) {
				seen = append(seen, b...)
				return true
			}
			return false
		}
	}
	teatest.WaitFor(t, tm.Output(), keep("Lovelace"), teatest.WithDuration(waitTime))
	tm.Send(keyMsg("space"))
	teatest.WaitFor(t, tm.Output(), keep("selected"), teatest.WithDuration(waitTime))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(tm.FinalOutput(t, teatest.WithFinalTimeout(waitTime)))
	if err != nil {
		t.Fatal(err)
	}
	out := append(seen, rest...)
	if !bytes.Contains(out, []byte("\x1b[7m")) {
		t.Error("no reverse video for the cursor")
	}
	// Look at every SGR sequence's parameters for a colour.
	for _, m := range regexp.MustCompile(`\x1b\[([0-9;:]*)m`).FindAllSubmatch(out, -1) {
		for _, p := range strings.FieldsFunc(string(m[1]), func(r rune) bool { return r == ';' || r == ':' }) {
			switch {
			case len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p[1] != '9',
				len(p) == 3 && p[:2] == "10":
				t.Fatalf("colour in %q with NO_COLOR", m[0])
			}
		}
	}
}

// Ensure a database that cannot be read at start shows why, and the list
// appears once it can be read.
func TestLoadErrorRecovers(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	if err := os.Rename(db.Path(), db.Path()+".away"); err != nil {
		t.Fatal(err)
	}
	h := start(t, db, 100, 30)
	h.waitText("Cannot read the database")
	if err := os.Rename(db.Path()+".away", db.Path()); err != nil {
		t.Fatal(err)
	}
	h.waitText("Ada Lovelace", "5 shown")
}
