package doctor

import (
	"context"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/roster-dev/roster/ldap"
	rostersh "github.com/roster-dev/roster/ssh"
)

// Ensure the directory and SSH checks see Roster's own servers listening,
// a host key readable by others, an LDAP certificate near its end, and
// nothing listening where a server is configured.
func TestDirectoryAndSSH(t *testing.T) {
	s := newSetup(t)
	dir, err := ldap.New(s.cfg.DB, ldap.Config{BaseDN: "dc=example,dc=com"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	lln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = dir.Serve(lln) }()

	keyPath := filepath.Join(t.TempDir(), "ssh_host_ed25519_key")
	sshd, err := rostersh.New(s.cfg.DB, rostersh.Config{HostKeyPath: keyPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sshd.Close() })
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = sshd.Serve(sln) }()

	// A certificate with five days left.
	leaf := newCA(t).leaf(t, 5, "ldap.example.com")
	certFile := filepath.Join(t.TempDir(), "ldap.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}

	s.hosts[lln.Addr().String()] = lln.Addr().String()
	s.hosts[sln.Addr().String()] = sln.Addr().String()
	s.cfg.LDAPAddr, s.cfg.LDAPCert = lln.Addr().String(), certFile
	s.cfg.SSHAddr, s.cfg.HostKeyPath = sln.Addr().String(), keyPath
	r := Run(context.Background(), s.cfg)
	want(t, r, "ldap.listen", Pass, "listening at "+lln.Addr().String())
	want(t, r, "ldap.certificate", Warn, "ldap.example.com", "expires in 4 days")
	want(t, r, "ssh.listen", Pass, "SSH-2.0-")
	want(t, r, "ssh.host-key", Pass, "mode 0600")

	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	s.cfg.LDAPSAddr = "127.0.0.1:1" // configured, but nothing there
	r = Run(context.Background(), s.cfg)
	want(t, r, "ssh.host-key", Fail, "mode 0644", "chmod 600")
	if res := r[len(r)-1]; res.Check != "ssh.host-key" {
		t.Fatalf("last check %s", res.Check)
	}
	failed := false
	for _, res := range r {
		if res.Check == "ldap.listen" && res.Status == Fail {
			failed = true
		}
	}
	if !failed {
		t.Fatalf("nothing at --ldaps passed:\n%s", text(r))
	}
}
