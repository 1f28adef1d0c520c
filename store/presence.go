package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Roster processes hold no file open between operations, so the database
// file's lock cannot say who is using it. Long-running processes (the
// terminal app, `roster serve`) announce themselves instead, with one file
// each in a folder next to the database:
//
//	roster.db.procs/<pid>-<random>.proc   JSON (Presence), flock'ed exclusively
//
// The lock, not the pid, says whether the process lives: the kernel drops
// it when the process ends however it ends (SIGKILL included), and a reused
// pid does not hold it. Others removes the files of dead processes.

// Presence is a long-running roster process that announced itself.
type Presence struct {
	PID   int       `json:"pid"`
	What  string    `json:"what"` // "roster serve", "the terminal app"
	User  string    `json:"user,omitempty"`
	Host  string    `json:"host,omitempty"`
	Since time.Time `json:"since"`
}

// String names the process for a message: `roster serve (pid 4242, user
// ada, since 2026-11-24 03:30 UTC)`.
func (p Presence) String() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("pid %d", p.PID))
	if p.User != "" {
		parts = append(parts, "user "+p.User)
	}
	if p.Host != "" {
		if h, _ := os.Hostname(); h != p.Host {
			parts = append(parts, "on "+p.Host)
		}
	}
	parts = append(parts, "since "+p.Since.UTC().Format("2006-01-02 15:04 UTC"))
	return fmt.Sprintf("%s (%s)", p.What, strings.Join(parts, ", "))
}

// presenceDir is the folder of announcements for this database.
func (db *DB) presenceDir() string { return db.path + ".procs" }

// Announce records that this process uses the database until release is
// called (or the process ends), so that Others in another process can name
// it: restore refuses to replace a database under a running server or
// terminal app. what says what the process is, such as "roster serve".
// release is safe to call more than once.
func (db *DB) Announce(what string) (release func(), err error) {
	dir := db.presenceDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("announce: %w", err)
	}
	// Lock under a name Others ignores, then rename: Others never sees the
	// file unlocked and takes it for a dead process's.
	f, err := os.CreateTemp(dir, ".new-*")
	if err != nil {
		return nil, fmt.Errorf("announce: %w", err)
	}
	fail := func(err error) (func(), error) {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("announce: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fail(err)
	}
	p := Presence{PID: os.Getpid(), What: what, Since: db.now()}
	p.Host, _ = os.Hostname()
	if u, err := user.Current(); err == nil {
		p.User = u.Username
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	name := filepath.Join(dir, fmt.Sprintf("%d-%s.proc", p.PID, strings.TrimPrefix(filepath.Base(f.Name()), ".new-")))
	if err := os.Rename(f.Name(), name); err != nil {
		return fail(err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			os.Remove(name)
			f.Close() // drops the lock
		})
	}, nil
}

// Others lists the live roster processes other than this one that have
// announced themselves for this database, oldest first. Announcements of
// processes that have ended are removed.
func (db *DB) Others() ([]Presence, error) {
	dir := db.presenceDir()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("list roster processes: %w", err)
	}
	var out []Presence
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".proc") {
			continue
		}
		p, live, err := readPresence(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if live && p.PID != os.Getpid() {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Presence) int { return a.Since.Compare(b.Since) })
	return out, nil
}

// readPresence reads one announcement; live is false (and the file gone)
// when its process has ended.
func readPresence(path string) (p Presence, live bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return p, false, nil // released meanwhile
	} else if err != nil {
		return p, false, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if err == nil {
		// Nobody holds it: its process is gone.
		os.Remove(path)
		return p, false, nil
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		return p, false, fmt.Errorf("lock %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return p, false, fmt.Errorf("read %s: %w", path, err)
	}
	if json.Unmarshal(data, &p) != nil || p.PID == 0 {
		// Held but unreadable: still a live process; name it by its file.
		fmt.Sscanf(filepath.Base(path), "%d-", &p.PID)
		p.What = "a roster process"
	}
	return p, true, nil
}
