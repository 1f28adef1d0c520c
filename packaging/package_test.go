// Package packaging holds the Debian package's files (nfpm.yaml, the
// maintainer scripts, /etc/default/roster) and the test that builds the
// package with `make package` and installs it.
package packaging

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/e2e"
)

// Ensure `make package` builds a Debian package holding the binary, the
// unit, the man page, the completions and a 0700 database folder; that
// the binary runs from it (--version, doctor); and, as root, that
// apt-get installs it in a scratch root, where `roster serve` runs as the
// roster user without systemd and `roster doctor` passes against it.
func TestDebianPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package")
	}
	e2e.NeedAll(t, "Debian package dpkg", "dpkg-deb", "dpkg")
	e2e.Need(t, "Debian package make", "make")
	dir := t.TempDir()
	stage, out := filepath.Join(dir, "stage"), filepath.Join(dir, "out")
	build := exec.Command("make", "-C", "..", "package", "PKG_STAGE="+stage, "PKG_OUT="+out, "PKG_VERSION=1.2.3+test")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, b)
	}
	debs, _ := filepath.Glob(filepath.Join(out, "roster_1.2.3+test_*.deb"))
	if len(debs) != 1 {
		t.Fatalf("make package made %v", debs)
	}
	deb := debs[0]

	fields := dpkgDeb(t, "-f", deb, "Package", "Version", "Depends")
	for _, want := range []string{"Package: roster", "Version: 1.2.3+test", "Depends: adduser"} {
		if !strings.Contains(fields, want) {
			t.Errorf("control lacks %q:\n%s", want, fields)
		}
	}
	listing := dpkgDeb(t, "-c", deb)
	for _, want := range []string{
		`-rwxr-xr-x root/root .* \./usr/bin/roster\n`,
		`drwx------ root/root .* \./var/lib/roster/\n`,
		`-rw-r--r-- root/root .* \./usr/lib/systemd/system/roster\.service\n`,
		`-rw-r--r-- root/root .* \./usr/share/man/man1/roster\.1\.gz\n`,
		`\./usr/share/bash-completion/completions/roster\n`,
		`\./usr/share/zsh/vendor-completions/_roster\n`,
		`\./usr/share/fish/vendor_completions\.d/roster\.fish\n`,
		`-rw-r----- root/root .* \./etc/default/roster\n`,
	} {
		if !regexp.MustCompile(want).MatchString(listing) {
			t.Errorf("package lacks %s:\n%s", want, listing)
		}
	}

	// The binary and the unit, unpacked without installing.
	root := filepath.Join(dir, "root")
	dpkgDeb(t, "-x", deb, root)
	roster := filepath.Join(root, "usr", "bin", "roster")
	version, err := exec.Command(roster, "--version").Output()
	if err != nil || !strings.HasPrefix(string(version), "roster ") || !strings.Contains(string(version), runtime.Version()) {
		t.Fatalf("roster --version: %q, %v", version, err)
	}
	db := filepath.Join(dir, "db", "roster.db")
	env := append(os.Environ(), "XDG_CONFIG_HOME="+dir, "ROSTER_DB="+db)
	users := exec.Command(roster, "users", "list")
	users.Env = env
	if b, err := users.CombinedOutput(); err != nil {
		t.Fatalf("roster users list: %v\n%s", err, b)
	}
	doctor := exec.Command(roster, "doctor", "--json", "--http", "")
	doctor.Env = env
	b, err := doctor.Output()
	var report struct {
		Checks []struct{ Check, Status string }
	}
	if jerr := json.Unmarshal(b, &report); jerr != nil || len(report.Checks) < 10 {
		t.Fatalf("roster doctor --json: %v %v\n%s", err, jerr, b)
	}
	if c := report.Checks[0]; c.Check != "database.file" || c.Status != "pass" {
		t.Errorf("doctor's first check: %+v", c)
	}
	unit, err := os.ReadFile(filepath.Join(root, "usr", "lib", "systemd", "system", "roster.service"))
	if err != nil || !strings.Contains(string(unit), "ExecStart=/usr/bin/roster serve") ||
		!strings.Contains(string(unit), "EnvironmentFile=-/etc/default/roster") || !strings.Contains(string(unit), "User=roster") {
		t.Errorf("unit: %v\n%s", err, unit)
	}

	t.Run("install", func(t *testing.T) {
		if os.Geteuid() != 0 {
			if e2e.Required() {
				t.Fatal("installing the package needs root (CI runs as root)")
			}
			t.Skip("installing the package needs root")
		}
		e2e.NeedAll(t, "Debian packages util-linux, apt, iproute2", "unshare", "chroot", "setpriv", "apt-get", "ip")
		scratch := filepath.Join(dir, "scratch")
		if err := os.Mkdir(scratch, 0o700); err != nil {
			t.Fatal(err)
		}
		b, err := exec.Command("testdata/scratch-root.sh", scratch, deb).CombinedOutput()
		got := string(b)
		if err != nil {
			t.Fatalf("install in a scratch root: %v\n%s", err, got)
		}
		for _, want := range []string{
			`user: roster:x:\d+:\d+:[^:]*:/var/lib/roster:/usr/sbin/nologin`,
			`dir: 700 roster:roster`,
			`version: roster .*` + regexp.QuoteMeta(runtime.Version()),
			`serve: listening`,
			`doctor exit: 0`,
			`doctor: ✓ site\.answers +this Roster answers at http://127\.0\.0\.1:8080 on this database`,
			`doctor: ✓ database\.file +/var/lib/roster/roster\.db, mode 0600`,
			`serve exit: 0`,
			`db: 600 roster:roster`,
		} {
			if !regexp.MustCompile(want).MatchString(got) {
				t.Errorf("scratch root: no %s in\n%s", want, got)
			}
		}
	})
}

func dpkgDeb(t *testing.T, args ...string) string {
	t.Helper()
	b, err := exec.Command("dpkg-deb", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb %v: %v\n%s", args, err, b)
	}
	return string(b)
}
