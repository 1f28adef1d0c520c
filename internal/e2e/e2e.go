// Package e2e helps the tests that drive real programs (tmux, Chromium,
// OpenSSH, OpenLDAP's tools, slapd, Postfix…). Locally a test skips when its
// program is missing; on CI, where .ci/run sets ROSTER_E2E=require, a missing
// program fails the test, so an end-to-end test never passes by not running.
package e2e

import (
	"os"
	"os/exec"
	"testing"
)

// Required reports whether missing programs fail tests instead of skipping them.
func Required() bool { return os.Getenv("ROSTER_E2E") == "require" }

// Need returns the path of the first of names found on PATH. When none is
// found it skips the test, or fails it when Required; hint says how to
// install it (for example "Debian package ldap-utils").
func Need(t testing.TB, hint string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if Required() {
		t.Fatalf("%v not installed (%s); ROSTER_E2E=require makes this a failure", names, hint)
	}
	t.Skipf("%v not installed (%s; .ci/run installs it)", names, hint)
	return ""
}

// NeedAll is Need for several programs that must all be there.
func NeedAll(t testing.TB, hint string, names ...string) {
	t.Helper()
	for _, name := range names {
		Need(t, hint, name)
	}
}
