package mail

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/e2e"
	"github.com/roster-dev/roster/store"
)

// Ensure the invitation's HTML part, opened in Chromium on a 375 px
// phone screen, needs no horizontal scroll (the long link wraps) and
// shows the button as a button.
func TestInvitationOnPhone(t *testing.T) {
	exe := e2e.Need(t, "Debian package chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
	cfg := Config{From: "Example Org <roster@example.org>", BaseURL: "https://accounts.an-organisation-with-a-long-name.example.org", OrgName: "Example Org"}
	if err := cfg.Normalize(); err != nil {
		t.Fatal(err)
	}
	c, err := NewComposer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := c.Render(store.MailContent{Kind: store.MailInvite, Token: strings.Repeat("AbCd0123-_", 5), Expires: time.Now().Add(24 * time.Hour),
		InviterName: "Grace Hopper", User: &roster.User{Username: "ada", Name: "Ada Lovelace", Email: "ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "invite.html")
	if err := os.WriteFile(page, []byte(htmlPart(t, string(msg))), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(375, 667, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate("file://"+page)); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	num := func(js string) float64 {
		v, err := chromedp.Run(bctx, chromedp.Evaluate[float64](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	const button = `document.querySelector('a[style*="inline-block"]')`
	scrollWidth := num(`document.documentElement.scrollWidth`)
	buttonHeight := num(button + `.getBoundingClientRect().height`)
	buttonWidth := num(button + `.getBoundingClientRect().width`)
	buttonText, err := chromedp.Run(bctx, chromedp.Evaluate[string](button+`.textContent`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("375 px screen: page %v px wide; button %q %v×%v px", scrollWidth, buttonText, buttonWidth, buttonHeight)
	if scrollWidth > 375 {
		t.Errorf("the invitation is %v px wide on a 375 px screen: it scrolls sideways", scrollWidth)
	}
	if buttonText != "Set your password" || buttonHeight < 40 || buttonWidth < 120 {
		t.Errorf("button %q is %v×%v px; want a tappable button (at least 120×40)", buttonText, buttonWidth, buttonHeight)
	}
}
