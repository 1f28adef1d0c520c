package tui

import (
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure the edit form saves only the fields it changed: a role someone
// else gave the user while the form was open stays.
func TestFormEditKeepsOthersChanges(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 40)
	h.waitText("Ada Lovelace")
	h.keys("e")
	h.waitText("Edit ada")
	h.focus("Username")
	ada := h.user("ada")
	if _, err := db.SetRole(testActor, []uint64{ada.ID}, roster.RoleAdmin); err != nil { // someone else, meanwhile
		t.Fatal(err)
	}
	h.keys("tab")
	h.focus("Name")
	h.clearField(len("Ada Lovelace"))
	h.typeText("Ada King")
	for range 6 { // first and last name, e-mail, role, groups, submit
		h.keys("tab")
	}
	h.focusSubmit()
	h.keys("enter")
	h.waitText("User ada saved")
	if u := h.user("ada"); u.Name != "Ada King" || u.Role != roster.RoleAdmin {
		t.Errorf("after saving the name: %q, %s; want the new name and the role someone else gave", u.Name, u.Role)
	}
}
