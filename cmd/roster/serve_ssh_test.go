package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

var sshListeningRE = regexp.MustCompile(`ssh listening.* addr=(127\.0\.0\.1:\d+).* fingerprint=(SHA256:\S+)`)

// Ensure `roster serve --ssh` makes the host key next to the database,
// prints its fingerprint, lets a user with a registered key in, refuses
// others, and stops cleanly when told to.
func TestServeSSH(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no stray config.toml
	db := filepath.Join(t.TempDir(), "data", "roster.db")
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com", "--role", "owner")
	cliOK(t, db, "users", "activate", "ada")
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, string(gossh.MarshalAuthorizedKey(signer.PublicKey())), "--db", db, "users", "keys", "add", "ada", "-")
	if code != 0 {
		t.Fatalf("keys add: %d %s %s", code, out, errOut)
	}

	cliFail(t, db, 2, []string{"--ssh-max-sessions must be at least 1"}, "serve", "--http", "", "--ssh", "127.0.0.1:0", "--ssh-max-sessions", "0")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &webLog{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--db", db, "serve", "--http", "", "--ssh", "127.0.0.1:0", "--ssh-idle-timeout", "5m"},
			strings.NewReader(""), io.Discard, logs)
	}()
	var addr, fingerprint string
	for deadline := time.Now().Add(30 * time.Second); addr == ""; {
		if m := sshListeningRE.FindStringSubmatch(logs.String()); m != nil {
			addr, fingerprint = m[1], m[2]
		} else if time.Now().After(deadline) {
			t.Fatalf("the SSH server did not start:\n%s", logs.String())
		} else {
			time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
		}
	}
	keyFile := filepath.Join(filepath.Dir(db), "ssh_host_ed25519_key")
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("host key: %v %v", fi, err)
	}

	dial := func(name string, s gossh.Signer) (*gossh.Client, error) {
		var seen string
		c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
			User: name, Auth: []gossh.AuthMethod{gossh.PublicKeys(s)}, Timeout: 30 * time.Second,
			HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
				seen = gossh.FingerprintSHA256(key)
				return nil
			},
		})
		if err == nil && seen != fingerprint {
			t.Errorf("host key %s, but serve printed %s", seen, fingerprint)
		}
		return c, err
	}
	c, err := dial("ada", signer)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	c.Close()
	if c, err := dial("bob", signer); err == nil {
		c.Close()
		t.Error("ada's key signed in as bob")
	}

	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d:\n%s", code, logs.String())
	}
	if out := cliOK(t, db, "audit", "--user", "ada"); !strings.Contains(out, "user.login") || !strings.Contains(out, "user.login.refused") {
		t.Errorf("sign-ins not audited:\n%s", out)
	}
}

// Ensure the per-user session cap comes from the flag, else the
// configuration file, else the default, and a value below 1 is refused.
func TestServeSSHMaxSessionsPerUser(t *testing.T) {
	cfgHome := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfgHome)
	db := filepath.Join(t.TempDir(), "roster.db")
	cliOK(t, db, "users", "add", "--username", "ada", "--name", "Ada", "--email", "ada@example.com", "--role", "owner")
	cliFail(t, db, 2, []string{"--ssh-max-sessions-per-user must be at least 1"},
		"serve", "--http", "", "--ssh", "127.0.0.1:0", "--ssh-max-sessions-per-user", "0")

	// started returns the cap the server logs on start.
	started := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		logs := &webLog{}
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, append([]string{"--db", db, "serve", "--http", "", "--ssh", "127.0.0.1:0"}, args...),
				strings.NewReader(""), io.Discard, logs)
		}()
		re := regexp.MustCompile(`ssh listening.* max_sessions_per_user=(\d+)`)
		var got string
		for deadline := time.Now().Add(30 * time.Second); got == ""; {
			if m := re.FindStringSubmatch(logs.String()); m != nil {
				got = m[1]
			} else if time.Now().After(deadline) {
				t.Fatalf("the SSH server did not start:\n%s", logs.String())
			} else {
				time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
			}
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d:\n%s", code, logs.String())
		}
		return got
	}
	if got := started(); got != "3" {
		t.Errorf("default cap %s, want 3", got)
	}
	if err := os.MkdirAll(filepath.Join(cfgHome, "roster"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgHome, "roster", "config.toml"), []byte("ssh_max_sessions_per_user = 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := started(); got != "5" {
		t.Errorf("cap from the file %s, want 5", got)
	}
	if got := started("--ssh-max-sessions-per-user", "2"); got != "2" {
		t.Errorf("cap from the flag %s, want 2", got)
	}
}
