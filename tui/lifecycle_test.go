package tui

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
	"github.com/roster-dev/roster/store"
)

// focusSubmit moves from the field before "Disable on" (or from it) to
// Submit: the forms' tests tab through the date they leave empty.
func (h *harness) focusSubmit() string {
	h.t.Helper()
	s := h.waitFor("focus on Disable on or Submit", func(s string) bool {
		return strings.Contains(s, "┃ Disable on") || strings.Contains(s, "┃ Submit")
	})
	if strings.Contains(s, "┃ Disable on") {
		h.keys("tab")
	}
	return h.focus("Submit")
}

// generated finds the password a dialog shows: 20 letters and digits alone
// on a line of the box.
var generated = regexp.MustCompile(`(?m)^\s+([A-Za-z0-9]{20})\s*$`)

func shownPassword(t *testing.T, s string) string {
	t.Helper()
	m := generated.FindStringSubmatch(boxText(s))
	if m == nil {
		t.Fatalf("no password in the dialog:\n%s", s)
	}
	return m[1]
}

// waitCopied waits until the program has written pw to the clipboard
// (OSC 52 with the text in base64).
func (h *harness) waitCopied(pw string) {
	h.t.Helper()
	want := []byte(base64.StdEncoding.EncodeToString([]byte(pw)))
	teatest.WaitFor(h.t, h.tm.Output(), func(b []byte) bool {
		return strings.Contains(string(b), "52;c;"+string(want))
	}, teatest.WithDuration(waitTime))
}

// Ensure a service account is added from the Service tab: the form asks
// no e-mail, the account is Active at once in directory-readers, its
// password is shown once (c copies it) and works; the status tabs count
// persons only, the Service tab counts it.
func TestServiceAccountFlow(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	h := start(t, db, 120, 40)
	h.waitText("Ada Lovelace", "2 Pending 2", "5 Service 0")

	// From the All tab, the kind is one shift+tab above Username.
	h.keys("n")
	h.focus("Username")
	h.keys("shift+tab")
	h.waitText("┃ ← Kind: person →")
	h.keys("right")
	h.waitText("Add new service account", "Kind: service account")
	h.keys("esc") // the kind was changed: asks
	h.waitText("Discard what you typed?")
	h.keys("y")
	h.waitGone("Add new")

	h.keys("5")
	h.waitText("No users match")
	h.keys("n")
	h.waitText("Add new service account")
	h.focus("Username")
	h.typeText("wiki")
	h.waitText("✓ valid and free")
	// No name (the username stands in), no first or last name, no e-mail, member.
	h.keys("tab", "tab", "tab", "tab", "tab", "tab")
	h.focus("Groups")
	h.keys("tab")
	h.focus("Disable on")
	h.typeText("2020-01-01")
	h.waitText("✗ that day has passed")
	h.keys("tab") // refused: the focus stays
	h.focus("Disable on")
	for range 10 {
		h.keys("backspace")
	}
	h.typeText("2099-12-31")
	h.waitText("✓ disabled from Thu 31 Dec 2099")
	h.keys("tab")
	h.focus("Submit")
	h.waitText("Save and show the password")
	if strings.Contains(h.screen(), "Save and invite") {
		t.Error("a service account is offered an invitation")
	}
	h.keys("enter")
	s := h.waitText("Password of the service account wiki", "Shown only now")
	pw := shownPassword(t, s)

	u := h.user("wiki")
	if !u.IsService() || u.Status != roster.StatusActive || u.Email != "" || u.Name != "wiki" {
		t.Errorf("saved %+v", u)
	}
	if got := roster.FormatExpiry(u.ExpiresAt, u.ExpiresAt.Location()); u.ExpiresAt.IsZero() || got == "" {
		t.Errorf("no expiry saved: %v", u.ExpiresAt)
	}
	g, _ := db.Group(testActor, roster.DirectoryReaders)
	if len(u.GroupIDs) != 1 || g == nil || u.GroupIDs[0] != g.ID {
		t.Errorf("groups %v, want directory-readers", u.GroupIDs)
	}
	if ok, err := password.Verify(u.PasswordHash, pw); !ok || err != nil {
		t.Errorf("the shown password does not verify: %v", err)
	}

	h.keys("c")
	h.waitCopied(pw)
	h.waitText("Password copied")
	h.keys("enter")
	s = h.waitText("Service account wiki added", "5 Service 1", "2 Pending 2", "3 Active 2", "(service account)")
	if strings.Contains(s, pw) {
		t.Error("the password is still on the screen")
	}
	// The status tabs are for persons: Active does not list wiki.
	h.keys("3")
	s = h.waitText("2 shown")
	if strings.Contains(s, "wiki") {
		t.Errorf("the Active tab lists the service account:\n%s", s)
	}
}

// Ensure "Generate password" asks (enter is not yes), then shows a strong
// password once, makes the pending person Active, revokes their live link
// and audits it without the password.
func TestGeneratePasswordShownOnce(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	alan := idOf(t, db, "alan")
	raw, _, err := db.IssueLink(testActor, alan, roster.TokenInvite, 0)
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, db, 120, 40)
	h.waitText("Alan Turing")
	h.keys("/")
	h.typeText("alan")
	h.keys("enter")
	h.waitText("1 shown")
	h.keys("a")
	h.waitText("Generate password…")
	h.keys("7")
	h.waitText("Generate a new password for alan?", "become active")
	h.keys("enter") // not yes
	h.waitText("Generate a new password for alan?")
	h.keys("y")
	s := h.waitText("New password for alan", "Shown only now", "no longer works")
	pw := shownPassword(t, s)

	u := h.user("alan")
	if u.Status != roster.StatusActive {
		t.Errorf("alan is %s", u.Status)
	}
	if ok, _ := password.Verify(u.PasswordHash, pw); !ok {
		t.Error("the shown password does not verify")
	}
	if _, _, err := db.LookupToken(raw); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Errorf("the old link still works: %v", err)
	}
	evs, err := db.AuditEvents(testActor, store.AuditFilter{UserID: alan})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		if strings.Contains(ev.Details, pw) {
			t.Fatalf("the audit log holds the password: %+v", ev)
		}
		if ev.Action == roster.ActionPasswordGenerate && ev.Actor == testActor.String() && strings.Contains(ev.Details, "live link revoked") {
			found = true
		}
	}
	if !found {
		t.Errorf("no generate event: %+v", evs)
	}

	h.keys("c")
	h.waitCopied(pw)
	h.keys("esc")
	s = h.waitText("New password for alan shown once; live links revoked")
	if strings.Contains(s, pw) {
		t.Error("the password is still on the screen")
	}
	// Shown once: the details say when it was set, never what it is.
	h.keys("enter")
	s = h.waitText("Password", "set 2026")
	if strings.Contains(s, pw) {
		t.Error("the details show the password")
	}
}

// Ensure the invitation list (V) shows address, user, sender, dates and
// state, and re-sends (a new link, the old one replaced), fixes an address
// and re-sends, and revokes, each in the store and audited.
func TestInvitationList(t *testing.T) {
	db := openMailDB(t)
	ada := addUser(t, db, "ada", "Ada Lovelace", "ada@exmaple.com")
	bob := addUser(t, db, "bob", "Bob Byte", "bob@example.com")
	m, _ := newMailer(t, db, "") // the worker does not run: the mail stays queued
	if _, err := m.Invite(testActor, []uint64{ada.ID, bob.ID}); err != nil {
		t.Fatal(err)
	}
	h := startOpts(t, db, 130, 30, mailOptions(m))
	h.waitText("Ada Lovelace")
	h.keys("V")
	s := h.waitText("Invitations", "Address", "Sent by", "Expires at", "ada@exmaple.com", "bob@example.com", "tester")
	if n := strings.Count(s, "queued"); n != 2 {
		t.Fatalf("%d queued rows:\n%s", n, s)
	}

	// The first row is ada's (same time: by username). Re-send: a new link.
	h.keys("r")
	h.waitText("New invitation for ada queued", "replaced")
	list, err := db.Invitations(testActor, testClock)
	if err != nil {
		t.Fatal(err)
	}
	if states := invStates(list, "ada"); states != "queued replaced" {
		t.Fatalf("ada's invitations: %s", states)
	}

	// The address was mistyped: fix it and re-send from the row.
	h.keys("e")
	h.waitText("new address: ada@exmaple.com")
	h.tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	h.typeText("ada@example.com")
	h.keys("enter")
	h.waitText("queued to ada@example.com")
	if u := h.user("ada"); u.Email != "ada@example.com" {
		t.Errorf("ada's address is %q", u.Email)
	}
	list, _ = db.Invitations(testActor, testClock)
	if states := invStates(list, "ada"); states != "queued replaced replaced" {
		t.Fatalf("ada's invitations after the fix: %s", states)
	}
	// Each row keeps the address it went to: the old ones the mistyped one.
	s = h.waitFor("the new row at the fixed address", func(s string) bool {
		return regexp.MustCompile(`ada@example\.com\s+ada\s.*queued`).MatchString(s)
	})
	if n := len(regexp.MustCompile(`ada@exmaple\.com\s+ada\s.*replaced`).FindAllString(s, -1)); n != 2 {
		t.Fatalf("%d replaced rows at the address they went to, want 2:\n%s", n, s)
	}

	// Revoke bob's: asks, then the link is dead and the row says so.
	// The cursor followed ada's newest invitation; bob's is the last row.
	h.waitFor("cursor on ada's newest", func(s string) bool {
		return strings.Count(s, "replaced") == 2 && strings.Contains(invCursor(s), "queued")
	})
	h.keys("down", "down", "down")
	h.waitFor("cursor on bob", func(s string) bool { return strings.Contains(invCursor(s), "bob@example.com") })
	h.keys("x")
	h.waitText("Revoke the invitation of bob?")
	h.keys("y")
	h.waitText("Invitation of bob revoked")
	h.waitFor("bob's row revoked", func(s string) bool { return strings.Contains(invCursor(s), "revoked") })
	list, _ = db.Invitations(testActor, testClock)
	if states := invStates(list, "bob"); states != "revoked" {
		t.Fatalf("bob's invitations: %s", states)
	}
	evs, _ := db.AuditEvents(testActor, store.AuditFilter{UserID: bob.ID})
	if len(evs) == 0 || evs[0].Action != roster.ActionInviteRevoke || evs[0].Actor != testActor.String() {
		t.Errorf("bob's last event: %+v", evs[:min(1, len(evs))])
	}
	// A revoked invitation cannot be revoked again; it can be re-sent.
	h.keys("x")
	h.waitText("Only a live invitation can be revoked")

	// The palette finds the screen too.
	h.keys("esc")
	h.waitGone("Sent by")
	h.keys(":")
	h.typeText("invitations")
	h.keys("enter")
	h.waitText("Sent by", "Expires at")
}

// invStates lists a user's invitation states, newest first.
func invStates(list []store.Invitation, username string) string {
	var out []string
	for _, inv := range list {
		if inv.Username == username {
			out = append(out, inv.State)
		}
	}
	return strings.Join(out, " ")
}

// invCursor returns the invitation list's line under the cursor.
func invCursor(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "› ") {
			return l
		}
	}
	return ""
}

// Ensure d filters the list by "expires within 30 days" and by "no
// sign-in for N days" (never signed in counts from activation), the
// Latest column shows the expiry date, and a selection from the filter is
// disabled like any other.
func TestLifecycleFiltersAndBulkDisable(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db) // ada and grace active at testClock
	db.Now = func() time.Time { return testClock.Add(-200 * 24 * time.Hour) }
	old := addUser(t, db, "olga", "Olga Old", "olga@example.com")
	setStatus(t, db, roster.StatusActive, old)
	db.Now = func() time.Time { return testClock }
	soon := testClock.Add(20 * 24 * time.Hour)
	later := testClock.Add(90 * 24 * time.Hour)
	for name, at := range map[string]time.Time{"ada": soon, "alan": soon, "grace": later} {
		if _, err := db.UpdateUser(testActor, idOf(t, db, name), roster.UserUpdate{ExpiresAt: &at}); err != nil {
			t.Fatal(err)
		}
	}
	h := start(t, db, 120, 30)
	h.waitText("Ada Lovelace", "ends "+soon.Local().Format("2 Jan 06"))
	h.keys("d")
	s := h.waitText("expires within 30 days", "2 shown")
	if rows := listRows(s); len(rows) != 2 || !strings.Contains(rows[0], "Ada") || !strings.Contains(rows[1], "Alan") {
		t.Fatalf("expiring: %q", rows)
	}
	h.keys("d", "d", "d") // 30, 90, then 180 days without a sign-in
	s = h.waitText("no sign-in for 180 days", "1 shown")
	if rows := listRows(s); len(rows) != 1 || !strings.Contains(rows[0], "Olga") {
		t.Fatalf("dormant: %q", rows)
	}
	// Back to the expiring ones: select them all and disable them.
	h.keys("d", "d")
	h.waitText("expires within 30 days", "2 shown")
	h.keys("ctrl+a", "a")
	h.waitText("Actions for 2 users")
	h.keys("2")
	h.waitText("Disable")
	h.keys("y")
	h.waitText("Done: 2 disabled")
	for _, name := range []string{"ada", "alan"} {
		if u := h.user(name); u.Status != roster.StatusDisabled {
			t.Errorf("%s is %s", name, u.Status)
		}
	}
	if u := h.user("grace"); u.Status != roster.StatusActive {
		t.Errorf("grace is %s", u.Status)
	}
}

// Ensure My account shows a member the day their account ends.
func TestAccountShowsExpiry(t *testing.T) {
	db := mustOpenDB(t)
	u := addUser(t, db, "mia", "Mia Member", "mia@example.com")
	setStatus(t, db, roster.StatusActive, u)
	at := time.Now().AddDate(0, 0, 10)
	at = time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.Local)
	if _, err := db.UpdateUser(testActor, u.ID, roster.UserUpdate{ExpiresAt: &at}); err != nil {
		t.Fatal(err)
	}
	m := NewAccount(Options{DB: db, Actor: roster.Actor{Name: "mia", UserID: u.ID, Role: u.Role}})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	run(m, route(baseID, m.base.(*accountScreen).loadCmd()))
	s := ansi.Strip(m.render())
	if want := "Expires     " + at.Format("Mon 2 Jan 2006") + " (your account is disabled that day, in 10 days)"; !strings.Contains(s, want) {
		t.Errorf("My account lacks %q:\n%s", want, s)
	}
}

// Ensure a service account's menu offers no set-password link, invitation
// or reset: each entry is disabled with the rule table's reason and does
// nothing when chosen.
func TestServiceAccountMenuOffersNoLink(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	n := roster.NewUser{Username: "ci-bot", Name: "CI", Email: "ci@example.com"}
	pw, err := password.Approve("plum orchard lantern 7", n.Username, n.Email, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateService(testActor, n, pw); err != nil {
		t.Fatal(err)
	}
	h := startOpts(t, db, 140, 30, Options{Services: Services{Mail: fakeMail{}}})
	h.waitText("Ada Lovelace")
	h.keys("5")
	h.waitText("ci-bot")
	h.keys("a")
	s := h.waitText("Actions for ci-bot", "Generate password…")
	for _, entry := range []string{"Send invitation", "Send password reset", "Set-password link"} {
		if want := entry + " — " + roster.ServiceNoLink; !strings.Contains(s, want) {
			t.Errorf("menu lacks %q:\n%s", want, s)
		}
	}
	// Choosing the link moves the cursor to it and opens nothing: the next
	// key still reaches the menu.
	h.keys("8")
	h.waitText("›  8  Set-password link")
	h.keys("enter", "9")
	s = h.waitText("›  9  Unblock mail")
	if strings.Contains(s, "Make a set-password link") {
		t.Fatalf("the link dialog opened:\n%s", s)
	}
	if invs, err := db.Invitations(testActor, time.Time{}); err != nil || len(invs) != 0 {
		t.Errorf("links issued: %+v %v", invs, err)
	}
}
