package ssh

import (
	"strings"
	"sync"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/storetest"
	"github.com/roster-dev/roster/tui"
	gossh "golang.org/x/crypto/ssh"
)

// Ensure a member gets My account and nothing else: their details,
// groups, sign-ins and keys; they add and remove their own keys and ask
// for a reset link; others' changes to them show without a key press.
func TestMemberMyAccount(t *testing.T) {
	db := storetest.Open(t)
	var mu sync.Mutex
	var resets []string
	app := TerminalApp(db, tui.Services{RequestReset: func(email string) error {
		mu.Lock()
		defer mu.Unlock()
		resets = append(resets, email)
		return nil
	}})
	ts := startServerOn(t, db, Config{App: app})
	if _, err := db.CreateGroup(local, "staff", ""); err != nil {
		t.Fatal(err)
	}
	ts.addUser("olga", roster.RoleOwner, roster.StatusActive)
	ts.addUser("max", roster.RoleMember, roster.StatusActive)
	mia, miaKey := ts.addUser("mia", roster.RoleMember, roster.StatusActive)
	if _, err := db.AddToGroup(local, []uint64{mia.ID}, "staff"); err != nil {
		t.Fatal(err)
	}

	// Someone tries mia's key under another name: her list shows it.
	if c, err := ts.dial("max", miaKey); err == nil {
		c.Close()
		t.Fatal("mia's key signed in as max")
	}
	tm := ts.openTerm("mia", miaKey, 120, 36)
	tm.waitScreen("My account")
	tm.waitScreen("mia@example.com")
	first := gossh.FingerprintSHA256(miaKey.PublicKey())
	for _, want := range []string{"staff", "member", "Last sign-ins", "ssh from 127.0.0.1", "refused ssh from 127.0.0.1", "SSH keys", first} {
		tm.waitScreen(want)
	}
	// The admin app's keys do nothing here.
	tm.press("L")
	tm.press("G")
	tm.press("n")
	for _, secret := range []string{"olga", "max@example.com", "Audit", "Add new user"} {
		if strings.Contains(tm.screen(), secret) {
			t.Errorf("a member sees %q:\n%s", secret, tm.screen())
		}
	}

	// She adds no key herself (issue 13: no squatting): "a" offers
	// nothing, and the help does not show it. An admin adds it for her.
	if strings.Contains(tm.screen(), "add key") {
		t.Errorf("My account offers to add a key:\n%s", tm.screen())
	}
	tm.press("a")
	second := newSigner(t)
	if _, err := db.AddKey(local, mia.ID, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(second.PublicKey())))+" mia@phone"); err != nil {
		t.Fatal(err)
	}
	tm.waitScreen("mia@phone")
	if strings.Contains(tm.screen(), "Paste your public key") {
		t.Errorf("a member was asked for a key:\n%s", tm.screen())
	}

	// Remove the second key: down, d, y.
	tm.press("j")
	tm.press("d")
	tm.waitScreen("Remove key " + gossh.FingerprintSHA256(second.PublicKey()))
	tm.press("y")
	tm.waitScreen("removed")
	if keys, _ := db.Keys(local, mia.ID); len(keys) != 1 || keys[0].Fingerprint != first {
		t.Fatalf("after removal: %v", keys)
	}

	// A reset link to her own address.
	tm.press("r")
	tm.waitScreen("Send a password reset link to mia@example.com")
	tm.press("y")
	tm.waitScreen("on its way to mia@example.com")
	mu.Lock()
	if len(resets) != 1 || resets[0] != "mia@example.com" {
		t.Errorf("resets %v", resets)
	}
	mu.Unlock()

	// An admin's change shows without a key press.
	name := "Mia Renamed"
	if _, err := db.UpdateUser(local, mia.ID, roster.UserUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	tm.waitScreen("Mia Renamed")

	tm.press("q")
	if code := tm.exitStatus(); code != 0 {
		t.Errorf("exit status %d", code)
	}
}
