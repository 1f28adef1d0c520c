package tui

import (
	"crypto/ed25519"
	"crypto/rand"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	gossh "golang.org/x/crypto/ssh"
)

// newKeyLine returns a fresh ed25519 public key as an authorized_keys line
// with comment, and its fingerprint.
func newKeyLine(t *testing.T, comment string) (string, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sp))) + " " + comment, gossh.FingerprintSHA256(sp)
}

// fingerprints lists a user's keys in the store.
func fingerprints(t *testing.T, h *harness, uid uint64) []string {
	t.Helper()
	keys, err := h.db.Keys(testActor, uid)
	if err != nil {
		t.Fatal(err)
	}
	var fps []string
	for _, k := range keys {
		fps = append(fps, k.Fingerprint)
	}
	return fps
}

// TestDetailsKeys lists, adds, refuses a bad key and removes keys from a
// user's details.
func TestDetailsKeys(t *testing.T) {
	db := mustOpenDB(t)
	ada := addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	line1, fp1 := newKeyLine(t, "ada@laptop")
	if _, err := db.AddKey(testActor, ada.ID, line1); err != nil {
		t.Fatal(err)
	}
	h := start(t, db, 100, 30)
	h.waitText("Ada Lovelace")
	h.keys("enter")
	s := h.waitText("SSH keys", fp1, "ada@laptop", "ssh-ed25519", "added 2026-03-14", "never used")
	if !strings.Contains(s, "K to add or remove") {
		t.Errorf("details do not say how to manage keys:\n%s", s)
	}

	// Add one by pasting it.
	h.keys("K")
	if s := h.waitText("SSH keys of ada", fp1); strings.Contains(s, "not change them") {
		t.Errorf("an owner is told they cannot change keys:\n%s", s)
	}
	h.keys("a")
	h.waitText("Paste ada's public key")
	line2, fp2 := newKeyLine(t, "ada@phone")
	h.tm.Send(tea.PasteMsg{Content: line2})
	h.keys("enter")
	h.waitText("Key "+fp2+" added", "ada@phone")
	got := fingerprints(t, h, ada.ID)
	if len(got) != 2 || !slices.Contains(got, fp2) {
		t.Fatalf("keys after add: %v", got)
	}

	// Text that is no key gets the store's reason, and nothing changes.
	h.keys("a")
	h.waitText("Paste ada's public key")
	h.typeText("not a key")
	h.keys("enter")
	h.waitText("not an SSH public key")
	if got := fingerprints(t, h, ada.ID); len(got) != 2 {
		t.Fatalf("keys after a bad key: %v", got)
	}
	// A private key is refused without being echoed.
	h.keys("a")
	h.tm.Send(tea.PasteMsg{Content: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"})
	h.keys("enter")
	h.waitText("this is a private key")

	// Remove the new one: move to it, d, then n keeps it and y removes it.
	// (Keys added at the same time come in fingerprint order.)
	h.keys("k", "k")
	if got[1] == fp2 {
		h.keys("j")
	}
	h.keys("d")
	h.waitText("Remove key " + fp2)
	h.keys("n")
	h.waitGone("Remove key")
	if got := fingerprints(t, h, ada.ID); len(got) != 2 {
		t.Fatalf("n removed a key: %v", got)
	}
	h.keys("d")
	h.waitText("Remove key " + fp2)
	h.keys("y")
	h.waitText("Key " + fp2 + " removed")
	if got := fingerprints(t, h, ada.ID); len(got) != 1 || got[0] != fp1 {
		t.Fatalf("keys after removal: %v", got)
	}

	// Back in the details, the list is current.
	h.keys("esc")
	h.waitFor("details without the removed key", func(s string) bool {
		i, j := strings.Index(s, "SSH keys"), strings.Index(s, "History")
		if i < 0 || j < i {
			return false
		}
		section := s[i:j]
		return strings.Contains(section, fp1) && !strings.Contains(section, fp2)
	})
	h.waitText("key.remove")
}

// TestDetailsKeysRefused: an admin may not add or remove an owner's keys:
// the screen offers neither (the rule table is asked, as the actions menu
// does) and says which role it needs.
func TestDetailsKeysRefused(t *testing.T) {
	db := mustOpenDB(t)
	adam, err := db.CreateUser(testActor, roster.NewUser{Username: "adam", Name: "Adam Admin", Email: "adam@example.com", Role: roster.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	olga, err := db.CreateUser(testActor, roster.NewUser{Username: "olga", Name: "Olga Owner", Email: "olga@example.com", Role: roster.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	mia := addUser(t, db, "mia", "Mia Member", "mia@example.com")
	setStatus(t, db, roster.StatusActive, adam, olga)
	line, fp := newKeyLine(t, "olga@laptop")
	if _, err := db.AddKey(testActor, olga.ID, line); err != nil {
		t.Fatal(err)
	}
	h := startOpts(t, db, 100, 30, Options{Actor: roster.Actor{UserID: adam.ID, Name: "adam", Role: roster.RoleAdmin}})
	h.waitText("Olga Owner")
	h.keys("j", "j", "enter")
	h.waitText("SSH keys", fp, "olga@laptop") // admins see owners' keys
	h.waitText("not yours to change (K says why)")
	h.keys("K")
	s := h.waitText("SSH keys of olga", "You can see these keys but not change them", "remove SSH keys for olga (an owner)")
	if strings.Contains(s, "add key") || strings.Contains(s, "remove key") {
		t.Errorf("the keys screen offers what the table refuses:\n%s", s)
	}
	// a and d are not offered: esc right after them leaves the screen
	// (an add prompt or a removal question would have taken it).
	for _, k := range []string{"a", "d"} {
		h.keys(k, "esc")
		h.waitGone("SSH keys of olga")
		h.waitText("not yours to change")
		h.keys("K")
		h.waitText("SSH keys of olga")
	}
	if got := fingerprints(t, h, olga.ID); len(got) != 1 || got[0] != fp {
		t.Fatalf("olga's keys changed: %v", got)
	}

	// A member's keys are the admin's to manage.
	h.keys("esc")
	h.waitText("not yours to change")
	h.keys("esc")
	h.waitText("3 shown")
	h.keys("k", "enter")
	h.waitText("mia@example.com", "K to add or remove")
	h.keys("K")
	if s := h.waitText("SSH keys of mia", "no keys"); strings.Contains(s, "not change them") {
		t.Errorf("an admin is told they cannot change a member's keys:\n%s", s)
	}
	h.keys("a")
	line2, fp2 := newKeyLine(t, "mia@laptop")
	h.tm.Send(tea.PasteMsg{Content: line2})
	h.keys("enter")
	h.waitText("Key " + fp2 + " added")
	if got := fingerprints(t, h, mia.ID); len(got) != 1 || got[0] != fp2 {
		t.Fatalf("mia's keys: %v", got)
	}
	evs, err := db.AuditEvents(testActor, store.AuditFilter{UserID: mia.ID, Limit: 1})
	if err != nil || len(evs) != 1 || evs[0].Action != roster.ActionKeyAdd || evs[0].Actor != "adam" {
		t.Errorf("audit of the added key: %+v %v", evs, err)
	}
}

// TestKeysScreenSmall: at 60×16 the keys screen shows whole fingerprints
// and wraps its prompts instead of cutting them; d right after K works on
// the list the details showed.
func TestKeysScreenSmall(t *testing.T) {
	db := mustOpenDB(t)
	ada := addUser(t, db, "ada", "Ada Lovelace", "ada@example.com")
	line, fp := newKeyLine(t, "ada@laptop")
	if _, err := db.AddKey(testActor, ada.ID, line); err != nil {
		t.Fatal(err)
	}
	h := start(t, db, 60, 16)
	h.waitText("Ada Lovelace")
	h.keys("enter")
	h.waitText("Username")
	for range 20 { // scroll the details down to the keys
		h.keys("j")
	}
	h.waitText("SSH keys", fp)
	h.keys("K", "d")
	s := h.waitText("SSH keys of ada", "can no longer sign in. y/n")
	if !strings.Contains(strings.Join(strings.Fields(s), " "), "Remove key "+fp+"?") {
		t.Errorf("the question lacks the fingerprint:\n%s", s)
	}
	h.keys("n", "a")
	s = h.waitText("Paste ada's public key", "press enter:")
	for _, l := range strings.Split(s, "\n") {
		if w := (cells{}).width(l); w > 60 {
			t.Errorf("line of %d cells: %q", w, l)
		}
	}
}

// Ensure a group manager, who sees their members' keys but may neither
// add nor remove them, is offered neither: the details say so, the keys
// screen names the refusal, and a and d do nothing.
func TestManagerKeysNotOffered(t *testing.T) {
	db := mustOpenDB(t)
	seedSmall(t, db)
	ada, barbara := h0user(t, db, "ada"), h0user(t, db, "barbara")
	if err := db.SetManager(testActor, "sales", ada.ID, true); err != nil {
		t.Fatal(err)
	}
	line, fp := newKeyLine(t, "barbara@laptop")
	if _, err := db.AddKey(testActor, barbara.ID, line); err != nil {
		t.Fatal(err)
	}
	actor, err := db.Resolve(roster.Actor{Name: "ada", UserID: ada.ID, Role: roster.RoleMember})
	if err != nil || !actor.IsManager() {
		t.Fatalf("ada is no manager: %v", err)
	}
	h := startOpts(t, db, 100, 30, Options{Actor: actor})
	h.waitText("Barbara Liskov")
	h.keys("j", "enter")
	h.waitText("barbara@example.com", fp, "not yours to change (K says why)")
	h.keys("K")
	s := h.waitText("SSH keys of barbara", "You can see these keys but not change them", "remove SSH keys for barbara")
	if strings.Contains(s, "add key") || strings.Contains(s, "remove key") {
		t.Errorf("the keys screen offers what the table refuses:\n%s", s)
	}
	for _, k := range []string{"a", "d"} {
		h.keys(k, "esc") // not offered: esc leaves the screen
		h.waitGone("SSH keys of barbara")
		h.keys("K")
		h.waitText("SSH keys of barbara")
	}
	if got := fingerprints(t, h, barbara.ID); len(got) != 1 || got[0] != fp {
		t.Fatalf("barbara's keys changed: %v", got)
	}
}
