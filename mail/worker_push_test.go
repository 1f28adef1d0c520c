package mail

import (
	"testing"
	"time"

	"github.com/roster-dev/roster/store"
)

// Ensure a worker in the owning process (roster serve) sends mail another
// process queued as soon as the news of it comes, though its poll, while
// changes are pushed, is an hour away.
func TestWorkerWakesOnPushedNews(t *testing.T) {
	old := pushedPoll
	pushedPoll = time.Hour
	t.Cleanup(func() { pushedPoll = old })

	owner := openDB(t)
	if owns, err := owner.Own(); err != nil || !owns {
		t.Fatalf("Own = %v, %v", owns, err)
	}
	t.Cleanup(func() { owner.Disown() })
	guest, err := store.Open(owner.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { guest.Close() })

	srv := startServer(t, serverOpts{})
	cfg := testConfig(srv.addr)
	startWorker(t, owner, cfg)
	users := addUsers(t, guest, "late@example.com")
	q := invite(t, guest, cfg, users)
	if c := waitDone(t, owner, q.Jobs); c.Sent != 1 {
		t.Fatalf("counts %+v", c)
	}
}
