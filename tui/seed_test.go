package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
)

// Seed 002/004 ("see the admins"): r filters by role, the filter line
// says so, / matches a role, and s reaches a sort by role, owners first.
func TestSeed002FilterAndSortByRole(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	for name, role := range map[string]roster.Role{"grace": roster.RoleAdmin, "ken": roster.RoleOwner} {
		if _, err := db.SetRole(testActor, []uint64{idOf(t, db, name)}, role); err != nil {
			t.Fatal(err)
		}
	}
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace")
	h.keys("r", "r") // owner, then admin
	s := h.waitText("role: admin", "1 shown")
	if rows := listRows(s); len(rows) != 1 || !strings.Contains(rows[0], "Grace") {
		t.Fatalf("admins: %q", rows)
	}
	h.keys("esc")
	h.waitText("5 shown")
	h.keys("/")
	h.typeText("owner")
	s = h.waitText("1 shown")
	if rows := listRows(s); len(rows) != 1 || !strings.Contains(rows[0], "Ken") {
		t.Fatalf("/owner: %q", rows)
	}
	h.keys("esc")
	h.waitText("5 shown")
	for range 5 { // name → username → e-mail → status → created → role
		h.keys("s")
	}
	s = h.waitText("sort: role ↑")
	rows := listRows(s)
	if len(rows) != 5 || !strings.Contains(rows[0], "Ken") || !strings.Contains(rows[1], "Grace") || !strings.Contains(rows[2], "Ada") {
		t.Fatalf("by role: %q", rows)
	}
}

func idOf(t *testing.T, db interface {
	FindUser(roster.Actor, string) (*roster.User, error)
}, name string) uint64 {
	t.Helper()
	u, err := db.FindUser(testActor, name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// fillForm types a user into the add form and moves to Submit.
func (h *harness) fillForm(username, name, email string) {
	h.t.Helper()
	h.focus("Username")
	h.typeText(username)
	h.waitText("✓ valid and free")
	h.keys("tab")
	h.focus("Name")
	h.typeText(name)
	h.keys("tab", "tab", "tab") // past first and last name
	h.focus("E-mail")
	h.typeText(email)
	h.waitText("✓ valid and free")
	h.keys("tab")
	h.focus("Role")
	h.keys("tab")
	h.focus("Groups")
	h.keys("tab")
	h.focusSubmit()
}

// Seed 000: add a user with the one group chosen for you, and Finish
// sends the invitation (Save and invite is the first choice when mail is
// set up, the dev mailbox included).
func TestSeed000AddInvitesOnSave(t *testing.T) {
	db := openMailDB(t)
	addGroup(t, db, "imaging")
	m, run := newMailer(t, db, "")
	run()
	h := startOpts(t, db, 100, 30, mailOptions(m))
	h.waitText("No users yet")
	h.keys("n")
	h.focus("Username")
	h.waitText("[•] imaging") // the only group, pre-chosen
	h.fillForm("sso.jo", "Jo Scan", "jo@example.org")
	h.waitText("Save and invite")
	h.keys("enter")
	h.waitText("User sso.jo added and invited")
	u := h.user("sso.jo")
	g, _ := db.Group(testActor, "imaging")
	if len(u.GroupIDs) != 1 || u.GroupIDs[0] != g.ID || u.InvitedAt.IsZero() {
		t.Fatalf("saved %+v", u)
	}
	h.waitFor("the invitation in the dev mailbox", func(string) bool {
		msgs, _ := db.MailboxFor(testActor, "jo@example.org", 10)
		return len(msgs) == 1
	})
}

// Seed 001: Save and view saves and shows the user's summary; the choice
// is remembered for the next user; the set-password link is valid 24 h.
func TestSeed001SaveAndView(t *testing.T) {
	db := openMailDB(t)
	m, _ := newMailer(t, db, "")
	h := startOpts(t, db, 100, 40, mailOptions(m))
	h.waitText("No users yet")
	h.keys("n")
	h.fillForm("officer", "Olive Officer", "olive@example.org")
	h.keys("right", "right") // Save and invite → Save → Save and view
	h.waitText("Save and view")
	h.keys("enter")
	s := h.waitText("User officer added", "Olive Officer", "Username", "no password set")
	if strings.Contains(s, "Submit") {
		t.Fatalf("the form is still open:\n%s", s)
	}
	if !h.user("officer").InvitedAt.IsZero() {
		t.Fatal("Save and view invited")
	}
	h.keys("esc", "n")
	h.focus("Username")
	h.waitText("Save and view") // remembered
	h.keys("esc")
	h.waitText("Olive Officer")
	h.keys("a")
	h.waitText("Set-password link")
	h.keys(menuNumber(t, h.screen(), "Set-password link"))
	h.waitText("Make a set-password link for officer?")
	h.keys("y")
	s = h.waitText("Valid until")
	if !strings.Contains(s, "/invite/") {
		t.Fatalf("no link:\n%s", s)
	}
	u := h.user("officer")
	if d := time.Until(u.InviteExpires); u.InviteExpires.IsZero() || d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("the link expires in %v, want 24 h", d)
	}
}

// Seed 003's trap: marking a pending user active by hand always asks,
// names what it means, and the details then say there is no password.
func TestMarkActiveAsksAndShowsNoPassword(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 40)
	h.waitText("Ada Lovelace")
	h.keys("down", "a") // alan, pending
	h.waitText("Actions for alan")
	h.keys("1")
	h.waitText("Mark alan (Alan Turing) active without an invitation?", "no password until one is set")
	h.keys("n")
	h.waitGone("without an invitation?")
	if h.statusOf("alan") != roster.StatusPending {
		t.Fatal("n changed alan")
	}
	h.keys("a", "1")
	h.waitText("without an invitation?")
	h.keys("y")
	h.waitText("Done: 1 marked active")
	h.keys("enter", "enter")
	h.waitText("Alan Turing", "no password set: send a password reset or a set-password link")
}

// Seed 002: invite three addresses at once with a role, by e-mail alone;
// the usernames are made from the addresses, unique, and one is changed
// by hand; then filter by role to see them.
func TestSeed002InviteByEmail(t *testing.T) {
	db := openMailDB(t)
	addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	m, run := newMailer(t, db, "")
	run()
	h := startOpts(t, db, 120, 40, mailOptions(m))
	h.waitText("Ada Lovelace")
	h.keys("N")
	h.waitText("Invite by e-mail")
	h.typeText("ada@other.org") // "ada" is taken: ada2
	h.waitText("ada2")
	h.keys("tab", "tab", "right") // the role: admin
	h.waitText("‹ admin ›")
	h.keys("+") // another row
	h.typeText("bo.b@example.org")
	h.keys("tab")
	h.waitText("bo.b ")
	h.clearField(4)
	h.typeText("bobby")
	h.keys("tab", "right")
	h.keys("ctrl+n")
	h.typeText("cy@example.org")
	h.keys("tab", "tab", "right")
	h.waitText("Invite 3 addresses")
	h.keys("tab", "tab", "enter")
	h.waitText("3 users added; 3 invited")
	for name, role := range map[string]roster.Role{"ada2": roster.RoleAdmin, "bobby": roster.RoleAdmin, "cy": roster.RoleAdmin} {
		u := h.user(name)
		if u.Role != role || u.InvitedAt.IsZero() {
			t.Errorf("%s: %+v", name, u)
		}
	}
	// The name is theirs to give, on the set-password page.
	if u := h.user("bobby"); u.Email != "bo.b@example.org" || u.Name != "" {
		t.Errorf("bobby: %+v", u)
	}
	h.keys("r", "r") // owner, admin
	s := h.waitText("role: admin", "3 shown")
	if strings.Count(s, noNameYet) != 3 {
		t.Errorf("the invitees' names do not show as not given yet:\n%s", s)
	}
	if strings.Contains(s, "Ada Lovelace") {
		t.Fatalf("the member shows under admins:\n%s", s)
	}
}
