package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bbolt's own consistency check trusts the page structure it checks: a
// crafted file (a backup with 20 bytes changed and its checksum made
// again) sends it reading past the mapped file, and the process dies of
// SIGSEGV, which no recover catches. So the check runs in a child process
// of the same binary: any binary that links this package turns into the
// checker when started with checkChildEnv naming a file (see init). A
// child that dies is a file refused, with the reason.

// checkChildEnv names the file a child process checks.
const checkChildEnv = "ROSTER_INTERNAL_BBOLT_CHECK"

// checkChildAllEnv, set to 1, makes the child check Roster's invariants
// too, beside bbolt's check: a crafted file that gets past bbolt's check
// can still crash a reader, and in the child that is a refusal too.
const checkChildAllEnv = "ROSTER_INTERNAL_CHECK_ALL"

// checkChildTimeout bounds one check; a crafted file may also loop.
const checkChildTimeout = 10 * time.Minute

func init() {
	if path := os.Getenv(checkChildEnv); path != "" {
		os.Exit(runCheckChild(path, os.Getenv(checkChildAllEnv) == "1"))
	}
}

// runCheckChild is the child: it prints each problem on a line of its own,
// "B " and bbolt's words or "R " and Roster's, then "N users groups" when
// Roster's check counted them, and exits 0, or 3 when it
// cannot open the file. With all, Roster's invariants run beside bbolt's
// check, each on a handle of its own (two cores, half the time; bbolt
// loads a read-only handle's freelist lazily inside Check, unguarded
// against another transaction on the same handle); they are printed only when bbolt's check found nothing, since on
// a file whose pages do not hold together they say nothing useful.
func runCheckChild(path string, all bool) int {
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: LockTimeout, ReadOnly: true})
	if err != nil {
		fmt.Fprintf(os.Stdout, "B open: %v\n", err)
		return 3
	}
	defer bdb.Close()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	var boltLines, rosterLines []string
	var boltErr, rosterErr error
	var counts fileCounts
	var wg sync.WaitGroup
	wg.Go(func() {
		boltErr = bdb.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				boltLines = append(boltLines, strings.ReplaceAll(err.Error(), "\n", " "))
			}
			return nil
		})
	})
	if all {
		wg.Go(func() {
			other, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: LockTimeout, ReadOnly: true})
			if err != nil {
				rosterErr = err
				return
			}
			defer other.Close()
			rosterErr = other.View(func(tx *bolt.Tx) error {
				rosterLines, counts = checkInvariantsTx(tx)
				return nil
			})
		})
	}
	wg.Wait()
	for _, line := range boltLines {
		fmt.Fprintf(out, "B %s\n", line)
	}
	if boltErr != nil {
		fmt.Fprintf(out, "B %v\n", boltErr)
	}
	if len(boltLines) > 0 || boltErr != nil {
		return 0
	}
	for _, line := range rosterLines {
		fmt.Fprintf(out, "R %s\n", strings.ReplaceAll(line, "\n", " "))
	}
	if rosterErr != nil {
		fmt.Fprintf(out, "R %v\n", rosterErr)
	} else if all {
		fmt.Fprintf(out, "N %d %d\n", counts.Users, counts.Groups)
	}
	return 0
}

// errCheckCrashed marks a file on which bbolt's check died.
var errCheckCrashed = errors.New("bbolt's check crashed on this file")

// boltCheck runs bbolt's check of the file at path in a child process and
// returns its problems; a crash of the child is one problem wrapping
// errCheckCrashed, naming the signal or the first line of the crash.
func boltCheck(path string) []error {
	problems, _ := childCheck(path, false)
	return problems
}

// childCheck runs bbolt's check, and with all Roster's invariants, in a
// child process; with all, it also returns the users and groups counted.
func childCheck(path string, all bool) ([]error, fileCounts) {
	var counts fileCounts
	exe, err := os.Executable()
	if err != nil {
		return []error{fmt.Errorf("cannot run the check in a child process: %w", err)}, counts
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkChildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), checkChildEnv+"="+path)
	if all {
		cmd.Env = append(cmd.Env, checkChildAllEnv+"=1")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &limitedBuffer{max: 4096, b: &stderr}
	err = cmd.Run()
	var problems []error
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line == "" || len(problems) >= 100 {
			continue
		}
		switch kind, text, _ := strings.Cut(line, " "); kind {
		case "N":
			if _, err := fmt.Sscan(text, &counts.Users, &counts.Groups); err != nil {
				problems = append(problems, fmt.Errorf("the check's counts %q: %w", text, err))
			}
		case "R":
			problems = append(problems, errors.New(text))
		default:
			problems = append(problems, fmt.Errorf("bbolt: %s", text))
		}
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return problems, counts
	case errors.As(err, &exit) && exit.ExitCode() == 3:
		return problems, counts // could not open: the line says why
	case errors.As(err, &exit):
		why := exit.String()
		if first, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n"); first != "" {
			why += ": " + first
		}
		return append(problems, fmt.Errorf("%w (%s): the file is damaged or made to harm", errCheckCrashed, why)), counts
	}
	return append(problems, fmt.Errorf("run the check: %w", err)), counts
}

// limitedBuffer keeps the first max bytes written to it (a crash's stack
// trace can be long; its first line says enough).
type limitedBuffer struct {
	max int
	b   *bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
