package main

import "testing"

// A screen of the app as tmux captures it (shortened).
const listScreen = `Roster  ✉ dev mailbox  /tmp/x/roster.db  2000 users: 360 pending · 1423 active · 217 disabled
 1 All 2000  2 Pending 360  3 Active 1423  4 Disabled 217  5 Service 0
   Name ↑             Username                E-mail                         Role   Status
›  Alice Andersen     alice.andersen238       alice_andersen238@example.org  member active
   Alice Andersen     alice.andersen98        alice_andersen98@example.net   member active
2000 shown · sort: name ↑
/ filter • space select • q quit`

const filteredScreen = `Roster  ✉ dev mailbox  /tmp/x/roster.db  2000 users: 360 pending · 1423 active · 217 disabled
 1 All 2000  2 Pending 360  3 Active 1423  4 Disabled 217  5 Service 0
/ q
   Name ↑             Username                E-mail                         Role   Status
›  Alice Quispe       alice.quispe1870        alice_quispe1870@example.org   member active
   Ayşe Quispe        ayse.quisp…             ayse_quispe1171@example.com    member pending
1,098 shown · sort: name ↑
/ filter • space select • q quit`

// Ensure the first row is read under the column titles, by whole username.
func TestFirstRowIs(t *testing.T) {
	for _, c := range []struct {
		screen, user string
		want         bool
	}{
		{listScreen, "alice.andersen238", true},
		{listScreen, "alice.andersen23", false}, // a prefix is another user
		{listScreen, "alice.andersen98", false}, // the second row
		{filteredScreen, "alice.quispe1870", true},
		{"Roster  loading…", "alice.andersen238", false},
		{"   Name  Username  E-mail", "alice.andersen238", false}, // titles, no rows yet
	} {
		if got := firstRowIs(c.screen, c.user); got != c.want {
			t.Errorf("firstRowIs(%q) = %v, want %v", c.user, got, c.want)
		}
	}
}

// Ensure a username cut to its column counts, but not a short stub.
func TestRowHasUser(t *testing.T) {
	row := "   Ayşe Quispe        ayse.quisp…             ayse_quispe1171@example.com"
	if !rowHasUser(row, "ayse.quispe1171") {
		t.Error("cut username not matched")
	}
	if rowHasUser(row, "bob.quispe1") {
		t.Error("another user matched")
	}
	if rowHasUser("   A  ab…  x", "abcdefgh") {
		t.Error("a stub of two letters matched")
	}
}

func TestFilterLineShown(t *testing.T) {
	if filterLineShown(listScreen) {
		t.Error("filter line seen on the plain list (the footer's / filter is not it)")
	}
	if !filterLineShown(filteredScreen) {
		t.Error("filter line not seen")
	}
}

func TestShownCount(t *testing.T) {
	for screen, want := range map[string]int{listScreen: 2000, filteredScreen: 1098} {
		if n, ok := shownCount(screen); !ok || n != want {
			t.Errorf("shownCount = %d, %v; want %d", n, ok, want)
		}
	}
	if _, ok := shownCount("Roster  loading…"); ok {
		t.Error("a count read from a screen without one")
	}
}
