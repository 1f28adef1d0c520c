package ldap

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/roster-dev/roster/internal/e2e"
	"github.com/roster-dev/roster/store"
	gossh "golang.org/x/crypto/ssh"
)

// The tests in this file make Roster's directory the account source of a
// Linux machine with the name-service daemons offices use, nslcd and SSSD,
// and ask glibc (getent, id) and sss_ssh_authorizedkeys what they see.
// Each daemon runs in a private mount namespace (unshare -m) in which its
// own config, nsswitch.conf and a fresh /run hide the machine's: the
// machine's name service is never touched, and nscd (whose socket lives
// in /run) is out of the way.

// needNamespaces skips (or on CI fails) a test that cannot make a mount
// namespace: that takes root.
func needNamespaces(t *testing.T) {
	t.Helper()
	e2e.NeedAll(t, "Debian package util-linux", "unshare", "nsenter")
	e2e.Need(t, "Debian package libc-bin", "getent")
	if os.Geteuid() != 0 {
		if e2e.Required() {
			t.Fatal("the name-service tests need root for unshare -m; ROSTER_E2E=require makes this a failure")
		}
		t.Skip("the name-service tests need root for unshare -m")
	}
}

// needNSSModule is e2e.Need for an NSS module (libnss_NAME.so.2), in the
// library folder of whatever architecture the machine has.
func needNSSModule(t *testing.T, hint, name string) {
	t.Helper()
	file := "libnss_" + name + ".so.2"
	for _, pattern := range []string{"/usr/lib/*/" + file, "/lib/*/" + file, "/usr/lib64/" + file, "/usr/lib/" + file} {
		if found, _ := filepath.Glob(pattern); len(found) > 0 {
			return
		}
	}
	if e2e.Required() {
		t.Fatalf("%s missing (%s); ROSTER_E2E=require makes this a failure", file, hint)
	}
	t.Skipf("%s missing (%s; .ci/run installs it)", file, hint)
}

// nssFixture is the fixture directory served over StartTLS on loopback,
// with the CA file and the settings the configs in testdata/nss need.
type nssFixture struct {
	dir  string            // files for the namespace: configs and the CA
	keys map[string]string // authorized_keys line by username
	tls  *tls.Config       // the server's certificate, for slapd too
	addr string            // Roster's directory
	vars *strings.Replacer
}

// startNSSFixture serves the fixture, where the users named by withKeys
// have an SSH key each.
func startNSSFixture(t *testing.T, withKeys ...string) *nssFixture {
	t.Helper()
	db := fixture(t)
	keys := map[string]string{}
	for _, name := range withKeys {
		keys[name] = addTestKey(t, db, name)
	}
	serverTLS, _ := testCert(t)
	_, addr := startServer(t, db, Config{TLS: serverTLS})
	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: serverTLS.Certificates[0].Certificate[0]})
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	return &nssFixture{dir: dir, keys: keys, tls: serverTLS, addr: addr}
}

// eachDirectory runs check against Roster's directory, then against
// OpenLDAP's slapd holding the same entries (nss_slapd_test.go): what the
// machines see should not differ.
func (f *nssFixture) eachDirectory(t *testing.T, check func(t *testing.T)) {
	t.Run("roster", func(t *testing.T) {
		f.use("ldap://"+f.addr, userDN("svc"), testPasswords["svc"])
		check(t)
	})
	t.Run("slapd", func(t *testing.T) {
		f.use(startSlapdCopy(t, f))
		check(t)
	})
}

// use points the configs at a directory.
func (f *nssFixture) use(uri, bindDN, bindPW string) {
	f.vars = strings.NewReplacer(
		"{{URI}}", uri,
		"{{BASE}}", testBase,
		"{{BINDDN}}", bindDN,
		"{{BINDPW}}", bindPW,
		// The daemons read the CA inside the namespace, where the test's
		// folder (0700) may be out of their reach: the script copies it.
		"{{CACERT}}", "/run/roster-test/ca.pem",
	)
}

// addTestKey gives the user a new SSH key and returns its authorized_keys line.
func addTestKey(t *testing.T, db *store.DB, username string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sp))) + " " + username + "@laptop"
	u, err := db.FindUser(local, username)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddKey(local, u.ID, line); err != nil {
		t.Fatal(err)
	}
	return line
}

// render fills in testdata/nss/name and writes it to the fixture's folder.
func (f *nssFixture) render(t *testing.T, name string) string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "nss", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(f.dir, name)
	if err := os.WriteFile(path, []byte(f.vars.Replace(string(text))), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// namespace is a daemon running in its own mount namespace.
type namespace struct {
	cmd *exec.Cmd
	log *syncBuffer
}

// startNamespace runs script with sh in a new mount namespace; the script
// sets the namespace up and ends by exec'ing the daemon ($DAEMON), which
// stays in the foreground. The daemon is stopped when the test ends.
func startNamespace(t *testing.T, dir, daemon, script string) *namespace {
	t.Helper()
	machine, err := os.ReadFile("/etc/nsswitch.conf")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-euc", script)
	cmd.Env = append(os.Environ(), "DIR="+dir, "DAEMON="+daemon)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	ns := &namespace{cmd: cmd, log: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = ns.log, ns.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The daemon and the helpers it forked: its process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
		if now, err := os.ReadFile("/etc/nsswitch.conf"); err != nil || !bytes.Equal(now, machine) {
			t.Errorf("the machine's /etc/nsswitch.conf changed (%v)", err)
		}
		if t.Failed() {
			t.Logf("daemon output:\n%s", ns.log.String())
		}
	})
	return ns
}

// run runs a command inside the namespace.
func (ns *namespace) run(args ...string) (string, error) {
	nsArgs := append([]string{"--mount=/proc/" + strconv.Itoa(ns.cmd.Process.Pid) + "/ns/mnt", "--"}, args...)
	out, err := exec.Command("nsenter", nsArgs...).CombinedOutput()
	return string(out), err
}

// mustRun runs a command inside the namespace and fails the test unless it
// succeeds with exactly want (trailing newline trimmed).
func (ns *namespace) mustRun(t *testing.T, want string, args ...string) {
	t.Helper()
	out, err := ns.run(args...)
	if err != nil || strings.TrimRight(out, "\n") != want {
		t.Errorf("%s: %v\n got %q\nwant %q", strings.Join(args, " "), err, strings.TrimRight(out, "\n"), want)
	}
}

// mustMiss fails the test unless getent finds nothing (exit status 2).
func (ns *namespace) mustMiss(t *testing.T, args ...string) {
	t.Helper()
	out, err := ns.run(args...)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("%s: %v %q, want exit status 2 (not found)", strings.Join(args, " "), err, out)
	}
}

// The fixture as passwd and group lines: uids from 10000 in creation order
// (svc, ada, bob, carl, pen, dis, nopw), gids from 10000 (directory-readers,
// staff, Admins), everyone's primary group gid 100, the machines' "users".
// The password field is "*": the directory serves no userPassword, and
// machines check passwords with a bind (pam_ldap, pam_sss), never a hash.
// Debian's /etc/group has a "staff" of its own (gid 50), which "files"
// finds first: Roster's staff is asked for by number.
const (
	adaPasswd  = "ada:*:10001:100:Ada King Lovelace:/home/ada:/bin/bash"
	bobPasswd  = "bob:*:10002:100:Bob Builder:/home/bob:/bin/bash"
	staffGroup = "staff:*:10001:ada,bob"
	adaID      = "uid=10001(ada) gid=100(users) groups=100(users),10001(staff),10002(Admins)"
)

// TestNSLCD makes Roster the account source through nslcd (libnss-ldapd):
// getent passwd and group by name and number, id, and nothing for users
// the directory does not show.
func TestNSLCD(t *testing.T) {
	needNamespaces(t)
	nslcd := e2e.Need(t, "Debian package nslcd", "nslcd", "/usr/sbin/nslcd")
	needNSSModule(t, "Debian package libnss-ldapd", "ldap")
	f := startNSSFixture(t)
	f.eachDirectory(t, func(t *testing.T) { checkNSLCD(t, f, nslcd) })
}

func checkNSLCD(t *testing.T, f *nssFixture, nslcd string) {
	f.render(t, "nslcd.conf")
	f.render(t, "nsswitch-nslcd.conf")
	ns := startNamespace(t, f.dir, nslcd, `
		mount -t tmpfs -o mode=0755 roster-test /run
		mkdir -p /run/nslcd /run/roster-test
		chown nslcd:nslcd /run/nslcd
		install -m 0644 "$DIR/ca.pem" /run/roster-test/ca.pem
		install -m 0640 -g nslcd "$DIR/nslcd.conf" /run/roster-test/nslcd.conf
		mount --bind /run/roster-test/nslcd.conf /etc/nslcd.conf
		mount --bind "$DIR/nsswitch-nslcd.conf" /etc/nsswitch.conf
		exec "$DAEMON" -d`)
	waitFor(t, "nslcd's socket", func() bool {
		_, err := ns.run("test", "-S", "/run/nslcd/socket")
		return err == nil
	})

	ns.mustRun(t, adaPasswd, "getent", "passwd", "ada")
	ns.mustRun(t, bobPasswd, "getent", "passwd", "10002")
	ns.mustRun(t, staffGroup, "getent", "group", "10001")
	ns.mustRun(t, "Admins:*:10002:ada", "getent", "group", "Admins")
	ns.mustRun(t, adaID, "id", "ada")
	ns.mustMiss(t, "getent", "passwd", "dis") // Disabled
	ns.mustMiss(t, "getent", "passwd", "pen") // Pending
	ns.mustMiss(t, "getent", "passwd", "nobody-here")
	if strings.Contains(ns.log.String(), "uidNumber: missing") {
		t.Error("nslcd rejected an entry for a missing uidNumber")
	}
}

// TestSSSD makes Roster the account source through SSSD: getent and id as
// for nslcd, and sss_ssh_authorizedkeys giving sshd a user's keys.
func TestSSSD(t *testing.T) {
	needNamespaces(t)
	sssd := e2e.Need(t, "Debian package sssd-ldap", "sssd", "/usr/sbin/sssd")
	e2e.Need(t, "Debian package sssd-tools", "sss_ssh_authorizedkeys")
	needNSSModule(t, "Debian package libnss-sss", "sss")
	f := startNSSFixture(t, "ada")
	f.eachDirectory(t, func(t *testing.T) { checkSSSD(t, f, sssd) })
}

func checkSSSD(t *testing.T, f *nssFixture, sssd string) {
	f.render(t, "sssd.conf")
	f.render(t, "nsswitch-sssd.conf")
	ns := startNamespace(t, f.dir, sssd, `
		mount -t tmpfs -o mode=0755 roster-test /run
		mkdir -p /run/roster-test
		install -m 0644 "$DIR/ca.pem" /run/roster-test/ca.pem
		mount -t tmpfs -o mode=0755 roster-test /var/lib/sss
		mkdir -p /var/lib/sss/db /var/lib/sss/pipes/private /var/lib/sss/mc /var/lib/sss/pubconf \
			/var/lib/sss/gpo_cache /var/lib/sss/keytabs /var/lib/sss/deskprofile /var/lib/sss/secrets
		mount -t tmpfs -o mode=0711 roster-test /etc/sssd
		mkdir /etc/sssd/conf.d
		install -m 0600 "$DIR/sssd.conf" /etc/sssd/sssd.conf
		mount --bind "$DIR/nsswitch-sssd.conf" /etc/nsswitch.conf
		exec "$DAEMON" -i --logger=stderr -d 3`)
	// SSSD starts its responders one after another and may answer "not
	// found" until its LDAP back end is online: wait for the first answer.
	waitFor(t, "SSSD to answer for ada", func() bool {
		out, err := ns.run("getent", "passwd", "ada")
		return err == nil && strings.TrimSpace(out) == adaPasswd
	})
	ns.mustRun(t, bobPasswd, "getent", "passwd", "10002")
	ns.mustRun(t, staffGroup, "getent", "group", "10001")
	ns.mustRun(t, "Admins:*:10002:ada", "getent", "group", "Admins")
	ns.mustRun(t, adaID, "id", "ada")
	ns.mustMiss(t, "getent", "passwd", "dis")
	ns.mustMiss(t, "getent", "passwd", "pen")
	ns.mustRun(t, f.keys["ada"], "sss_ssh_authorizedkeys", "ada")
	ns.mustRun(t, "", "sss_ssh_authorizedkeys", "bob") // no keys
}
