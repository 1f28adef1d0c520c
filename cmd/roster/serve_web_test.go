package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// webLog is a buffer that serve's logger writes to while the test reads it.
type webLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *webLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *webLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listeningRE = regexp.MustCompile(`msg="invitation site listening".* addr=(\S+)`)

// webCLI runs roster against db and fails the test on a non-zero exit.
func webCLI(t *testing.T, db string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"--db", db}, args...), strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("roster %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// mailboxLink waits for a dev-mailbox message to address whose subject
// holds subject, and returns its link.
func mailboxLink(t *testing.T, db, address, subject string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var msgs []struct {
			To      []string `json:"to"`
			Subject string   `json:"subject"`
			Link    string   `json:"link"`
		}
		if err := json.Unmarshal([]byte(webCLI(t, db, "mailbox", "--json", "--to", address)), &msgs); err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if strings.Contains(m.Subject, subject) && m.Link != "" {
				return m.Link
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %q to %s within 30 s: %+v", subject, address, msgs)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}
}

// Ensure `roster serve` serves the invitation site with the mail settings:
// an invitation queued from the command line reaches the dev mailbox with
// a link to the base URL; its path on the served site shows the
// organisation and activates the user; and "forgot password" mails a
// reset link.
func TestServeInvitationSite(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no stray config.toml
	// The settings every roster command shares: `invite` writes the links,
	// `serve` answers them.
	t.Setenv("ROSTER_BASE_URL", "https://accounts.example.test")
	t.Setenv("ROSTER_ORG_NAME", "Acme Test")
	db := filepath.Join(t.TempDir(), "roster.db")
	webCLI(t, db, "users", "add", "--username", "ada", "--name", "Ada Lovelace", "--email", "ada@example.com")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &webLog{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--db", db, "serve", "--http", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, logs)
	}()
	stop := func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d:\n%s", code, logs.String())
		}
	}
	defer func() {
		if ctx.Err() == nil {
			stop()
		}
	}()
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; {
		if m := listeningRE.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("the site did not start:\n%s", logs.String())
		} else {
			time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
		}
	}

	webCLI(t, db, "invite", "ada", "--no-wait")
	link := mailboxLink(t, db, "ada@example.com", "invited")
	path, ok := strings.CutPrefix(link, "https://accounts.example.test/invite/")
	if !ok {
		t.Fatalf("mailed link %q is not under --base-url", link)
	}

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	get := func(u string) string {
		t.Helper()
		res, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", u, res.StatusCode, b)
		}
		return string(b)
	}
	post := func(u string, form url.Values) string {
		t.Helper()
		res, err := client.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d\n%s", u, res.StatusCode, b)
		}
		return string(b)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)

	page := get(base + "/invite/" + path)
	if !strings.Contains(page, "Acme Test") || !strings.Contains(page, "ada@example.com") {
		t.Fatalf("the page lacks the organisation or the address:\n%s", page)
	}
	const pw = "violet kettle under 7 moons"
	done1 := post(base+"/invite/"+path, url.Values{"csrf": {csrf.FindStringSubmatch(page)[1]}, "password": {pw}, "confirm": {pw}})
	if !strings.Contains(done1, "Your account is active") {
		t.Fatalf("after the form:\n%s", done1)
	}
	if out := webCLI(t, db, "users", "list", "--status", "active"); !strings.Contains(out, "ada") {
		t.Fatalf("ada is not active:\n%s", out)
	}

	form := get(base + "/reset")
	sent := post(base+"/reset", url.Values{"csrf": {csrf.FindStringSubmatch(form)[1]}, "email": {"ada@example.com"}})
	if !strings.Contains(sent, "Check your mail") {
		t.Fatalf("after asking for a reset:\n%s", sent)
	}
	if reset := mailboxLink(t, db, "ada@example.com", "Reset"); !strings.HasPrefix(reset, "https://accounts.example.test/invite/") {
		t.Fatalf("reset link %q", reset)
	}
	stop()
	if !strings.Contains(logs.String(), `msg="password set"`) || strings.Contains(logs.String(), path) || strings.Contains(logs.String(), pw) {
		t.Fatalf("serve's log lacks the event or holds a secret:\n%s", logs.String())
	}
}

// Ensure serve warns when the links in mail would point at another port
// of this machine than the one the site listens on, and only then.
func TestBaseURLMisses(t *testing.T) {
	for _, c := range []struct {
		base, listen string
		want         bool
	}{
		{"http://127.0.0.1:8080", "127.0.0.1:8080", false},
		{"http://127.0.0.1:8080", "127.0.0.1:18500", true},
		{"http://localhost:9000", "127.0.0.1:9000", false},
		{"http://localhost", "127.0.0.1:8080", true},
		{"http://[::1]:8080", "[::1]:8081", true},
		{"https://accounts.example.com", "127.0.0.1:8080", false},
		{"http://accounts.example.com", "127.0.0.1:8080", false},
		{"http://127.0.0.1:8080", "127.0.0.1:0", false},
		{"::bad", "127.0.0.1:8080", false},
	} {
		if got := baseURLMisses(c.base, c.listen); got != c.want {
			t.Errorf("baseURLMisses(%q, %q) = %v, want %v", c.base, c.listen, got, c.want)
		}
	}
}
