package store

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	gossh "golang.org/x/crypto/ssh"
)

// newTestKey returns a fresh ed25519 public key as an authorized_keys line
// with the comment, and the parsed key.
func newTestKey(t testing.TB, comment string) (string, gossh.PublicKey) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sp)))
	if comment != "" {
		line += " " + comment
	}
	return line, sp
}

func TestAddListRemoveKey(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com")
	line, pub := newTestKey(t, "ada@laptop")

	k, err := db.AddKey(local, ada.ID, "  "+line+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if k.Fingerprint != gossh.FingerprintSHA256(pub) || k.Comment != "ada@laptop" || k.Type != "ssh-ed25519" || k.AddedAt.IsZero() {
		t.Fatalf("key = %+v", k)
	}
	if k.AuthorizedKey() != line {
		t.Fatalf("AuthorizedKey() = %q, want %q", k.AuthorizedKey(), line)
	}

	// Ensure the key finds its owner, and a sign-in marks it used.
	u, found, err := db.UserByKey(pub)
	if err != nil || u.ID != ada.ID || found.Fingerprint != k.Fingerprint {
		t.Fatalf("UserByKey = %v, %v, %v", u, found, err)
	}
	if err := db.KeyUsed(strings.TrimPrefix(k.Fingerprint, "SHA256:")); err != nil {
		t.Fatal(err)
	}
	keys, err := db.Keys(local, ada.ID)
	if err != nil || len(keys) != 1 || keys[0].LastUsedAt.IsZero() {
		t.Fatalf("Keys = %v, %v", keys, err)
	}

	// Ensure a second key lists after the first, and removing works with or
	// without the "SHA256:" prefix.
	line2, _ := newTestKey(t, "")
	k2, err := db.AddKey(local, ada.ID, line2)
	if err != nil {
		t.Fatal(err)
	}
	if keys, _ = db.Keys(local, ada.ID); len(keys) != 2 || keys[0].Fingerprint != k.Fingerprint || keys[1].Fingerprint != k2.Fingerprint {
		t.Fatalf("Keys = %v", keys)
	}
	if err := db.RemoveKey(local, ada.ID, strings.TrimPrefix(k.Fingerprint, "SHA256:")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.UserByKey(pub); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Fatalf("UserByKey after remove: %v", err)
	}
	wantErr(t, db.RemoveKey(local, ada.ID, k.Fingerprint), roster.ENOTFOUND, "fingerprint")

	// Ensure every change is audited with the actor.
	evs, err := db.AuditEvents(local, AuditFilter{UserID: ada.ID, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Action != roster.ActionKeyRemove || evs[1].Action != roster.ActionKeyAdd || evs[2].Action != roster.ActionKeyAdd {
		t.Fatalf("events = %+v", evs)
	}
	for _, ev := range evs {
		if ev.Actor != local.Name || len(ev.Targets) != 1 || ev.Targets[0] != "ada" {
			t.Fatalf("event = %+v", ev)
		}
	}
	if !strings.Contains(evs[0].Details, k.Fingerprint) {
		t.Fatalf("remove event details %q lack the fingerprint", evs[0].Details)
	}
}

func TestAddKeyRefusals(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com")
	bob := mustCreate(t, db, "bob", "Bob Byte", "bob@example.com")
	line, _ := newTestKey(t, "x")
	if _, err := db.AddKey(local, ada.ID, line); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, db)

	// Ensure a key is registered once, on one user.
	_, err := db.AddKey(local, ada.ID, line)
	wantErr(t, err, roster.ECONFLICT, "key")
	_, err = db.AddKey(local, bob.ID, line)
	wantErr(t, err, roster.ECONFLICT, "key")

	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weak, err := gossh.NewPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"empty":       "  \n# only a comment\n",
		"garbage":     "hello world",
		"private key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
		"two keys":    line + "\n" + line,
		"options":     `from="10.0.0.1" ` + line,
		"weak rsa":    string(gossh.MarshalAuthorizedKey(weak)),
	} {
		_, err := db.AddKey(local, bob.ID, text)
		if roster.ErrorCode(err) != roster.EINVALID || roster.ErrorField(err) != "key" {
			t.Errorf("%s: got %v, want EINVALID on key", name, err)
		}
		if name == "private key" && strings.Contains(roster.ErrorMessage(err), "b3Bl") {
			t.Errorf("the error echoes the private key: %v", err)
		}
	}
	_, err = db.AddKey(local, 999, line)
	if roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Fatalf("unknown user: %v", err)
	}
	if after := snapshot(t, db); after != before {
		t.Fatal("a refused AddKey changed the file")
	}
}

func TestDeleteUserRemovesKeys(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com")
	line, pub := newTestKey(t, "")
	if _, err := db.AddKey(local, ada.ID, line); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteUsers(local, []uint64{ada.ID}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.UserByKey(pub); roster.ErrorCode(err) != roster.ENOTFOUND {
		t.Fatalf("the deleted user's key still signs in: %v", err)
	}
	// Ensure the key is free for someone else now.
	bob := mustCreate(t, db, "bob", "Bob Byte", "bob@example.com")
	if _, err := db.AddKey(local, bob.ID, line); err != nil {
		t.Fatal(err)
	}
}

func TestNormalizeFingerprint(t *testing.T) {
	for in, want := range map[string]string{
		"SHA256:abc":   "SHA256:abc",
		"sha256:abc":   "SHA256:abc",
		" abc ":        "SHA256:abc",
		"SHA256:":      "SHA256:",
		"SHA256:a+b/c": "SHA256:a+b/c",
	} {
		if got := NormalizeFingerprint(in); got != want {
			t.Errorf("NormalizeFingerprint(%q) = %q, want %q", in, got, want)
		}
	}
}

// Ensure the attack of issue 13 (break 10) fails: a member can neither
// squat a key that belongs to no one yet (the real holder would be locked
// out) nor learn whether someone holds a key: the refusal is the same for
// a free key and a taken one, and says nobody's name.
func TestKeySquattingAndOracle(t *testing.T) {
	c := newPowerCast(t)
	free, _ := newTestKey(t, "free")
	taken, _ := newTestKey(t, "taken")
	if _, err := c.db.AddKey(local, c.olga.ID, taken); err != nil {
		t.Fatal(err)
	}
	before := contentSnapshot(t, c.db)
	_, errFree := c.db.AddKey(c.memb, c.mia.ID, free)
	_, errTaken := c.db.AddKey(c.memb, c.mia.ID, taken)
	wantForbidden(t, "squat a free key", errFree, "an owner or admin adds a key for you")
	if roster.ErrorCode(errTaken) != roster.EFORBIDDEN || errTaken.Error() != errFree.Error() {
		t.Fatalf("a taken key is refused otherwise (%v) than a free one (%v)", errTaken, errFree)
	}
	if strings.Contains(errTaken.Error(), "olga") {
		t.Fatal("the refusal names the key's holder")
	}
	if after := contentSnapshot(t, c.db); after != before {
		t.Fatal("a refused key changed the file")
	}
	// The free key is still free for its real holder, added by an admin.
	if _, err := c.db.AddKey(c.admin, c.max.ID, free); err != nil {
		t.Fatalf("the real holder's key: %v", err)
	}
	// Those who may add a key learn only that it is taken, not by whom.
	_, err := c.db.AddKey(c.admin, c.mia.ID, taken)
	wantErr(t, err, roster.ECONFLICT, "key")
	if strings.Contains(err.Error(), "olga") {
		t.Fatalf("the conflict names the holder: %v", err)
	}
}
