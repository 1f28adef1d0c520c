package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

func newPubKeyLine(t *testing.T, comment string) (string, string) {
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

// Ensure keys are added from a file or stdin, listed as a table and JSON,
// and removed by fingerprint with or without "SHA256:".
func TestUsersKeys(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com", "--role", "owner")
	line1, fp1 := newPubKeyLine(t, "ada@laptop")
	line2, fp2 := newPubKeyLine(t, "ada@phone")
	file := filepath.Join(t.TempDir(), "id_ed25519.pub")
	if err := os.WriteFile(file, []byte(line1+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	if out := cliOK(t, db, "users", "keys", "add", "ADA", file); !strings.Contains(out, "added key "+fp1+" (ssh-ed25519, ada@laptop) to ada") {
		t.Errorf("add: %q", out)
	}
	code, out, errOut := cli(t, line2, "--db", db, "users", "keys", "add", "ada", "-")
	if code != 0 || !strings.Contains(out, fp2) {
		t.Fatalf("add from stdin: %d %q %q", code, out, errOut)
	}

	out = cliOK(t, db, "users", "keys", "list", "ada")
	if !strings.Contains(out, "FINGERPRINT") || !strings.Contains(out, fp1) || !strings.Contains(out, "ada@phone") || !strings.Contains(out, "never") {
		t.Errorf("list: %q", out)
	}
	var keys []keyRecord
	if err := json.Unmarshal([]byte(cliOK(t, db, "users", "keys", "list", "ada", "--json")), &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].Fingerprint != fp1 || keys[0].Key != line1 || keys[1].Comment != "ada@phone" || keys[0].LastUsed != nil {
		t.Errorf("list --json: %+v", keys)
	}

	cliFail(t, db, 1, []string{"ada already has this key"}, "users", "keys", "add", "ada", file)
	cliFail(t, db, 1, []string{"no user"}, "users", "keys", "add", "nobody", file)
	cliFail(t, db, 1, []string{"read key"}, "users", "keys", "add", "ada", filepath.Join(t.TempDir(), "missing.pub"))
	cliFail(t, db, 2, []string{"needs 2 argument"}, "users", "keys", "add", "ada")

	if out := cliOK(t, db, "users", "keys", "remove", "ada", strings.TrimPrefix(fp1, "SHA256:")); !strings.Contains(out, "removed key "+fp1) {
		t.Errorf("remove: %q", out)
	}
	cliFail(t, db, 1, []string{"ada has no key " + fp1}, "users", "keys", "remove", "ada", fp1)
	if out := cliOK(t, db, "users", "keys", "list", "ada"); strings.Contains(out, fp1) || !strings.Contains(out, fp2) {
		t.Errorf("list after remove: %q", out)
	}
	if out := cliOK(t, db, "audit", "--search", "key."); !strings.Contains(out, "key.remove") || !strings.Contains(out, "os:") {
		t.Errorf("audit: %q", out)
	}
}

// Ensure a private key given by mistake is refused without being echoed.
func TestUsersKeysRefusesPrivateKey(t *testing.T) {
	db := tempDB(t)
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com")
	secret := "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0c2VjcmV0\n-----END OPENSSH PRIVATE KEY-----\n"
	code, out, errOut := cli(t, secret, "--db", db, "users", "keys", "add", "ada", "-")
	if code != 1 || !strings.Contains(errOut, "this is a private key") || strings.Contains(out+errOut, "c2Vj") {
		t.Errorf("exit %d stdout %q stderr %q", code, out, errOut)
	}
}
