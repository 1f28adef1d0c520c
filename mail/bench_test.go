package mail

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/e2e"
	"github.com/roster-dev/roster/store"
)

// benchInvite sends n invitations end to end — tokens and outbox jobs in
// one transaction, the worker's claims, SMTP delivery to a local go-smtp
// server, results recorded — and returns messages per second.
func benchInvite(b *testing.B, n int, perConnection int) (perSecond float64, queue time.Duration) {
	b.Helper()
	srv := startServer(b, serverOpts{discard: true})
	return benchInviteTo(b, srv.addr, n, perConnection, func(c store.JobCounts) {
		if c.Sent != n || srv.count() != n {
			b.Fatalf("counts %+v, server got %d", c, srv.count())
		}
		if perConnection == 0 && srv.connections() > DefaultConnections {
			b.Fatalf("%d connections", srv.connections())
		}
	})
}

// benchInviteTo is benchInvite to any SMTP server on loopback; check
// judges the final counts.
func benchInviteTo(b *testing.B, addr string, n, perConnection int, check func(store.JobCounts)) (perSecond float64, queue time.Duration) {
	b.Helper()
	b.StopTimer()
	db := openDB(b)
	in := make([]roster.NewUser, n)
	for i := range in {
		in[i] = roster.NewUser{Username: fmt.Sprintf("user%05d", i), Name: fmt.Sprintf("User Number %d", i), Email: fmt.Sprintf("user%05d@example.com", i)}
	}
	users, err := db.CreateUsers(admin, in)
	if err != nil {
		b.Fatal(err)
	}
	cfg := testConfig(addr)
	cfg.HelloName = "roster.example.org"
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
	if err != nil {
		b.Fatal(err)
	}
	check(c)
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

// BenchmarkInviteSmtpSink sends 10,000 invitations to Postfix's smtp-sink
// (the fastest real receiver here: it answers and discards), started by
// the benchmark on a loopback port, over 4 reused connections.
func BenchmarkInviteSmtpSink(b *testing.B) {
	sink := e2e.Need(b, "Debian package postfix", "smtp-sink", "/usr/sbin/smtp-sink")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"-h", "sink.example.org", addr, "256"}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "nobody"}, args...) // it refuses to run as root
	}
	cmd := exec.Command(sink, args...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("smtp-sink does not listen")
		}
		time.Sleep(10 * time.Millisecond)
	}
	const n = 10000
	var rate float64
	for range b.N {
		r, _ := benchInviteTo(b, addr, n, 0, func(c store.JobCounts) {
			if c.Sent != n {
				b.Fatalf("counts %+v", c)
			}
		})
		rate += r
	}
	b.ReportMetric(rate/float64(b.N), "msg/s")
	b.ReportMetric(0, "ns/op")
}
