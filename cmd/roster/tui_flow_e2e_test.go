package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/e2e"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/tui"
	"github.com/roster-dev/roster/web"
)

// TestTUIInvitationFlow runs the built binary in tmux on a fresh database
// with no set-up and walks the whole invitation flow: invite a user from
// the actions menu, read the mail in the Mailbox screen, open the link
// over HTTP on the site the terminal app serves, set a password, and see
// the row turn Active.
func TestTUIInvitationFlow(t *testing.T) {
	e2e.Need(t, "Debian package tmux", "tmux")
	dir := t.TempDir()
	bin := buildRoster(t, dir)
	db := filepath.Join(dir, "roster.db")
	base := "http://" + freeAddr(t)
	if code, _, stderr := rosterProc(bin, db, "users", "add", "--username", "ada", "--name", "Ada Lovelace", "--email", "ada@example.com"); code != 0 {
		t.Fatalf("users add: %s", stderr)
	}

	// XDG_CONFIG_HOME keeps the tester's own config.toml out of it.
	tm := newTmux(t, 100, 30, "env", "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "ROSTER_DB=",
		bin, "--db", db, "--base-url", base)
	screen := tm.waitFor("Ada Lovelace", "✉ dev mailbox", "site "+strings.TrimPrefix(base, "http://"), "no backup yet")
	t.Logf("first screen:\n%s", screen)

	// Invite ada from the actions menu.
	tm.keys("a")
	screen = tm.waitFor("Actions for ada", "Send invitation")
	tm.keys(menuDigit(t, screen, "Send invitation"))
	tm.waitFor("Send 1 invitation?", "Mail goes to: dev mailbox")
	tm.keys("y")
	screen = tm.waitFor("1 user: 1 invitation sent")
	t.Logf("invitation summary:\n%s", screen)
	tm.keys("Enter")
	tm.waitFor("✉ sent")

	// Read the link off the Mailbox screen.
	tm.keys("M")
	screen = tm.waitFor("Mailbox", "ada@example.com", "You are invited", "/invite/")
	t.Logf("mailbox:\n%s", screen)
	link := regexp.MustCompile(regexp.QuoteMeta(base) + `/invite/[A-Za-z0-9_-]+`).FindString(screen)
	if link == "" {
		t.Fatalf("no link on the Mailbox screen:\n%s", screen)
	}
	// The CLI's view of the mailbox agrees.
	code, out, stderr := rosterProc(bin, db, "mailbox", "--json")
	var msgs []struct {
		Link string `json:"link"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &msgs) != nil || len(msgs) != 1 || msgs[0].Link != link {
		t.Fatalf("roster mailbox --json: exit %d, %s %s; want the link %s", code, out, stderr, link)
	}

	// Open the link on the site the terminal app serves, set a password.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	page := httpBody(t, client, "GET", link, nil)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "ada") {
		t.Fatalf("the invitation page has no form for ada:\n%s", page)
	}
	form := url.Values{"csrf": {m[1]}, "password": {"long enough passphrase 7"}, "confirm": {"long enough passphrase 7"}}
	done := httpBody(t, client, "POST", link, form)
	if !strings.Contains(done, "Your account is active") {
		t.Fatalf("the form did not activate ada:\n%s", done)
	}

	// The list shows ada Active without a key press.
	tm.keys("Escape")
	screen = tm.waitFor("3 Active 1", "2 Pending 0")
	row := lineWith(screen, "Ada Lovelace")
	if !strings.Contains(row, "active") || strings.Contains(row, "pending") {
		t.Fatalf("ada's row is not active: %q\n%s", row, screen)
	}
	t.Logf("after activation:\n%s", screen)

	// q quits, and the site goes with the app.
	tm.keys("q")
	deadline := time.Now().Add(30 * time.Second)
	for exec.Command("tmux", "-L", tm.socket, "has-session", "-t", tm.name).Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("roster did not quit; screen:\n%s", tm.capture())
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}
	for {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the invitation site still answers after the app quit")
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}
}

// freeAddr returns a loopback address with a port free at the moment.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// menuDigit returns the digit the actions menu shows before label.
func menuDigit(t *testing.T, screen, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(\d+)  ` + regexp.QuoteMeta(label)).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no %q in the menu:\n%s", label, screen)
	}
	return m[1]
}

// httpBody makes a request, with form as the body of a POST (and the
// site's origin, as a browser sends it), and returns the body of a 200.
func httpBody(t *testing.T, c *http.Client, method, link string, form url.Values) string {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, link, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		u, _ := url.Parse(link)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", u.Scheme+"://"+u.Host)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, link, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s\n%s", method, link, resp.Status, b)
	}
	return string(b)
}

func lineWith(screen, text string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	return fmt.Sprintf("(no line with %q)", text)
}

// Ensure the terminal app leaves the invitation site to the process that
// already serves it, and says so, and serves it itself otherwise.
func TestTUIStartSite(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := mail.Config{BaseURL: "http://" + taken.Addr().String()}
	site, text := startSite(db, cfg, nil, log)
	if site != nil || text != tui.SiteBroken+taken.Addr().String()+" does not answer: links in mail will not work" {
		t.Fatalf("on an address taken by something that does not answer: site %v, header %q", site, text)
	}
	// Roster on this database holds the address: it serves the links.
	other := web.New(db)
	otherAddr, err := other.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Shutdown(context.Background())
	cfg.BaseURL = "http://" + otherAddr.String()
	site, text = startSite(db, cfg, nil, log)
	if site != nil || text != otherAddr.String()+" (another roster process)" {
		t.Fatalf("on an address Roster serves: site %v, header %q", site, text)
	}

	addr := freeAddr(t)
	cfg.BaseURL = "http://" + addr
	site, text = startSite(db, cfg, nil, log)
	if site == nil || text != "http://"+addr {
		t.Fatalf("on a free address: site %v, header %q", site, text)
	}
	defer site.Shutdown(context.Background())
	resp, err := http.Get("http://" + addr + "/invite/nonsense")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		t.Fatalf("the site answers %s", resp.Status)
	}

	for base, want := range map[string]string{
		"http://127.0.0.1:9999":        "127.0.0.1:9999",
		"http://localhost:7000/roster": "127.0.0.1:7000",
		"http://[::1]:8081":            "[::1]:8081",
		"https://accounts.example.com": web.DefaultAddr,
		"http://accounts.example.com":  web.DefaultAddr,
	} {
		if got := siteAddr(base); got != want {
			t.Errorf("siteAddr(%q) = %q, want %q", base, got, want)
		}
	}
}
