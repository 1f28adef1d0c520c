package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
)

// chromium returns the path of a Chromium or Chrome binary, or skips the
// test when there is none (.ci/run installs Debian's chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on this machine: apt-get install -y chromium (CI installs it)")
	return ""
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

// Ensure a person can activate their account in a real browser: open the
// link, see who they are, fill the form, submit, and the store says
// Active. The form page is kept as a screenshot.
func TestBrowserActivation(t *testing.T) {
	ctx := newBrowser(t)
	s := newSite(t, func(srv *Server) { srv.Hash = password.Hash }) // the real costs, end to end
	ada, path := s.pending("ada.lovelace", "Ada Lovelace", "ada.lovelace@example.com")

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
	if err := chromedp.Do(ctx, chromedp.Navigate(s.ts.URL+path), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	again, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if again != "This link does not work" {
		t.Fatalf("reopened link: %q", again)
	}
	saveScreenshot(t, ctx, "invite-dead-link.png")
}
