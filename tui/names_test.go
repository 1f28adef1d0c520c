package tui

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure the form takes an optional first and last name, refuses a bad
// one where it is typed, saves both, and the details show them.
func TestFormNameParts(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 100, 30)
	h.waitText("Ada Lovelace")
	h.keys("n")
	h.waitText("Add new user")
	h.focus("Username")
	h.typeText("ludwig")
	h.waitText("✓ valid and free")
	h.keys("tab")
	h.focus("Name")
	h.typeText("Ludwig van Beethoven")
	h.keys("tab")
	h.focus("First name (optional)")
	h.typeText("Lud\u202ewig")
	h.keys("tab") // refused: the focus stays
	h.waitText("✗ given name contains a text-direction control character")
	h.focus("First name (optional)")
	h.clearField(len([]rune("\u202ewig")))
	h.typeText("wig")
	h.keys("tab")
	h.focus("Last name (optional)")
	h.typeText("van Beethoven")
	h.keys("tab")
	h.focus("E-mail")
	h.typeText("lvb@example.com")
	h.waitText("✓ valid and free")
	h.keys("tab")
	h.focus("Role")
	h.keys("tab")
	h.focus("Groups")
	h.keys("tab")
	h.focusSubmit()
	h.keys("right") // Save and view
	h.waitText("Save and view")
	h.keys("enter")
	h.waitText("User ludwig added", "First name", "Last name")
	s := h.screen()
	for _, want := range []string{"First name    Ludwig", "Last name     van Beethoven"} {
		if !strings.Contains(s, want) {
			t.Errorf("details lack %q:\n%s", want, s)
		}
	}
	u := h.user("ludwig")
	if u.Name != "Ludwig van Beethoven" || u.GivenName != "Ludwig" || u.Surname != "van Beethoven" {
		t.Errorf("saved %q / %q / %q", u.Name, u.GivenName, u.Surname)
	}
}

// Ensure a person invited by e-mail alone shows as such in the list and
// the details, sorts by username among the names, and can be edited
// without inventing a name for them.
func TestNoNameYet(t *testing.T) {
	db := mustOpenDB(t)
	addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	if _, err := db.CreateUser(testActor, roster.NewUser{Username: "bob", Email: "bob@example.org"}); err != nil {
		t.Fatal(err)
	}
	addUser(t, db, "cy", "Cy Young", "cy@example.com")
	h := start(t, db, 100, 30)
	s := h.waitText("Ada Lovelace", noNameYet)
	rows := listRows(s)
	if len(rows) != 3 || !strings.Contains(rows[1], noNameYet) || !strings.Contains(rows[1], "bob") {
		t.Fatalf("rows by name (bob between Ada and Cy):\n%s", strings.Join(rows, "\n"))
	}
	h.keys("down", "enter")
	h.waitText("not given yet: asked on the set-password page")
	h.keys("esc")
	h.waitGone("asked on the set-password page")
	h.keys("e")
	h.waitText("Edit bob")
	h.focus("Username")
	h.keys("tab")
	h.focus("Name")
	h.keys("tab") // empty, and allowed
	h.focus("First name (optional)")
	h.typeText("Bob")
	h.keys("tab", "tab")
	h.focus("E-mail")
	h.keys("tab", "tab", "tab") // role, groups
	h.focusSubmit()
	h.keys("enter")
	h.waitText("User bob saved")
	if u := h.user("bob"); u.Name != "" || u.GivenName != "Bob" {
		t.Errorf("after edit: %q / %q", u.Name, u.GivenName)
	}
}
