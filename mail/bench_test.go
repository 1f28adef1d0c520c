package mail

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// benchInvite sends n invitations end to end — tokens and outbox jobs in
// one transaction, the worker's claims, SMTP delivery to a local go-smtp
// server, results recorded — and returns messages per second.
func benchInvite(b *testing.B, n int, perConnection int) (perSecond float64, queue time.Duration) {
	b.Helper()
	b.StopTimer()
	db := openDB(b)
	srv := startServer(b, serverOpts{discard: true})
	in := make([]roster.NewUser, n)
	for i := range in {
		in[i] = roster.NewUser{Username: fmt.Sprintf("user%05d", i), Name: fmt.Sprintf("User Number %d", i), Email: fmt.Sprintf("user%05d@example.com", i)}
	}
	users, err := db.CreateUsers(admin, in)
	if err != nil {
		b.Fatal(err)
	}
	cfg := testConfig(srv.addr)
	cfg.MaxPerConnection = perConnection
	m, err := New(db, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.StartTimer()
	start := time.Now()
	go func() { done <- m.Run(ctx) }()
	q, err := m.Invite(admin, ids(users))
	if err != nil {
		b.Fatal(err)
	}
	queue = time.Since(start)
	c, err := m.Wait(context.Background(), q.Jobs, 50*time.Millisecond, nil)
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	if rerr := <-done; rerr != nil {
		b.Fatal(rerr)
	}
	if err != nil || c.Sent != n || srv.count() != n {
		b.Fatalf("counts %+v, server got %d, err %v", c, srv.count(), err)
	}
	if perConnection == 0 && srv.connections() > DefaultConnections {
		b.Fatalf("%d connections", srv.connections())
	}
	return float64(n) / elapsed.Seconds(), queue
}

// BenchmarkInvite10k compares, in the same run, 10,000 invitations over 4
// reused connections with the same sent one connection per message.
func BenchmarkInvite10k(b *testing.B) {
	const n = 10000
	var reuse, single float64
	var queue time.Duration
	for range b.N {
		r, q := benchInvite(b, n, 0)
		s, _ := benchInvite(b, n, 1)
		reuse, single, queue = reuse+r, single+s, queue+q
	}
	reuse /= float64(b.N)
	single /= float64(b.N)
	b.ReportMetric(queue.Seconds()/float64(b.N), "s-to-queue-10k")
	b.ReportMetric(reuse, "msg/s")
	b.ReportMetric(single, "msg/s-conn-per-msg")
	b.ReportMetric(reuse/single, "ratio")
	b.ReportMetric(commitLatency(b).Seconds()*1000, "ms/empty-commit")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRender measures building one invitation.
func BenchmarkRender(b *testing.B) {
	c := testComposer(b, Config{})
	m := store.MailContent{Kind: store.MailInvite, User: &roster.User{Username: "ada", Name: "Ada Lovelace", Email: "ada@example.com"},
		Token: "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd", Expires: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Render(m); err != nil {
			b.Fatal(err)
		}
	}
}

// commitLatency measures an empty write transaction (open, commit with its
// fsyncs, close) on this machine now: the outbox's floor per group commit.
func commitLatency(b *testing.B) time.Duration {
	db := openDB(b)
	const n = 50
	start := time.Now()
	for range n {
		if err := db.Audit(admin, "bench.commit", nil, nil, ""); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start) / n
}
