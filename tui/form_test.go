package tui

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// focus waits until the form's focused field is the one titled title.
func (h *harness) focus(title string) string {
	h.t.Helper()
	return h.waitFor("focus on "+title, func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "┃ "+title) {
				return true
			}
		}
		return false
	})
}

// clearField deletes what the focused input holds.
func (h *harness) clearField(n int) {
	for range n {
		h.keys("backspace")
	}
}

// Ensure the Add new user form shows every validation error as you type,
// refuses to move on from an invalid field, and saves a valid user with
// role and groups.
func TestFormAddWithEveryError(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 40)
	h.waitText("Ada Lovelace")
	h.keys("n")
	h.waitText("Add new user")
	h.focus("Username")

	for _, c := range []struct{ typed, want string }{
		{"-ada", "✗ username must start with a letter or digit"},
		{"ada!", "✗ username may hold only a–z, 0–9, '.', '_' and '-' (found '!')"},
		{"ada lovelace", "✗ username may hold only a–z, 0–9, '.', '_' and '-' (found a space)"},
		{"Ada", "✗ username ada is taken"},
		{"new.user", "✓ valid and free"},
	} {
		h.typeText(c.typed)
		h.waitText(c.want)
		if c.want != "✓ valid and free" {
			// An invalid field keeps the focus.
			h.keys("tab")
			h.typeText("x")
			h.waitText(c.typed + "x")
			h.focus("Username")
			h.clearField(len([]rune(c.typed)) + 1)
		} else {
			h.keys("tab")
		}
	}
	h.focus("Name")
	h.keys("tab") // empty name
	h.waitText("name is required")
	h.focus("Name")
	h.typeText("New User")
	h.keys("tab", "tab", "tab") // past first and last name
	h.focus("E-mail")
	for _, c := range []struct{ typed, want string }{
		{"new", "✗ e-mail needs an @"},
		{"new@x", "✗ the domain needs a dot (as in example.com)"},
		{"a b@x.org", "✗ e-mail contains a space"},
		{"new@-x.org", "✗ a part of the domain starts or ends with '-'"},
		{"<new@x.org>", "✗ give the bare address, without a name or angle brackets"},
		{"ADA@example.com", "✗ ADA@example.com belongs to another user"},
		{"new@example.com", "✓ valid and free"},
	} {
		h.typeText(c.typed)
		h.waitText(c.want)
		if !strings.HasPrefix(c.want, "✓") {
			h.keys("tab")
			h.focus("E-mail")
			h.clearField(len([]rune(c.typed)))
			h.waitGone(c.want)
		}
	}
	h.keys("tab")
	h.focus("Role")
	h.keys("right") // admin
	h.waitText("admin")
	h.keys("tab")
	h.focus("Groups")
	h.keys("down", "space") // engineering, after directory-readers
	h.waitText("[•] engineering")
	h.keys("tab")
	h.focusSubmit()
	h.keys("enter")
	h.waitText("User new.user added")

	u := h.user("new.user")
	if u.Name != "New User" || u.Email != "new@example.com" || u.Role != roster.RoleAdmin || u.Status != roster.StatusPending {
		t.Errorf("saved %+v", u)
	}
	g, _ := db.Group(testActor, "engineering")
	if len(u.GroupIDs) != 1 || u.GroupIDs[0] != g.ID {
		t.Errorf("groups %v, want [%d]", u.GroupIDs, g.ID)
	}
	h.waitText("New User", "6 users")
}

// Ensure Save and add another saves and opens an empty form.
func TestFormSaveAndAddAnother(t *testing.T) {
	db := mustOpenDB(t)
	h := start(t, db, 100, 30)
	h.waitText("No users yet")
	for i, name := range []string{"first", "second"} {
		if i == 0 {
			h.keys("n")
		}
		h.focus("Username")
		h.typeText(name)
		h.waitText("✓ valid and free")
		h.keys("tab")
		h.focus("Name")
		h.typeText("Person " + name)
		h.keys("tab", "tab", "tab") // past first and last name
		h.focus("E-mail")
		h.typeText(name + "@example.com")
		h.waitText("✓ valid and free")
		h.keys("tab")
		h.focus("Role")
		h.keys("tab")
		h.focus("Groups")
		h.waitText("[ ] directory-readers") // the built-in group is never chosen for you
		h.keys("tab")
		h.focusSubmit()
		if i == 0 {
			h.keys("right", "right") // Save and add another, remembered for the next
		}
		h.waitText("Save and add another")
		h.keys("enter")
		h.waitText("User " + name + " added; add another")
	}
	h.focus("Username")
	h.keys("esc") // nothing typed: closes without asking
	h.waitText("Person first", "Person second")
	for _, n := range []string{"first", "second"} {
		h.user(n)
	}
}

// Ensure Cancel asks before dropping typed data, and saves nothing.
func TestFormCancel(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	before, _ := db.Changes()
	h := start(t, db, 100, 30)
	h.waitText("Ada Lovelace")

	h.keys("n")
	h.focus("Username")
	h.keys("esc") // nothing typed
	h.waitText("Ada Lovelace", "5 shown")

	h.keys("n")
	h.focus("Username")
	h.typeText("someone")
	h.waitText("✓ valid and free")
	h.keys("esc")
	h.waitText("Discard what you typed?")
	h.keys("n") // keep editing: the text is still there
	h.waitText("someone")
	h.focus("Username")
	h.keys("esc")
	h.waitText("Discard what you typed?")
	h.keys("y")
	h.waitText("Ada Lovelace", "5 shown")

	// Choosing Cancel at the foot asks too.
	h.keys("n")
	h.focus("Username")
	h.typeText("other")
	h.keys("tab")
	h.focus("Name")
	h.typeText("Other")
	h.keys("tab", "tab", "tab") // past first and last name
	h.focus("E-mail")
	h.typeText("other@example.com")
	h.waitText("✓ valid and free")
	h.keys("tab")
	h.focus("Role")
	h.keys("tab")
	h.focus("Groups")
	h.keys("tab")
	h.focusSubmit()
	h.keys("left") // wraps to Cancel
	h.waitText("Cancel")
	h.keys("enter")
	h.waitText("Discard what you typed?")
	h.keys("y")
	h.waitText("5 shown")

	if after, _ := db.Changes(); after != before {
		t.Errorf("cancelled forms changed the store (%d → %d)", before, after)
	}
}

// Ensure e edits the user under the cursor, prefilled, and saves the change.
func TestFormEdit(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 100, 30)
	h.waitText("Ada Lovelace")
	h.keys("e")
	h.waitText("Edit ada")
	h.focus("Username")
	h.waitText("✓ valid and free") // her own name is not "taken"
	h.keys("tab")
	h.focus("Name")
	h.clearField(len("Ada Lovelace"))
	h.typeText("Augusta Ada King")
	h.keys("tab", "tab", "tab") // past first and last name
	h.focus("E-mail")
	h.typeText("!")
	h.waitText("ada@example.com!")
	h.waitText("✗ the domain may not contain '!'")
	h.keys("backspace")
	h.waitText("✓ valid and free")
	h.keys("tab")
	h.focus("Role")
	h.keys("tab")
	h.focus("Groups")
	h.waitText("[•] engineering")
	h.keys("tab")
	h.focusSubmit()
	h.keys("enter")
	h.waitText("User ada saved", "Augusta Ada King")
	u := h.user("ada")
	if u.Name != "Augusta Ada King" || u.Email != "ada@example.com" || len(u.GroupIDs) != 1 {
		t.Errorf("after edit: %+v", u)
	}
}
