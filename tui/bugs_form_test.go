package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// paste sends text as a bracketed paste.
func (h *harness) paste(text string) { h.tm.Send(tea.PasteMsg{Content: text}) }

// Issue 16, bug 1: input over a limit is refused with the validator's
// reason, never cut to fit and saved.
func TestFormRefusesLongInputUncut(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 40)
	h.waitText("Ada Lovelace")
	h.keys("n")
	h.focus("Username")
	h.paste(strings.Repeat("u", 70))
	h.waitText("username is longer than 64 characters")
	h.keys("tab")
	h.focus("Username") // refused: the focus stays
	h.clearField(70)
	h.typeText("longname")
	h.waitText("✓ valid and free")
	h.keys("tab")
	h.focus("Name")
	long := strings.Repeat("Bartholomew ", 22) // 264 characters
	h.paste(long)
	h.keys("tab")
	h.waitText("name is longer than 200 characters")
	h.focus("Name")
	h.clearField(len(long))
	h.typeText("Short Name")
	h.keys("tab", "tab", "tab") // past first and last name
	h.focus("E-mail")
	email := strings.Repeat("e", 60) + "@" + strings.Repeat("d", 190) + ".example.org"
	h.paste(email)
	h.waitText("e-mail is longer than 254 characters")
	h.keys("tab")
	h.focus("E-mail")
	if _, err := db.FindUser(testActor, "longname"); err == nil {
		t.Fatal("a user was saved from refused input")
	}
}

// Issue 16, bug 3: "keep editing" returns to the field that had the focus,
// with the group list's filter as it was; space toggles while filtering;
// ctrl+c on a half-filled form asks before quitting.
func TestFormKeepEditingKeepsFocusAndFilter(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 40)
	h.waitText("Ada Lovelace")
	h.keys("n")
	h.focus("Username")
	h.typeText("kept")
	h.keys("tab")
	h.focus("Name")
	h.typeText("Kept Person")
	h.keys("tab", "tab", "tab") // past first and last name
	h.focus("E-mail")
	h.typeText("kept@example.com")
	h.keys("tab", "tab")
	h.focus("Groups")
	h.keys("/")
	h.typeText("sal")
	h.waitGone("engineering")
	h.keys("space") // toggles sales, does not type into the filter
	h.waitText("[•] sales")
	h.typeText("e") // "sale" still matches; "sal e" would not
	h.waitText("/sale", "[•] sales")
	h.keys("enter") // set the filter; esc now asks
	h.keys("esc")
	h.waitText("Discard what you typed?")
	h.keys("n")
	h.waitGone("Discard what you typed?")
	s := h.focus("Groups")
	if strings.Contains(s, "engineering") || !strings.Contains(s, "[•] sales") {
		t.Fatalf("keep editing lost the filter or the choice:\n%s", s)
	}

	h.keys("ctrl+c")
	h.waitText("Quit and lose what you typed?")
	h.keys("n")
	h.waitGone("Quit and lose")
	h.focus("Groups")
	h.keys("tab")
	h.focusSubmit()
	h.keys("enter")
	h.waitText("User kept added")
	u := h.user("kept")
	g, _ := db.Group(testActor, "sales")
	if len(u.GroupIDs) != 1 || u.GroupIDs[0] != g.ID {
		t.Errorf("groups %v, want sales", u.GroupIDs)
	}
}
