// Package version tells which build of Roster is running: the version the
// Makefile stamps with -ldflags (from `git describe`), else the module
// version and VCS facts Go records in every binary's build info.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Version, Commit and Date are set at link time by the Makefile:
//
//	-X github.com/roster-dev/roster/internal/version.Version=v0.3.0-5-gabc1234
//
// Left empty, Info fills them from the build info.
var (
	Version string
	Commit  string
	Date    string
)

// Build describes this binary.
type Build struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go"`
	Modified  bool   `json:"modified,omitempty"`
}

// Info returns this binary's version, commit, build date and Go version.
func Info() Build {
	b := Build{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				if b.Date == "" {
					b.Date = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

// String is the line `roster --version` prints.
func (b Build) String() string {
	commit := b.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if b.Modified && !strings.HasSuffix(commit, "-dirty") {
		commit += "-dirty"
	}
	return fmt.Sprintf("roster %s (commit %s, built %s, %s)", b.Version, commit, b.Date, b.GoVersion)
}
