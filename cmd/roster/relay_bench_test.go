package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
)

// BenchmarkInviteThroughPostfix sends 2,000 invitations through a private
// Postfix (STARTTLS, Dovecot SASL, as an office's relay) that accepts them
// for bench.example and discards them: invitations per second until the
// relay has accepted every one.
func BenchmarkInviteThroughPostfix(b *testing.B) {
	r := startRelay(b)
	const n = 2000
	var rate float64
	for i := range b.N {
		b.StopTimer()
		db, err := store.Open(filepath.Join(b.TempDir(), "roster.db"))
		if err != nil {
			b.Fatal(err)
		}
		actor := roster.LocalActor("bench")
		in := make([]roster.NewUser, n)
		for j := range in {
			in[j] = roster.NewUser{Username: fmt.Sprintf("u%d-%05d", i, j), Name: fmt.Sprintf("User %d", j), Email: fmt.Sprintf("u%d-%05d@bench.example", i, j)}
		}
		users, err := db.CreateUsers(actor, in)
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]uint64, n)
		for j, u := range users {
			ids[j] = u.ID
		}
		m, err := mail.New(db, mail.Config{URL: "smtp://mailer@" + r.submit, Password: relayPassword, CAFile: r.caFile,
			HelloName: "roster.example.org", From: "Example Org <roster@example.org>", BaseURL: "https://roster.example.org"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		b.StartTimer()
		start := time.Now()
		go func() { done <- m.Run(ctx) }()
		q, err := m.Invite(actor, ids)
		if err != nil {
			b.Fatal(err)
		}
		c, err := m.Wait(context.Background(), q.Jobs, 50*time.Millisecond, nil)
		elapsed := time.Since(start)
		b.StopTimer()
		cancel()
		if rerr := <-done; rerr != nil {
			b.Fatal(rerr)
		}
		if err != nil || c.Sent != n {
			b.Fatalf("counts %+v, err %v", c, err)
		}
		rate += float64(n) / elapsed.Seconds()
	}
	b.ReportMetric(rate/float64(b.N), "msg/s")
	b.ReportMetric(0, "ns/op")
}
