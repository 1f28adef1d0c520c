package tui

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"charm.land/lipgloss/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// The form's field checks: the domain's rules as validators, and the
// uniqueness checks that run as the administrator types.

// liveCheck holds the values the uniqueness checks read. huh runs a
// field's DescriptionFunc in a command, off the Update loop, so it must not
// read formValues directly: the screen copies the values in under the lock.
type liveCheck struct {
	mu              sync.Mutex
	username, email string
	taken           map[string]bool // "u:name" / "e:addr" → taken, as last checked
}

func (l *liveCheck) set(username, email string) {
	l.mu.Lock()
	l.username, l.email = username, email
	l.mu.Unlock()
}

func (l *liveCheck) get() (string, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.username, l.email
}

func (l *liveCheck) remember(k string, taken bool) {
	l.mu.Lock()
	l.taken[k] = taken
	l.mu.Unlock()
}

func (l *liveCheck) known(k string) (taken, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	taken, ok = l.taken[k]
	return taken, ok
}

// trimmedRule is a domain rule as a form field's validator: on the
// trimmed input, its message without the field's prefix.
func trimmedRule(rule func(string) error) func(string) error {
	return func(x string) error {
		if err := rule(strings.TrimSpace(x)); err != nil {
			return plainErr(err)
		}
		return nil
	}
}

// checkUsername is the form's rule for the username field: the domain
// rule, then uniqueness as last seen by the live check.
func checkUsername(live *liveCheck, x string) error {
	n := roster.NormalizeUsername(x)
	if err := roster.ValidateUsername(n); err != nil {
		return plainErr(err)
	}
	if taken, ok := live.known("u:" + n); ok && taken {
		return errorf("username %s is taken", n)
	}
	return nil
}

func checkEmail(live *liveCheck, x string) error {
	x = strings.TrimSpace(x)
	if err := roster.ValidateEmail(x); err != nil {
		return plainErr(err)
	}
	if taken, ok := live.known("e:" + roster.NormalizeEmail(x)); ok && taken {
		return errorf("%s belongs to another user", x)
	}
	return nil
}

// usernameStatus runs in a command: the rule, then the store's index.
func usernameStatus(db *store.DB, actor roster.Actor, live *liveCheck, x string, except uint64) error {
	if strings.TrimSpace(x) == "" {
		return nil
	}
	if err := checkUsername(live, x); err != nil {
		return err
	}
	n := roster.NormalizeUsername(x)
	taken, err := db.UsernameTaken(actor, n, except)
	if err != nil {
		return errorf("cannot check: %s", roster.ErrorMessage(err))
	}
	live.remember("u:"+n, taken)
	if taken {
		return errorf("username %s is taken", n)
	}
	return errOK
}

func emailStatus(db *store.DB, actor roster.Actor, live *liveCheck, x string, except uint64) error {
	if strings.TrimSpace(x) == "" {
		return nil
	}
	if err := checkEmail(live, x); err != nil {
		return err
	}
	n := roster.NormalizeEmail(x)
	taken, err := db.EmailTaken(actor, n, except)
	if err != nil {
		return errorf("cannot check: %s", roster.ErrorMessage(err))
	}
	live.remember("e:"+n, taken)
	if taken {
		return errorf("%s belongs to another user", strings.TrimSpace(x))
	}
	return errOK
}

type textErr string

func (e textErr) Error() string { return string(e) }

func errorf(format string, args ...any) error {
	return textErr(fmt.Sprintf(format, args...))
}

// errOK marks a value checked and fine.
var errOK = textErr("")

// plainErr drops the field prefix of a roster error for display under the field.
func plainErr(err error) error {
	var e *roster.Error
	if errors.As(err, &e) {
		return textErr(e.Message)
	}
	return textErr(roster.ErrorMessage(err))
}

// mark renders a live check: nothing for an empty field, a green tick when
// valid and free, a red cross with the reason otherwise.
func mark(st struct{ Valid, Invalid lipgloss.Style }, err error) string {
	switch {
	case err == nil:
		return " "
	case err == errOK:
		return st.Valid.Render("✓ valid and free")
	}
	return st.Invalid.Render("✗ " + err.Error())
}
