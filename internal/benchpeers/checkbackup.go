package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// timing is one run of child processes: wall clock from the first start
// to the last exit, and their CPU time (user and system, from the kernel's
// accounting at exit, so including any child they waited for).
type timing struct{ wall, cpu time.Duration }

// timeCommands runs cmds one after the other and fails on the first that
// fails.
func timeCommands(cmds ...*exec.Cmd) (timing, error) {
	var t timing
	start := time.Now()
	for _, c := range cmds {
		out, err := c.CombinedOutput()
		if err != nil {
			return t, fmt.Errorf("%s: %v\n%s", strings.Join(c.Args, " "), err, out)
		}
		t.cpu += c.ProcessState.UserTime() + c.ProcessState.SystemTime()
	}
	t.wall = time.Since(start)
	return t, nil
}

// bboltBinary builds the bbolt command-line tool of the bbolt version
// go.mod requires into dir and returns its path and the version.
func bboltBinary(dir string) (string, string, error) {
	mod, err := goOutput("", "list", "-m", "-f", "{{.Dir}}|{{.Version}}", "go.etcd.io/bbolt")
	if err != nil {
		return "", "", err
	}
	modDir, version, _ := strings.Cut(mod, "|")
	bin := filepath.Join(dir, "bbolt")
	fmt.Fprintf(os.Stderr, "building bbolt %s…\n", version)
	if modDir != "" {
		// The module is in the cache: build its command there.
		if _, err := goOutput(modDir, "build", "-o", bin, "./cmd/bbolt"); err == nil {
			return bin, version, nil
		}
	}
	install := exec.Command("go", "install", "go.etcd.io/bbolt/cmd/bbolt@"+version)
	install.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := install.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go install bbolt@%s: %v\n%s", version, err, out)
	}
	return bin, version, nil
}

// checkBackupRows: `roster check` against `bbolt check` of the same file,
// and `roster backup FILE` against cp and sync of the same file, wall
// clock and CPU, alternated.
func (a *rosterApp) checkBackupRows(o options) ([]row, error) {
	bbolt, version, err := bboltBinary(a.dir)
	if err != nil {
		return nil, err
	}
	run := func(name string, cmds func() []*exec.Cmd, clean func()) (func() (float64, error), *[]timing) {
		var ts []timing
		return func() (float64, error) {
			t, err := timeCommands(cmds()...)
			if clean != nil {
				clean()
			}
			if err != nil {
				return 0, fmt.Errorf("%s: %w", name, err)
			}
			ts = append(ts, t)
			return t.wall.Seconds(), nil
		}, &ts
	}
	backupFile, cpTarget := filepath.Join(a.dir, "backup.db"), filepath.Join(a.dir, "copy.db")
	rosterCheck, rc := run("roster check", func() []*exec.Cmd { return []*exec.Cmd{a.command("check")} }, nil)
	bboltCheck, bc := run("bbolt check", func() []*exec.Cmd { return []*exec.Cmd{exec.Command(bbolt, "check", a.db)} }, nil)
	rosterBackup, rb := run("roster backup", func() []*exec.Cmd { return []*exec.Cmd{a.command("backup", backupFile)} },
		func() { os.Remove(backupFile) })
	cpSync, cs := run("cp and sync", func() []*exec.Cmd {
		return []*exec.Cmd{exec.Command("cp", a.db, cpTarget), exec.Command("sync", cpTarget)}
	}, func() { os.Remove(cpTarget) })

	fmt.Fprintln(os.Stderr, "roster check and bbolt check, alternately…")
	if _, _, _, err := pairs(o.rounds, rosterCheck, bboltCheck); err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "roster backup and cp + sync, alternately…")
	if _, _, _, err := pairs(o.rounds, rosterBackup, cpSync); err != nil {
		return nil, err
	}
	users := ""
	if a.users > 0 {
		users = ", " + comma(float64(a.users)) + " users"
	}
	size := ""
	if st, err := os.Stat(a.db); err == nil {
		size = fmt.Sprintf(" (%s MB file%s)", comma(float64(st.Size()>>20)), users)
	}
	return []row{
		timingRow("`roster check`"+size, "wall clock", *rc, "`bbolt check` "+version, *bc),
		timingRow("`roster check`", "CPU", *rc, "`bbolt check`", *bc),
		timingRow("`roster backup FILE`", "wall clock", *rb, "`cp` + `sync FILE`", *cs),
		timingRow("`roster backup FILE`", "CPU", *rb, "`cp` + `sync FILE`", *cs),
	}, nil
}

// timingRow compares the wall clock or the CPU of two alternated series:
// their medians and the median of the rounds' ratios.
func timingRow(workload, what string, r []timing, anchor string, a []timing) row {
	pick := func(t timing) float64 {
		if what == "CPU" {
			return t.cpu.Seconds()
		}
		return t.wall.Seconds()
	}
	var rs, as, ratios []float64
	for i := range r {
		rs, as = append(rs, pick(r[i])), append(as, pick(a[i]))
		if pick(a[i]) > 0 {
			ratios = append(ratios, pick(r[i])/pick(a[i]))
		}
	}
	return row{workload: workload + ", " + what, roster: fmt.Sprintf("%.2f s", median(rs)),
		anchor: fmt.Sprintf("%s %.2f s", anchor, median(as)), ratio: median(ratios), note: "lower is better", target: "≤ 5 at 1M"}
}
