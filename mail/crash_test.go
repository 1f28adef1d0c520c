package mail

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// crashHelperEnv carries the database path to the helper process.
const crashHelperEnv = "ROSTER_CRASH_HELPER_DB"

// TestCrashHelper is not a test: it is the process TestCrashResume starts
// (and kills). With ROSTER_CRASH_HELPER_INVITE=1 it invites every pending
// user; either way it sends until no job is pending, then exits.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(crashHelperEnv)
	if path == "" {
		t.Skip("helper process for TestCrashResume")
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(os.Getenv("ROSTER_CRASH_HELPER_SMTP"))
	m, err := New(db, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	if os.Getenv("ROSTER_CRASH_HELPER_INVITE") == "1" {
		users, err := db.ListUsers(admin, roster.UserFilter{Status: roster.StatusPending})
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, u := range users {
			ids = append(ids, u.ID)
		}
		if _, err := m.Invite(admin, ids); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		pending, err := db.OutboxJobs(admin, store.OutboxFilter{Pending: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still pending", len(pending))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Ensure a process sending 2,000 invitations and killed with SIGKILL at a
// random moment loses nothing: a new process finishes the job, every user
// receives a working link, and at most one message per connection is sent
// twice.
func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	const n = 2000
	srv := startServer(t, serverOpts{})
	path := filepath.Join(t.TempDir(), "roster.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	in := make([]roster.NewUser, n)
	for i := range in {
		in[i] = roster.NewUser{Username: fmt.Sprintf("u%04d", i), Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("u%04d@example.com", i)}
	}
	if _, err := db.CreateUsers(admin, in); err != nil {
		t.Fatal(err)
	}
	helper := func(invite string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.v")
		cmd.Env = append(os.Environ(), crashHelperEnv+"="+path, "ROSTER_CRASH_HELPER_SMTP="+srv.addr, "ROSTER_CRASH_HELPER_INVITE="+invite)
		cmd.Stderr = os.Stderr
		return cmd
	}

	// The first process invites and sends until killed at a random point.
	killAt := 1 + rand.IntN(n-100)
	first := helper("1")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for srv.count() < killAt {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("first process sent only %d messages", srv.count())
		}
		time.Sleep(time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	atKill := srv.count()
	t.Logf("killed after %d messages (aimed at %d)", atKill, killAt)
	if atKill >= n {
		t.Fatalf("the first process finished before the kill")
	}

	// A new process finishes the job.
	second := helper("0")
	second.Stdout = os.Stdout
	if err := second.Run(); err != nil {
		t.Fatalf("second process: %v", err)
	}

	perUser := map[string][]received{}
	for _, m := range srv.messages() {
		perUser[m.To] = append(perUser[m.To], m)
	}
	dups := 0
	for i := range n {
		to := fmt.Sprintf("u%04d@example.com", i)
		msgs := perUser[to]
		if len(msgs) == 0 {
			t.Errorf("%s received nothing", to)
			continue
		}
		dups += len(msgs) - 1
		_, text := textPart(t, msgs[len(msgs)-1].Data)
		match := linkRE.FindStringSubmatch(text)
		if match == nil {
			t.Errorf("%s: no link", to)
			continue
		}
		if _, u, err := db.LookupToken(match[1]); err != nil || u.Email != to {
			t.Errorf("%s: link does not work: %v", to, err)
		}
	}
	t.Logf("%d messages for %d users: %d duplicates", srv.count(), n, dups)
	if dups > DefaultConnections {
		t.Errorf("%d duplicates; want at most %d (the connections)", dups, DefaultConnections)
	}
	jobs, err := db.OutboxJobs(admin, store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, j := range jobs {
		if j.State == store.JobSent {
			sent++
		}
	}
	if sent != n || len(jobs) != n {
		t.Errorf("%d jobs, %d sent; want %d sent", len(jobs), sent, n)
	}
}
