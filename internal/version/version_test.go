package version

import (
	"runtime"
	"strings"
	"testing"
)

// Ensure the link-time values win and the Go version is always named.
func TestInfo(t *testing.T) {
	old := [3]string{Version, Commit, Date}
	t.Cleanup(func() { Version, Commit, Date = old[0], old[1], old[2] })
	Version, Commit, Date = "v1.2.3", "0123456789abcdef0123", "2026-12-05T04:00:00Z"
	b := Info()
	if b.Version != "v1.2.3" || b.Commit != Commit || b.Date != Date || b.GoVersion != runtime.Version() {
		t.Fatalf("Info() = %+v", b)
	}
	s := b.String()
	for _, want := range []string{"roster v1.2.3", "commit 0123456789ab", "built 2026-12-05T04:00:00Z", runtime.Version()} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
}

// Ensure a build without stamps still says something for each field.
func TestInfoUnstamped(t *testing.T) {
	old := [3]string{Version, Commit, Date}
	t.Cleanup(func() { Version, Commit, Date = old[0], old[1], old[2] })
	Version, Commit, Date = "", "", ""
	b := Info()
	if b.Version == "" || b.Commit == "" || b.Date == "" {
		t.Fatalf("Info() = %+v", b)
	}
}
