package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
)

// Ensure the page asks a person invited without a name for it (and only
// them), refuses a missing or bad name beside the field while keeping what
// was typed and the link alive, and stores name and password together.
func TestPasswordPageAsksName(t *testing.T) {
	s := newSite(t)
	named, namedPath := s.pending("ada", "Ada Lovelace", "ada@example.com")
	page := s.get(namedPath)
	wantStatus(t, page, http.StatusOK, "Welcome, Ada Lovelace.")
	if strings.Contains(page.body, `name="given_name"`) {
		t.Error("the page asks a user who has a name for it")
	}
	_ = named

	bob, path := s.pending("bob", "", "bob@example.com")
	page = s.get(path)
	wantStatus(t, page, http.StatusOK, "Tell us your name", `id="name"`, `autocomplete="given-name"`, `autocomplete="family-name"`)
	csrf := s.csrf(page)
	post := func(form url.Values) response {
		form.Set("csrf", csrf)
		r := s.post(path, form)
		if m := csrfRE.FindStringSubmatch(r.body); m != nil {
			csrf = s.csrf(r)
		}
		return r
	}

	// No name at all: refused beside the name, nothing stored.
	r := post(url.Values{"password": {goodPassword}, "confirm": {goodPassword}})
	wantStatus(t, r, http.StatusBadRequest, `id="name-error"`, "Name is required")
	if !strings.Contains(r.body, `id="name" name="name" type="text" autocomplete="name" value="" aria-describedby="name-help name-error" aria-invalid="true"`) {
		t.Errorf("the name field is not marked:\n%s", r.body)
	}
	// A surname with a direction override: marked, the rest kept.
	r = post(url.Values{"name": {"Bobby Tables"}, "given_name": {"Bobby"}, "surname": {"\u202eselbaT"},
		"password": {goodPassword}, "confirm": {goodPassword}})
	wantStatus(t, r, http.StatusBadRequest, "Surname contains a text-direction control character", `value="Bobby Tables"`, `value="Bobby"`)
	if !strings.Contains(r.body, `autocomplete="family-name" value="`+"\u202eselbaT"+`" aria-invalid="true"`) {
		t.Errorf("the surname field is not marked:\n%s", r.body)
	}
	// Passwords that differ: the name typed stays on the page.
	r = post(url.Values{"name": {"Bobby Tables"}, "password": {goodPassword}, "confirm": {goodPassword + "x"}})
	wantStatus(t, r, http.StatusBadRequest, "The two passwords differ", `value="Bobby Tables"`)
	if u := s.user(bob.ID); u.Status != roster.StatusPending || u.Name != "" || u.PasswordHash != "" {
		t.Fatalf("a refused form changed the user: %+v", u)
	}

	// Only the two parts: the name is made of them.
	r = post(url.Values{"given_name": {" Robert "}, "surname": {"Tables"}, "password": {goodPassword}, "confirm": {goodPassword}})
	wantStatus(t, r, http.StatusOK, "Your account is active", "Robert Tables")
	u := s.user(bob.ID)
	if u.Status != roster.StatusActive || u.Name != "Robert Tables" || u.GivenName != "Robert" || u.Surname != "Tables" {
		t.Fatalf("after the form: %+v", u)
	}
	if ok, err := password.Verify(u.PasswordHash, goodPassword); err != nil || !ok {
		t.Fatalf("password not stored: %v %v", ok, err)
	}
	if ev := s.lastEvent(); ev.Action != roster.ActionUserActivate || !strings.Contains(ev.Details, `name "Robert Tables" given by the user`) {
		t.Fatalf("audit %+v", ev)
	}
}

// Ensure a person invited by e-mail alone gives their name and password in
// a real browser: the page shows the name fields, a bad name is refused
// beside its field, and on success the store has the name parts and the
// account is Active.
func TestBrowserInviteeGivesName(t *testing.T) {
	ctx := newBrowser(t)
	s := newSite(t, func(srv *Server) { srv.Hash = password.Hash })
	bob, path := s.pending("bob", "", "bob@example.com")

	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.ts.URL+path),
		chromedp.WaitVisible(chromedp.CSS("#name")),
	); err != nil {
		t.Fatalf("open the link: %v", err)
	}
	intro, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1 + p")))
	if !strings.Contains(intro, "Tell us your name") {
		t.Fatalf("intro %q", intro)
	}
	saveScreenshot(t, ctx, "invite-name-form.png")

	// A zero-width space in the first name: refused, typed values kept.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "Bobby Tables"),
		// Set, not typed: a keyboard has no zero-width space (a paste has).
		chromedp.SetValue(chromedp.CSS("#given_name"), "Bob\u200bby"),
		chromedp.SendKeys(chromedp.CSS("#surname"), "Tables"),
		chromedp.SendKeys(chromedp.CSS("#password"), goodPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), goodPassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#name-error")),
	); err != nil {
		t.Fatalf("submit a bad first name: %v", err)
	}
	problem, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#name-error")))
	if !strings.Contains(problem, "Given name contains an invisible character") {
		t.Fatalf("error %q", problem)
	}
	kept, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#name")))
	if err != nil || kept != "Bobby Tables" {
		t.Fatalf("after the refusal the name reads %q (%v)", kept, err)
	}
	invalid, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#given_name"), "aria-invalid"))
	if err != nil || invalid.Value != "true" {
		t.Fatalf("after the refusal the first name's aria-invalid is %q (%v)", invalid.Value, err)
	}
	saveScreenshot(t, ctx, "invite-name-error.png")

	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#given_name"), "Bobby"),
		chromedp.SendKeys(chromedp.CSS("#password"), goodPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), goodPassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("h1.ok")),
	); err != nil {
		t.Fatalf("submit the form: %v", err)
	}
	account, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".account")))
	if !strings.Contains(account, "Bobby Tables") {
		t.Errorf("the done page does not show the name: %q", account)
	}
	u := s.user(bob.ID)
	if u.Status != roster.StatusActive || u.Name != "Bobby Tables" || u.GivenName != "Bobby" || u.Surname != "Tables" {
		t.Fatalf("store after the form: %+v", u)
	}
	if ok, err := password.Verify(u.PasswordHash, goodPassword); err != nil || !ok {
		t.Fatalf("stored hash: %v %v", ok, err)
	}
}
