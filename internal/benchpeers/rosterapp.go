package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// rosterApp is the built roster binary and a database of its own, for the
// rows that run roster as a person does (check, backup, the terminal app).
type rosterApp struct {
	dir   string
	bin   string   // the roster binary, built from this module
	db    string   // the database, a copy this program owns
	env   []string // for every child: a home and XDG folders of its own
	users int      // in the database
}

// newRosterApp builds roster into dir and gives it a database: a copy of
// o.db when given (that file is only read), else `roster demo` of o.users.
func newRosterApp(dir string, o options) (*rosterApp, error) {
	a := &rosterApp{dir: dir, bin: filepath.Join(dir, "roster"), db: filepath.Join(dir, "roster.db")}
	home := filepath.Join(dir, "home")
	for _, d := range []string{home, filepath.Join(home, "config"), filepath.Join(home, "data")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	a.env = isolatedEnv(home)
	root, err := goOutput("", "list", "-m", "-f", "{{.Dir}}")
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "building roster…")
	if _, err := goOutput(root, "build", "-o", a.bin, "./cmd/roster"); err != nil {
		return nil, err
	}
	if o.db != "" {
		fmt.Fprintf(os.Stderr, "copying %s…\n", o.db)
		if err := copyFile(o.db, a.db); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintf(os.Stderr, "roster demo --users %d…\n", o.users)
		start := time.Now()
		if out, err := a.command("demo", "--users", strconv.Itoa(o.users)).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("roster demo: %v\n%s", err, out)
		}
		fmt.Fprintf(os.Stderr, "  took %s\n", time.Since(start).Round(time.Second))
		a.users = o.users
	}
	return a, nil
}

// command is roster with its database and environment.
func (a *rosterApp) command(args ...string) *exec.Cmd {
	cmd := exec.Command(a.bin, append([]string{"--db", a.db}, args...)...)
	cmd.Env = a.env
	return cmd
}

// isolatedEnv is this process's environment without roster's settings
// (ROSTER_*), with home and XDG folders under home: the children read no
// configuration of the machine's and write none.
func isolatedEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "ROSTER_"), strings.HasPrefix(name, "XDG_"), name == "HOME", name == "TMUX", name == "TERM":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "TERM=xterm-256color")
}

// goOutput runs the go command in dir ("" for the working folder) and
// returns its trimmed output.
func goOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// copyFile copies src to a new file dst (0600) and syncs it. src is
// opened read-only and never changed.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
