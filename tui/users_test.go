package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// seedSmall makes three groups and five users in every status.
func seedSmall(t *testing.T, db *store.DB) {
	t.Helper()
	addGroup(t, db, "engineering")
	addGroup(t, db, "sales")
	ada := addUser(t, db, "ada", "Ada Lovelace", "ada@example.com", "engineering")
	grace := addUser(t, db, "grace", "Grace Hopper", "grace@example.com", "engineering")
	addUser(t, db, "alan", "Alan Turing", "alan@example.org")
	ken := addUser(t, db, "ken", "Ken Thompson", "ken@example.net", "sales")
	addUser(t, db, "barbara", "Barbara Liskov", "barbara@example.com", "sales")
	setStatus(t, db, roster.StatusActive, ada, grace)
	setStatus(t, db, roster.StatusDisabled, ken)
}

// Ensure an empty database shows how to add a user or load demo data.
func TestEmptyState(t *testing.T) {
	h := start(t, mustOpenDB(t), 100, 30)
	s := h.waitText("No users yet")
	for _, want := range []string{"Press n to add the first user", "roster demo --users", "0 users"} {
		if !strings.Contains(s, want) {
			t.Errorf("empty state lacks %q:\n%s", want, s)
		}
	}
}

// Ensure the header names the product, the database and the counts.
func TestHeaderAndTabs(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	s := h.waitText("Ada Lovelace")
	first := strings.SplitN(s, "\n", 2)[0]
	for _, want := range []string{"Roster", db.Path(), "5 users: 2 pending · 2 active · 1 disabled"} {
		if !strings.Contains(first, want) {
			t.Errorf("header %q lacks %q", first, want)
		}
	}
	for _, want := range []string{"1 All 5", "2 Pending 2", "3 Active 2", "4 Disabled 1"} {
		if !strings.Contains(s, want) {
			t.Errorf("tabs lack %q", want)
		}
	}
	// Alphabetical by name by default.
	rows := listRows(s)
	var names []string
	for _, r := range rows {
		names = append(names, strings.Fields(strings.TrimLeft(r, " ›●"))[0])
	}
	if got := strings.Join(names, ","); got != "Ada,Alan,Barbara,Grace,Ken" {
		t.Errorf("default order %s", got)
	}
}

// Ensure the status tabs filter, by number and by tab/shift+tab.
func TestStatusFilter(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	count := func() int { return len(listRows(h.screen())) }

	h.keys("2")
	s := h.waitText("2 shown")
	if !strings.Contains(s, "Alan Turing") || strings.Contains(s, "Ada Lovelace") || count() != 2 {
		t.Errorf("pending tab:\n%s", s)
	}
	h.keys("tab")
	s = h.waitText("Ada Lovelace", "2 shown")
	if strings.Contains(s, "Alan Turing") {
		t.Errorf("active tab shows a pending user:\n%s", s)
	}
	h.keys("tab")
	h.waitText("Ken Thompson", "1 shown")
	h.keys("shift+tab", "shift+tab", "shift+tab")
	h.waitText("5 shown")
	h.keys("4")
	h.waitText("1 shown")
	h.keys("1")
	h.waitText("5 shown")
}

// Ensure / filters over name, username and e-mail, and esc clears it.
func TestTextFilter(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("/")
	h.typeText("HOP")
	s := h.waitText("1 shown")
	if !strings.Contains(s, "Grace Hopper") {
		t.Errorf("name filter:\n%s", s)
	}
	// Narrowing and widening the query both work.
	h.keys("backspace", "backspace", "backspace")
	h.typeText("example.org")
	s = h.waitText("1 shown")
	if !strings.Contains(s, "Alan Turing") {
		t.Errorf("e-mail filter:\n%s", s)
	}
	h.keys("esc")
	h.waitText("5 shown")
	// Enter keeps the filter and gives the keys back to the list.
	h.keys("/")
	h.typeText("ken")
	h.keys("enter")
	h.waitText("1 shown")
	h.keys("2") // a list key again, not text
	h.waitText("0 shown", "No users match")
	h.keys("1", "esc")
	h.waitText("5 shown")
}

// Ensure g picks a group to filter by, and esc clears it.
func TestGroupFilter(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("g")
	h.waitText("Show the users of group", "engineering", "2 members")
	h.typeText("sal")
	h.waitBoxGone("engineering")
	h.keys("enter")
	s := h.waitText("group: sales", "2 shown")
	if !strings.Contains(s, "Ken Thompson") || !strings.Contains(s, "Barbara Liskov") {
		t.Errorf("group filter:\n%s", s)
	}
	h.keys("esc")
	h.waitText("5 shown")
	h.waitGone("group: sales")
}

// Ensure space and ctrl+a select, the count shows, and a selection hidden
// by the filter survives it and is counted.
func TestSelection(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("space") // Ada, cursor moves to Alan
	h.waitText("1 selected")
	h.keys("space")
	h.waitText("2 selected")
	h.keys("up", "space") // Alan again: unselect
	h.waitText("1 selected")
	h.keys("/")
	h.typeText("grace")
	h.keys("enter")
	h.waitText("1 selected (1 hidden by the filter)")
	h.keys("ctrl+a")
	h.waitText("2 selected (1 hidden by the filter)")
	h.keys("esc") // clears the filter first
	s := h.waitText("5 shown", "2 selected")
	if strings.Contains(s, "hidden") {
		t.Errorf("nothing is hidden now:\n%s", s)
	}
	h.keys("ctrl+a")
	h.waitText("5 selected")
	h.keys("ctrl+a")
	h.waitGone("selected")
	h.keys("space", "esc") // esc with no filter clears the selection
	h.waitText("5 shown")
	h.waitGone("selected")
}

// Ensure s cycles the sort column and S reverses it.
func TestSort(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("S")
	s := h.waitText("sort: name ↓")
	if rows := listRows(s); !strings.HasPrefix(strings.TrimLeft(rows[0], " ›●"), "Ken") {
		t.Errorf("reversed order starts with %q", rows[0])
	}
	h.keys("s", "s") // username, then e-mail
	s = h.waitText("sort: email ↑")
	rows := listRows(s)
	if !strings.Contains(rows[0], "ada@example.com") || !strings.Contains(rows[4], "ken@example.net") {
		t.Errorf("e-mail order:\n%s", strings.Join(rows, "\n"))
	}
}

// Ensure a change made by another process appears without a key press,
// and the cursor stays on the same user.
func TestRefreshFromOutside(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("down", "down", "down") // Grace
	h.keys("space")                // selects Grace, cursor to Ken
	h.keys("up")                   // back on Grace
	h.waitText("1 selected")

	other, err := store.Open(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	addUser(t, other, "aaron", "Aaron Swartz", "aaron@example.com")
	s := h.waitText("Aaron Swartz", "6 shown")
	// Grace is still under the cursor: selecting toggles her off.
	_ = s
	h.keys("space")
	h.waitGone("1 selected")
}

// Ensure tiny terminals and resize storms show a message and never panic.
func TestTooSmall(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	for _, size := range [][2]int{{1, 1}, {20, 5}, {59, 30}, {100, 15}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			h := start(t, db, size[0], size[1])
			s := h.waitFor("too-small message", func(s string) bool {
				return strings.HasPrefix(s, "T") && (size[0] < 18 || strings.Contains(s, "Terminal too small"))
			})
			checkFits(t, s, size[0], size[1])
			h.keys("j", "space", "a", "/", "x") // keys do nothing harmful
			h.waitText("T")
		})
	}
}

// Ensure a storm of resizes, down to 0×0 and up to very large, leaves a
// working app whose frame fits.
func TestResizeStorm(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	sizes := [][2]int{{0, 0}, {1, 1}, {500, 200}, {60, 16}, {3, 90}, {90, 3}, {61, 17}, {400, 120}, {59, 15}, {80, 24}}
	for i := range 120 {
		sz := sizes[i%len(sizes)]
		h.tm.Send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		if i%7 == 0 {
			h.keys("down")
		}
	}
	h.tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	s := h.waitText("5 shown")
	checkFits(t, s, 80, 24)
	h.tm.Send(tea.WindowSizeMsg{Width: 60, Height: 16})
	s = h.waitFor("60×16 frame", func(s string) bool { return len(strings.Split(s, "\n")) == 16 })
	checkFits(t, s, 60, 16)
}

// checkFits fails when the frame is larger than the terminal.
func checkFits(t *testing.T, s string, w, h int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		t.Errorf("frame has %d lines for a height of %d:\n%s", len(lines), h, s)
	}
	for i, l := range lines {
		if n := ansi.StringWidthWc(l); n > w {
			t.Errorf("line %d is %d cells wide for a width of %d: %q", i, n, w, l)
		}
	}
}

// Ensure wide characters, joined emoji and right-to-left names keep every
// row's columns where they belong.
func TestWideCharacters(t *testing.T) {
	db := mustOpenDB(t)
	names := []string{
		"山田 太郎", "👩‍💻 Coder Person", "محمد الحسن", "דוד כהן", "👍🏽 Thumbs", "Zoë Ångström",
		"नमस्ते प्रिया शर्मा", "佐藤 さくら 佐藤 さくら 佐藤 さくら 佐藤 さくら",
	}
	for i, n := range names {
		addUser(t, db, fmt.Sprintf("user%d", i), n, fmt.Sprintf("user%d@example.com", i))
	}
	for _, graphemes := range []bool{false, true} {
		k := cells{graphemes: graphemes}
		for _, w := range []int{60, 90, 140} {
			t.Run(fmt.Sprintf("%d/graphemes=%v", w, graphemes), func(t *testing.T) {
				h := start(t, db, w, 20)
				if graphemes {
					// What a terminal with Unicode mode 2027 answers.
					h.tm.Send(tea.ModeReportMsg{Mode: ansi.ModeUnicodeCore, Value: ansi.ModeReset})
				}
				s := h.waitText(itoa(len(names)) + " shown")
				rows := listRows(s)
				if len(rows) != len(names) {
					t.Fatalf("%d rows:\n%s", len(rows), s)
				}
				for _, r := range rows {
					// The username column starts at the same cell in every row.
					i := strings.Index(r, "user")
					if col := k.width(r[:i]); col != markWidth+layout(w).name+1 {
						t.Errorf("username starts at cell %d, want %d: %q", col, markWidth+layout(w).name+1, r)
					}
					if n := k.width(r); n > w {
						t.Errorf("row is %d cells in %d: %q", n, w, r)
					}
				}
			})
		}
	}
}
