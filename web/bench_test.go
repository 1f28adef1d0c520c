package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// benchServer starts the site on a loopback port with the given limits.
func benchServer(b *testing.B, limits Limits) (*store.DB, string) {
	b.Helper()
	db, err := store.Open(filepath.Join(b.TempDir(), "roster.db"))
	if err != nil {
		b.Fatal(err)
	}
	srv := New(db)
	srv.Limits = limits
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return db, "http://" + addr.String()
}

func benchClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

// BenchmarkInvitePage measures activation-page GETs per second over
// loopback, limits off, with 100,000 users in the file: each request
// checks the token, renders the form and sets the cookie; "per request"
// opens the database file for each, "owned" keeps it open as `roster
// serve` does when alone (store.DB.Own).
func BenchmarkInvitePage(b *testing.B) {
	b.Run("per request", func(b *testing.B) { benchInvitePage(b, false) })
	b.Run("owned", func(b *testing.B) { benchInvitePage(b, true) })
}

func benchInvitePage(b *testing.B, own bool) {
	db, base := benchServer(b, Limits{Off: true})
	if own {
		if ok, err := db.Own(); err != nil || !ok {
			b.Fatalf("own: %v %v", ok, err)
		}
		b.Cleanup(func() { db.Disown() })
	}
	inputs := make([]roster.NewUser, 100_000)
	for i := range inputs {
		inputs[i] = roster.NewUser{Username: fmt.Sprintf("user%04d", i), Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%04d@example.com", i)}
	}
	users, err := db.CreateUsers(local, inputs)
	if err != nil {
		b.Fatal(err)
	}
	raw, _, err := db.IssueLink(local, users[50_000].ID, roster.TokenInvite, 0)
	if err != nil {
		b.Fatal(err)
	}
	link := base + "/invite/" + raw
	client := benchClient()
	var failed atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Get(link)
			if err != nil {
				failed.Add(1)
				continue
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				failed.Add(1)
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}

// BenchmarkBruteForce sends a stream of guessed links from one address
// with the default limits, as fast as one client can, and reports how
// many guesses got through to the database. The limiter holds when that
// stays at the burst plus what the refill allows in the time taken.
func BenchmarkBruteForce(b *testing.B) {
	_, base := benchServer(b, DefaultLimits)
	client := benchClient()
	guess := make([]byte, 32)
	var through, limited int
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		_, _ = rand.Read(guess)
		res, err := client.Get(base + "/invite/" + base64.RawURLEncoding.EncodeToString(guess))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusTooManyRequests:
			limited++
		case http.StatusNotFound:
			through++
		default:
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	elapsed := time.Since(start)
	r := DefaultLimits.PerAddr
	allowed := r.Burst + int(elapsed/r.Every) + 1
	if through > allowed {
		b.Fatalf("%d guesses got through in %s; the limit allows %d", through, elapsed, allowed)
	}
	b.ReportMetric(float64(through), "guesses-through")
	b.ReportMetric(float64(limited), "guesses-refused")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "guesses/s")
}

// BenchmarkBruteForceForm posts password forms to one link as fast as one
// client can, with the default limits: the per-link limit keeps the
// argon2id work (and any guessing) to a handful of attempts.
func BenchmarkBruteForceForm(b *testing.B) {
	db, base := benchServer(b, Limits{PerToken: DefaultLimits.PerToken})
	u, err := db.CreateUser(local, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	raw, _, err := db.IssueLink(local, u.ID, roster.TokenInvite, 0)
	if err != nil {
		b.Fatal(err)
	}
	client := newClient(b)
	client.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	page, err := client.Get(base + "/invite/" + raw)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := csrfRE.FindStringSubmatch(string(body))
	if m == nil {
		b.Fatal("no form")
	}
	form := url.Values{"csrf": {m[1]}, "password": {"short"}, "confirm": {"short"}}.Encode()
	var through int
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		res, err := client.Post(base+"/invite/"+raw, "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusTooManyRequests {
			through++
		}
	}
	elapsed := time.Since(start)
	r := DefaultLimits.PerToken
	if allowed := r.Burst + int(elapsed/r.Every) + 1; through > allowed {
		b.Fatalf("%d posts got through in %s; the limit allows %d", through, elapsed, allowed)
	}
	b.ReportMetric(float64(through), "posts-through")
}

// BenchmarkActivate measures complete activations (form post, argon2id
// with the default costs, since the server's Hash is password.Hash; the
// store's transaction) one after another.
func BenchmarkActivate(b *testing.B) {
	db, base := benchServer(b, Limits{Off: true})
	client := newClient(b)
	client.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	n := 0
	for b.Loop() {
		b.StopTimer()
		n++
		u, err := db.CreateUser(local, roster.NewUser{Username: fmt.Sprintf("u%d", n), Name: "U", Email: fmt.Sprintf("u%d@example.com", n)})
		if err != nil {
			b.Fatal(err)
		}
		raw, _, err := db.IssueLink(local, u.ID, roster.TokenInvite, 0)
		if err != nil {
			b.Fatal(err)
		}
		page, err := client.Get(base + "/invite/" + raw)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(page.Body)
		page.Body.Close()
		m := csrfRE.FindStringSubmatch(string(body))
		if m == nil {
			b.Fatal("no form")
		}
		form := url.Values{"csrf": {m[1]}, "password": {goodPassword}, "confirm": {goodPassword}}.Encode()
		b.StartTimer()
		res, err := client.Post(base+"/invite/"+raw, "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}
