package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Ensure --version names the version, commit, build date and Go version,
// and opens no database.
func TestVersionFlag(t *testing.T) {
	t.Setenv("ROSTER_DB", filepath.Join(t.TempDir(), "none", "roster.db"))
	code, out, errOut := cli(t, "", "--version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"roster ", "commit ", "built ", runtime.Version()} {
		if !strings.Contains(out, want) {
			t.Errorf("--version %q lacks %q", out, want)
		}
	}
	if _, err := os.Stat(filepath.Dir(os.Getenv("ROSTER_DB"))); err == nil {
		t.Error("--version created the database folder")
	}
}

// Ensure the Makefile's -ldflags reach the binary.
func TestVersionStamped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "roster")
	pkg := "github.com/roster-dev/roster/internal/version"
	build := exec.Command("go", "build", "-ldflags",
		"-X "+pkg+".Version=v9.8.7-test -X "+pkg+".Commit=feedface -X "+pkg+".Date=2026-12-05T00:00:00Z", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "roster v9.8.7-test (commit feedface, built 2026-12-05T00:00:00Z, " + runtime.Version() + ")\n"
	if string(out) != want {
		t.Fatalf("--version = %q, want %q", out, want)
	}
}
