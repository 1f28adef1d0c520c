package tui

// The add/edit form's lifecycle fields (issue 17): the kind of a new
// account (person or service account) and the "disable on" date, checked
// as it is typed; and saving a service account, whose generated password
// is shown once.

import (
	"slices"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/roster-dev/roster"
)

// expiryCheck holds the typed date for the field's description, which huh
// computes off the Update loop: the screen copies the value in under the lock.
type expiryCheck struct {
	mu      sync.Mutex
	expires string
}

func (e *expiryCheck) set(x string) {
	e.mu.Lock()
	e.expires = x
	e.mu.Unlock()
}

func (e *expiryCheck) get() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.expires
}

// lifecycleFields puts the kind choice first (new accounts only: a kind is
// not changed later) and the "Disable on" date after the others.
func (s *formScreen) lifecycleFields(fields []huh.Field) []huh.Field {
	v, st, now := s.v, s.c.Styles.Form, s.c.Now
	exp := s.exp
	exp.set(v.expires)
	expires := huh.NewInput().Key("expires").Title("Disable on").
		Placeholder("YYYY-MM-DD, empty: never").Value(&v.expires).
		Validate(func(x string) error {
			_, err := s.expiryValue(x)
			return err
		}).
		DescriptionFunc(func() string { return expiryStatus(st, exp.get(), now()) }, &v.expires)
	if s.edit != nil {
		return append(fields, expires)
	}
	// No title: the form scrolls its first line away once the focus is
	// below it, and the choice must still read whole.
	kind := huh.NewSelect[roster.Kind]().Key("kind").Inline(true).
		Options(huh.NewOption("Kind: person", roster.KindPerson),
			huh.NewOption("Kind: service account (an app: no e-mail, password shown once)", roster.KindService)).
		Value(&v.kind)
	return append(append([]huh.Field{kind}, fields...), expires)
}

// expiryValue reads the date field; an edited account's date left as it
// was is kept even when it has passed.
func (s *formScreen) expiryValue(x string) (time.Time, error) {
	if s.edit != nil && strings.TrimSpace(x) == s.orig.expires {
		return s.edit.ExpiresAt, nil
	}
	return formExpiry(x, s.c.Now())
}

// choiceService is a service account's one way to save: its password is
// shown next, once.
const choiceService = "Save and show the password"

// kindChoices are the submit choices for the form's kind: a service
// account is never invited.
func (s *formScreen) kindChoices(choices []string, chosen string) ([]string, string) {
	s.kind = s.v.kind
	if s.edit != nil || s.v.kind != roster.KindService {
		return choices, chosen
	}
	s.v.choice = choiceService
	return []string{choiceService, choiceCancel}, choiceService
}

// kindChanged rebuilds the form when the kind was just changed (the
// focus is on Kind, the first field, where a new form starts after
// Init); it reports whether it did.
func (s *formScreen) kindChanged() bool {
	if s.edit != nil || s.v.kind == s.kind {
		return false
	}
	if s.v.kind == roster.KindPerson {
		s.v.choice = ""
	}
	s.build()
	s.onKind = true
	return true
}

// skipKind starts a new account's form on Username: most accounts are
// persons, and the kind above stays one shift+tab away.
func (s *formScreen) skipKind() tea.Cmd {
	if s.edit != nil || s.onKind {
		s.onKind = false
		return nil
	}
	return s.form.NextField()
}

// presetService makes a new account's form start as a service account
// (opened from the Service tab).
func (s *formScreen) presetService() {
	s.v.kind, s.orig.kind = roster.KindService, roster.KindService
	if len(s.v.groups) == 1 && onlyGroup(s.c) == s.v.groups[0] {
		s.v.groups, s.orig.groups = nil, nil
	}
	s.build()
}

// shownErrors are the form's errors above it, less "required" while the
// focus is on Kind above an untouched form (shift+tab from Username to
// choose the kind is not a mistake).
func (s *formScreen) shownErrors() []error {
	errs := s.form.Errors()
	if f := s.form.GetFocusedField(); f == nil || f.GetKey() != "kind" {
		return errs
	}
	var out []error
	for _, err := range errs {
		if !strings.HasSuffix(err.Error(), " is required") {
			out = append(out, err)
		}
	}
	return out
}

// formExpiry reads the typed date: empty is never; a day before today is
// refused (use Disable to disable now).
func formExpiry(x string, now time.Time) (time.Time, error) {
	t, err := roster.ParseExpiry(x, time.Local)
	if err != nil {
		return time.Time{}, textErr("want a date as YYYY-MM-DD, or nothing for never")
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	if !t.IsZero() && t.Before(today) {
		return time.Time{}, textErr("that day has passed: to disable now, use Disable in the actions menu")
	}
	return t, nil
}

// expiryStatus is the date field's live check: what the date means, or
// what is wrong with it.
func expiryStatus(st formMarks, x string, now time.Time) string {
	if strings.TrimSpace(x) == "" {
		return " "
	}
	t, err := formExpiry(x, now)
	if err != nil {
		return st.Invalid.Render("✗ " + err.Error())
	}
	when := "in " + plural(daysUntil(now.Local(), t), "day")
	if t.Sub(now) <= 0 {
		when = "within a minute"
	}
	return st.Valid.Render("✓ disabled from " + t.Local().Format("Mon 2 Jan 2006") + " (" + when + ")")
}

// formMarks are the form's styles for a live check.
type formMarks = struct{ Valid, Invalid lipgloss.Style }

// serviceSaveCmd creates a service account with a generated password,
// off the Update loop; saved shows the password once.
func (s *formScreen) serviceSaveCmd(v formValues, expires time.Time) tea.Cmd {
	c := s.c
	groups := v.groups
	if g := onlyGroup(c); len(groups) == 1 && groups[0] == g && slices.Equal(s.orig.groups, groups) {
		// The form chose the one group for a person; a service account
		// goes to directory-readers unless groups were chosen by hand.
		groups = nil
	}
	return func() tea.Msg {
		n := roster.NewUser{Username: v.username, Name: v.name, Email: v.email, Role: v.role, Groups: groups,
			GivenName: v.givenName, Surname: v.surname, Kind: roster.KindService, ExpiresAt: expires}
		if strings.TrimSpace(n.Name) == "" {
			n.Name = v.username
		}
		n.Normalize()
		pw, ok, err := generatePassword(n.Username, n.Email)
		if err != nil {
			return formSavedMsg{err: err}
		}
		u, err := c.DB.CreateService(c.Actor, n, ok)
		if err != nil {
			return formSavedMsg{err: err}
		}
		return formSavedMsg{user: u, password: pw}
	}
}
