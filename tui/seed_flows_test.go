package tui

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
)

// Seed 003: two new users are Pending; select them, Actions, Send
// invitation, confirm; each follows the link in the mail and sets a
// password, then signs in: the list shows them Active with the login.
func TestSeed003SelectInviteActiveWithLogin(t *testing.T) {
	db := openMailDB(t)
	addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	addUser(t, db, "ann", "Ann Archer", "ann@example.com")
	addUser(t, db, "ben", "Ben Baker", "ben@example.com")
	m, run := newMailer(t, db, "")
	run()
	h := startOpts(t, db, 120, 40, mailOptions(m))
	h.waitText("Ann Archer")
	h.keys("down", "space", "space") // ann, ben: the cursor moves on after each
	h.waitText("2 selected")
	h.keys("a")
	s := h.waitText("Actions for 2 users", "Send invitation (2)")
	h.keys(menuNumber(t, s, "Send invitation (2)"))
	h.waitText("Send 2 invitations?")
	h.keys("y")
	h.waitText("2 invitations sent")
	h.keys("enter")

	for _, name := range []string{"ann", "ben"} {
		u := h.user(name)
		msgs, err := db.MailboxFor(testActor, u.Email, 1)
		if err != nil || len(msgs) != 1 || msgs[0].Link == "" {
			t.Fatalf("%s's invitation: %v, %v", name, msgs, err)
		}
		token := msgs[0].Link[strings.LastIndexByte(msgs[0].Link, '/')+1:]
		pw, err := password.Approve("plum orchard lantern 7", u.Username, u.Email, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Activate(token, pw, "127.0.0.1"); err != nil {
			t.Fatalf("%s sets a password: %v", name, err)
		}
		if err := db.RecordLogin(u.ID, "ldap", "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("ann and ben active, with their login", func(s string) bool {
		n := 0
		for _, row := range listRows(s) {
			if (strings.Contains(row, "ann ") || strings.Contains(row, "ben ")) && strings.Contains(row, "active") && strings.Contains(row, "login now") {
				n++
			}
		}
		return n == 2
	})
	if u := h.user("ada"); u.Status != roster.StatusPending {
		t.Errorf("ada, not selected, is %s", u.Status)
	}
}

// Seed 004: change a user's role, then their e-mail, make a set-password
// link, delete them; the audit log shows each step.
func TestSeed004RoleEmailLinkDeleteAudit(t *testing.T) {
	db := openMailDB(t)
	seedSmall(t, db)
	m, _ := newMailer(t, db, "")
	h := startOpts(t, db, 120, 40, mailOptions(m))
	h.waitText("Ada Lovelace")

	h.keys("a")
	s := h.waitText("Actions for ada", "Change role…")
	h.keys(menuNumber(t, s, "Change role…"))
	h.waitText("Give ada (Ada Lovelace) the role", "owner")
	h.keys("down", "enter") // member → admin; for one user, no question
	h.waitText("Done: 1 made admin")
	h.keys("enter")
	h.waitFor("the list showing ada as admin", func(s string) bool { // the form starts from what the list shows
		rows := listRows(s)
		return len(rows) > 0 && strings.Contains(rows[0], "admin")
	})

	h.keys("e")
	h.waitText("Edit ada")
	h.focus("Username")
	h.keys("tab", "tab", "tab", "tab") // name, first name, last name, e-mail
	h.focus("E-mail")
	h.clearField(len("ada@example.com"))
	h.typeText("ada@lovelace.org")
	h.waitText("✓ valid and free")
	h.keys("tab", "tab", "tab")
	h.focusSubmit()
	h.keys("enter")
	h.waitText("User ada saved", "ada@lovelace.org")

	h.keys("a")
	s = h.waitText("Actions for ada", "Set-password link")
	h.keys(menuNumber(t, s, "Set-password link"))
	h.waitText("Make a set-password link for ada?")
	h.keys("y")
	h.waitText("Valid until", "/invite/")
	h.keys("enter")
	h.waitText("Set-password link made for ada")

	h.keys("a")
	h.waitText("Actions for ada", "Delete")
	// Down from Disable (the first that applies) to Delete; the lifecycle
	// actions follow it. Each frame is read after the key before it.
	for i := 0; i < 20 && !strings.Contains(h.screen(), "› 10  Delete"); i++ {
		h.keys("down")
	}
	h.waitText("› 10  Delete")
	h.keys("enter")
	h.waitText("Delete ada (Ada Lovelace)?", "This cannot be undone.")
	h.keys("y")
	h.waitText("Done: 1 deleted")
	h.keys("enter")
	h.waitGone("Ada Lovelace")

	h.keys("L")
	h.keys("/")
	h.typeText("ada")
	s = h.waitText("user.delete", "token.link", "user.update", "user.role")
	for _, order := range [][2]string{{"user.delete", "token.link"}, {"token.link", "user.update"}, {"user.update", "user.role"}} {
		if strings.Index(s, order[0]) > strings.Index(s, order[1]) {
			t.Errorf("audit log: %s not above %s:\n%s", order[0], order[1], s)
		}
	}
	if u, err := db.FindUser(testActor, "ada"); err == nil {
		t.Errorf("ada is still there: %+v", u)
	}
	if u := h.user("grace"); u.Role != roster.RoleMember {
		t.Errorf("grace changed: %+v", u)
	}
}
