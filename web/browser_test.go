package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/e2e"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/password"
)

// chromium returns the path of a Chromium or Chrome binary, or skips the
// test when there is none (.ci/run installs Debian's chromium).
func chromium(t *testing.T) string {
	t.Helper()
	return e2e.Need(t, "Debian package chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
}

// artifactDir is where screenshots go: $ROSTER_ARTIFACTS when set, else
// the test's temporary folder.
func artifactDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("ROSTER_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// newBrowser starts a headless Chromium with a fresh profile and returns
// a context for one tab, sized like a phone.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	// A phone: 390×844 CSS pixels at 2×, touch, mobile layout.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// setColorScheme makes the page see prefers-color-scheme: scheme.
func setColorScheme(t *testing.T, ctx context.Context, scheme string) {
	t.Helper()
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	if err != nil {
		t.Fatalf("emulate %s mode: %v", scheme, err)
	}
}

func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(artifactDir(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// lateResetter passes reset requests to a Resetter set after the site
// started (the mailer needs the site's address for its links).
type lateResetter struct {
	mu sync.Mutex
	r  Resetter
}

func (l *lateResetter) set(r Resetter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.r = r
}

func (l *lateResetter) RequestReset(ctx context.Context, email string) error {
	l.mu.Lock()
	r := l.r
	l.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.RequestReset(ctx, email)
}

// startMailer runs the real mail worker, delivering to the dev mailbox,
// with links to the test site.
func startMailer(t *testing.T, s *site) *mail.Mailer {
	t.Helper()
	m, err := mail.New(s.db, mail.Config{BaseURL: s.ts.URL, OrgName: s.srv.Org}, s.srv.Log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return m
}

// mailedLink waits for the newest dev-mailbox message to address whose
// subject holds subject, and returns its link.
func mailedLink(t *testing.T, s *site, address, subject string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := s.db.MailboxFor(local, address, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if strings.Contains(m.Subject, subject) && m.Link != "" {
				return m.Link
			}
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
	}
	t.Fatalf("no mail %q to %s within 30 s; log:\n%s", subject, address, s.log.String())
	return ""
}

// Ensure a person can activate their account in a real browser: the
// invitation goes through the real mail worker into the dev mailbox; the
// link read from that mail opens the page, which shows who they are; they
// fill the form, submit, and the store says Active. Then they forget the
// password and set a new one through a reset mail. The form pages are kept
// as screenshots.
func TestBrowserActivation(t *testing.T) {
	ctx := newBrowser(t)
	resets := &lateResetter{}
	s := newSite(t, func(srv *Server) {
		srv.Hash = password.Hash // the real costs, end to end
		srv.Resets = resets
	})
	// The mail worker keeps time by the wall clock: give the store the same.
	s.db.Now = time.Now
	mailer := startMailer(t, s)
	resets.set(mailer)
	ada, err := s.db.CreateUser(local, roster.NewUser{Username: "ada.lovelace", Name: "Ada Lovelace", Email: "ada.lovelace@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mailer.Invite(local, []uint64{ada.ID}); err != nil {
		t.Fatal(err)
	}
	link := mailedLink(t, s, "ada.lovelace@example.com", "invited")
	if !strings.HasPrefix(link, s.ts.URL+"/invite/") {
		t.Fatalf("mailed link %q does not lead to the site", link)
	}
	path := strings.TrimPrefix(link, s.ts.URL)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.ts.URL+path),
		chromedp.WaitVisible(chromedp.CSS("#password")),
	); err != nil {
		t.Fatalf("open the link: %v", err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil || heading != "Set your password" {
		t.Fatalf("heading %q, %v", heading, err)
	}
	account, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".account")))
	if err != nil || !strings.Contains(account, "ada.lovelace") || !strings.Contains(account, "ada.lovelace@example.com") {
		t.Fatalf("account box %q, %v", account, err)
	}
	saveScreenshot(t, ctx, "invite-form.png")
	// And as a phone in dark mode shows it.
	setColorScheme(t, ctx, "dark")
	saveScreenshot(t, ctx, "invite-form-dark.png")
	setColorScheme(t, ctx, "light")

	// A common password first: the page says why and keeps the link.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#password"), "Password123!"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "Password123!"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".error")),
	); err != nil {
		t.Fatalf("submit a common password: %v", err)
	}
	problem, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".error")))
	if !strings.Contains(problem, "most common") {
		t.Fatalf("error message %q", problem)
	}
	saveScreenshot(t, ctx, "invite-form-error.png")

	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#password"), goodPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), goodPassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("h1.ok")),
	); err != nil {
		t.Fatalf("submit the form: %v", err)
	}
	done, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if done != "Your account is active" {
		t.Fatalf("after submit: %q", done)
	}
	saveScreenshot(t, ctx, "invite-done.png")

	u := s.user(ada.ID)
	if u.Status != roster.StatusActive {
		t.Fatalf("store says %s, want active", u.Status)
	}
	if ok, err := password.Verify(u.PasswordHash, goodPassword); err != nil || !ok {
		t.Fatalf("stored hash: %v %v", ok, err)
	}

	// The link is spent: opening it again shows the one dead-link page.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+path), chromedp.WaitNotPresent(chromedp.CSS("h1.ok")), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	again, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if again != "This link does not work" {
		t.Fatalf("reopened link: %q", again)
	}
	saveScreenshot(t, ctx, "invite-dead-link.png")

	// Forgot password: ask for a link, read it from the mail, set a new one.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.ts.URL+"/reset"),
		chromedp.SendKeys(chromedp.CSS("#email"), "ada.lovelace@example.com"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitNotPresent(chromedp.CSS("#email")), // the answer page has no form
		chromedp.WaitVisible(chromedp.CSS("h1")),
	); err != nil {
		t.Fatalf("forgot password: %v", err)
	}
	if h, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))); h != "Check your mail" {
		t.Fatalf("after asking for a reset: %q", h)
	}
	reset := mailedLink(t, s, "ada.lovelace@example.com", "Reset")
	const newPassword = "amber lantern over 9 hills"
	if err := chromedp.Do(ctx,
		chromedp.Navigate(reset),
		chromedp.WaitVisible(chromedp.CSS("#password")),
	); err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, ctx, "reset-form.png")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#password"), newPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), newPassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("h1.ok")),
	); err != nil {
		t.Fatalf("reset form: %v", err)
	}
	u = s.user(ada.ID)
	if ok, _ := password.Verify(u.PasswordHash, newPassword); !ok || u.Status != roster.StatusActive {
		t.Fatalf("after reset: status %s, new password stored %v", u.Status, ok)
	}
}
