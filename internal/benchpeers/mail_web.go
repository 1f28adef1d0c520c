package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/web"
)

const (
	mailConnections = 4
	invitations     = 5000 // per run
	webClients      = 20
)

// startSink starts Postfix's smtp-sink on a loopback port: it answers and
// discards, the fastest real receiver.
func startSink() (string, func(), error) {
	sink := "/usr/sbin/smtp-sink"
	if _, err := os.Stat(sink); err != nil {
		return "", nil, fmt.Errorf("%s is missing: install the Debian package postfix", sink)
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := "127.0.0.1:" + port
	args := []string{"-h", "sink.example.org", addr, "256"}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "nobody"}, args...) // it refuses to run as root
	}
	cmd := exec.Command(sink, args...)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, errors.New("smtp-sink does not listen")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mailRow: invitations per second into smtp-sink (tokens, outbox jobs,
// rendering, SMTP over 4 connections, results recorded) against Postfix's
// smtp-source sending as many messages of the same size over 4 sessions
// into the same smtp-sink.
func mailRow(dir string, o options) (row, error) {
	source := "/usr/sbin/smtp-source"
	if _, err := os.Stat(source); err != nil {
		return row{}, fmt.Errorf("%s is missing: install the Debian package postfix", source)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return row{}, err
	}
	addr, stop, err := startSink()
	if err != nil {
		return row{}, err
	}
	defer stop()
	size := 0
	n := 0
	rosterRun := func() (float64, error) {
		n++
		db, err := store.Open(filepath.Join(dir, fmt.Sprintf("mail%d.db", n)))
		if err != nil {
			return 0, err
		}
		defer os.Remove(db.Path())
		if owns, err := db.Own(); err == nil && owns { // as roster serve
			defer db.Disown()
		}
		in := make([]roster.NewUser, invitations)
		for i := range in {
			in[i] = roster.NewUser{Username: fmt.Sprintf("user%05d", i), Name: fmt.Sprintf("User Number %d", i), Email: fmt.Sprintf("user%05d@example.com", i)}
		}
		users, err := db.CreateUsers(local, in)
		if err != nil {
			return 0, err
		}
		ids := make([]uint64, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		m, err := mail.New(db, mail.Config{
			URL: "smtp://" + addr, PlaintextLoopback: true,
			From: "Roster <roster@example.org>", BaseURL: "https://roster.example.org", OrgName: "Example Org",
			Connections: mailConnections, HelloName: "roster.example.org",
		}, nil)
		if err != nil {
			return 0, err
		}
		if size == 0 {
			size = inviteSize(m)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- m.Run(ctx) }()
		q, err := m.Invite(local, ids)
		if err != nil {
			cancel()
			return 0, err
		}
		c, err := m.Wait(context.Background(), q.Jobs, 20*time.Millisecond, nil)
		took := time.Since(start)
		cancel()
		if rerr := <-done; rerr != nil && !errors.Is(rerr, context.Canceled) {
			return 0, rerr
		}
		if err != nil {
			return 0, err
		}
		if c.Sent != invitations {
			return 0, fmt.Errorf("sent %d of %d invitations: %+v", c.Sent, invitations, c)
		}
		return rate(invitations, took), nil
	}
	sourceRun := func() (float64, error) {
		start := time.Now()
		out, err := exec.Command(source, "-s", strconv.Itoa(mailConnections), "-m", strconv.Itoa(invitations),
			"-l", strconv.Itoa(max(size, 1)), "-f", "roster@example.org", "-t", "someone@example.com",
			"-S", "Your invitation", addr).CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("smtp-source: %v\n%s", err, out)
		}
		return rate(invitations, time.Since(start)), nil
	}
	fmt.Fprintln(os.Stderr, "invitations and smtp-source into smtp-sink, alternately…")
	// Roster first: it finds the message size smtp-source then sends.
	r, s, ratio, err := pairs(o.rounds, rosterRun, sourceRun)
	if err != nil {
		return row{}, err
	}
	return row{workload: fmt.Sprintf("invitations to smtp-sink, %d connections, %d a run", mailConnections, invitations),
		roster: comma(r) + "/s", anchor: fmt.Sprintf("smtp-source (%d-byte messages) %s/s", size, comma(s)), ratio: ratio, target: "≥ 0.5"}, nil
}

// inviteSize is the size of one rendered invitation, so that smtp-source
// sends messages as large.
func inviteSize(m *mail.Mailer) int {
	body, err := m.Composer.Render(store.MailContent{Kind: store.MailInvite,
		User:  &roster.User{Username: "user00000", Name: "User Number 0", Email: "user00000@example.com"},
		Token: "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd", Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		return 2000
	}
	return len(body)
}

// webRow: the set-password page (GET /invite/TOKEN: the token checked in
// the database, the form rendered, a cookie set), limits off, against a
// net/http server answering "hello", 20 concurrent clients each.
func webRow(dir string, o options) (row, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return row{}, err
	}
	db, err := store.Open(filepath.Join(dir, "web.db"))
	if err != nil {
		return row{}, err
	}
	if owns, err := db.Own(); err == nil && owns { // as roster serve
		defer db.Disown()
	}
	users, err := db.CreateUsers(local, []roster.NewUser{{Username: "invitee", Name: "In Vitee", Email: "invitee@example.com"}})
	if err != nil {
		return row{}, err
	}
	raw, _, err := db.IssueLink(local, users[0].ID, roster.TokenInvite, 0)
	if err != nil {
		return row{}, err
	}
	site := web.New(db)
	site.Limits = web.Limits{Off: true}
	siteAddr, err := site.Start("127.0.0.1:0")
	if err != nil {
		return row{}, err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = site.Shutdown(ctx)
	}()
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return row{}, err
	}
	hello := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello")
	})}
	go func() { _ = hello.Serve(hl) }()
	defer hello.Close()

	load := func(url string) func() (float64, error) {
		return func() (float64, error) {
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: webClients}}
			defer client.CloseIdleConnections()
			var n, failed atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			deadline := start.Add(o.seconds)
			for range webClients {
				wg.Go(func() {
					for time.Now().Before(deadline) {
						res, err := client.Get(url)
						if err != nil {
							failed.Add(1)
							continue
						}
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != http.StatusOK {
							failed.Add(1)
							continue
						}
						n.Add(1)
					}
				})
			}
			wg.Wait()
			if f := failed.Load(); f > 0 {
				return 0, fmt.Errorf("%s: %d requests failed", url, f)
			}
			return rate(int(n.Load()), time.Since(start)), nil
		}
	}
	fmt.Fprintln(os.Stderr, "set-password page and hello server, alternately…")
	r, h, ratio, err := pairs(o.rounds, load("http://"+siteAddr.String()+"/invite/"+raw), load("http://"+hl.Addr().String()+"/"))
	if err != nil {
		return row{}, err
	}
	return row{workload: fmt.Sprintf("set-password page, %d concurrent", webClients),
		roster: comma(r) + "/s", anchor: "Go net/http hello server " + comma(h) + "/s", ratio: ratio, target: "≥ 0.5"}, nil
}
