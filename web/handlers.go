package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
	"github.com/roster-dev/roster/store"
)

// handleIndex serves GET /: where am I, and the way to a reset.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "index", s.newView("Accounts"))
}

// handleLink serves GET /invite/{token} and GET /reset/{token}: the form
// to set a password, or the one page for every dead link.
func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("token")
	t, u, err := s.DB.LookupToken(raw)
	if err != nil {
		s.linkFailed(w, r, raw, t, err)
		return
	}
	s.passwordForm(w, r, http.StatusOK, t, u, nil, "")
}

// handleSetPassword serves POST /invite/{token} and POST /reset/{token}:
// it checks the form, the link and the password, hashes the password
// outside any transaction, and activates the account.
func (s *Server) handleSetPassword(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("token")
	if !s.parseForm(w, r) {
		return
	}
	tokenHash := store.TokenHash(raw)
	if ok, wait := s.tokenLimit.allow(string(tokenHash[:])); !ok {
		s.tooMany(w, r, wait)
		return
	}
	t, u, err := s.DB.LookupToken(raw)
	if err != nil {
		s.linkFailed(w, r, raw, t, err)
		return
	}
	if !s.checkCSRF(r, string(tokenHash[:])) {
		// Nothing happens; the form comes back with a fresh token (after a
		// restart of the site, or a cookie the browser dropped). Forms
		// from other sites never get here: CrossOriginProtection refused
		// them already.
		s.Log.Info("form refused: bad CSRF token", "token", t.HashPrefix(), "from", s.clientAddr(r).String())
		s.passwordForm(w, r, http.StatusForbidden, t, u, nameForm(r, u), "For your safety the form expired. Enter your new password again.")
		return
	}
	name := nameForm(r, u)
	if name != nil {
		if err := name.Validate(); err != nil {
			s.nameProblem(w, r, t, u, name, err)
			return
		}
	}
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("confirm")
	if subtle.ConstantTimeCompare([]byte(pw), []byte(confirm)) != 1 {
		s.passwordForm(w, r, http.StatusBadRequest, t, u, name, "The two passwords differ. Type the same password in both fields.")
		return
	}
	approved, err := password.Approve(pw, u.Username, u.Email, func(pw string) (string, error) { return s.hash(r, pw) })
	if roster.ErrorCode(err) == roster.EINVALID {
		s.passwordForm(w, r, http.StatusBadRequest, t, u, name, errorText(err))
		return
	} else if err != nil {
		s.Log.Error("hash password", "err", err)
		s.message(w, http.StatusServiceUnavailable, "Please try again",
			"The site is busy right now. Wait a moment and send the form again.", "")
		return
	}
	from := s.clientAddr(r).String()
	activated, err := s.DB.ActivateNamed(raw, approved, name, from)
	switch {
	case roster.ErrorCode(err) == roster.EINVALID && roster.ErrorField(err) == "password":
		s.passwordForm(w, r, http.StatusBadRequest, t, u, name, errorText(err))
		return
	case roster.ErrorCode(err) == roster.EINVALID:
		// The name: its administrator emptied it since the lookup.
		s.nameProblem(w, r, t, u, name, err)
		return
	case err != nil:
		s.linkFailed(w, r, raw, nil, err) // Activate has audited a refusal itself
		return
	}
	u = activated
	s.Log.Info("password set", "user", u.Username, "purpose", t.Purpose.String(), "token", t.HashPrefix(), "from", from)
	v := s.newView("Password set")
	v.Reset = t.Purpose == roster.TokenReset
	v.Name, v.Username, v.Email = u.Name, u.Username, u.Email
	s.render(w, http.StatusOK, "done", v)
}

// hash runs the slow argon2id hash in one of a few slots, so a burst of
// submissions queues instead of taking all memory.
func (s *Server) hash(r *http.Request, pw string) (string, error) {
	select {
	case s.hashSlots <- struct{}{}:
	case <-r.Context().Done():
		return "", r.Context().Err()
	}
	defer func() { <-s.hashSlots }()
	return s.Hash(pw)
}

// nameForm reads the name a person without one gives on the form, trimmed
// (nil when the user has a name: the form did not ask).
func nameForm(r *http.Request, u *roster.User) *roster.PersonName {
	if u.Name != "" {
		return nil
	}
	n := &roster.PersonName{Name: r.PostForm.Get("name"), GivenName: r.PostForm.Get("given_name"), Surname: r.PostForm.Get("surname")}
	n.Normalize()
	return n
}

// nameProblem shows the form again with what is wrong with the name.
func (s *Server) nameProblem(w http.ResponseWriter, r *http.Request, t *store.Token, u *roster.User, name *roster.PersonName, err error) {
	s.passwordFormView(w, r, http.StatusBadRequest, t, u, name, "", func(v *view) {
		v.AskName, v.NameError, v.NameField = true, sentence(errorText(err)), roster.ErrorField(err)
	})
}

// passwordForm renders the form for the link's user; name holds what was
// typed for the name, when the form asks for one.
func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request, status int, t *store.Token, u *roster.User, name *roster.PersonName, problem string) {
	s.passwordFormView(w, r, status, t, u, name, problem, nil)
}

func (s *Server) passwordFormView(w http.ResponseWriter, r *http.Request, status int, t *store.Token, u *roster.User, name *roster.PersonName, problem string, more func(*view)) {
	title := "Set your password"
	if t.Purpose == roster.TokenReset {
		title = "Choose a new password"
	}
	v := s.newView(title)
	v.Reset = t.Purpose == roster.TokenReset
	v.Name, v.Username, v.Email, v.Expires = u.Name, u.Username, u.Email, t.ExpiresAt
	v.Error = problem
	v.AskName = u.Name == ""
	if name != nil {
		v.Given = *name
	}
	if more != nil {
		more(v)
	}
	v.CSRF = s.csrfToken(s.csrfCookieValue(w, r), string(t.Hash[:]))
	s.render(w, status, "password", v)
}

// linkFailed answers a link that does not work. Every kind of dead link
// gets one page that does not say which kind it is. t is the token the
// store found for raw, if any: its refusal goes to the audit log with the
// real reason. A token the store never issued (a guess, a mangled link) is
// only logged, by its hash prefix, so guessing cannot flood the audit log.
func (s *Server) linkFailed(w http.ResponseWriter, r *http.Request, raw string, t *store.Token, err error) {
	switch roster.ErrorCode(err) {
	case roster.ENOTFOUND:
		from := s.clientAddr(r).String()
		if t != nil {
			if aerr := s.DB.RecordTokenRefused(raw, from); aerr != nil {
				s.Log.Warn("audit refused link", "token", t.HashPrefix(), "err", aerr)
			}
		}
		s.Log.Info("link refused", "token", hashPrefix(raw), "from", from, "reason", roster.ErrorMessage(err))
		s.render(w, http.StatusNotFound, "invalid", s.newView("This link does not work"))
	case roster.EUNAVAILABLE:
		s.Log.Warn("database busy", "err", err)
		s.message(w, http.StatusServiceUnavailable, "Please try again",
			"The site is busy right now. Wait a moment and try again.", "")
	default:
		s.Log.Error("link", "err", err)
		s.message(w, http.StatusInternalServerError, "Something went wrong",
			"The site could not handle this request. Try again later, or ask your administrator.", "")
	}
}

// handleResetForm serves GET /reset: the "forgot password" form.
func (s *Server) handleResetForm(w http.ResponseWriter, r *http.Request) {
	s.resetForm(w, r, http.StatusOK, "", "")
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request, status int, email, problem string) {
	v := s.newView("Forgot your password?")
	v.Email, v.Error = email, problem
	v.CSRF = s.csrfToken(s.csrfCookieValue(w, r), "reset")
	s.render(w, status, "reset", v)
}

// handleResetRequest serves POST /reset. It answers the same page whether
// or not an account has the address, and asks for the reset in the
// background, so that neither the answer nor its timing tells anything.
func (s *Server) handleResetRequest(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	email := r.PostForm.Get("email")
	if !s.checkCSRF(r, "reset") {
		s.resetForm(w, r, http.StatusForbidden, email, "For your safety the form expired. Please send it again.")
		return
	}
	if err := roster.ValidateEmail(email); err != nil {
		s.resetForm(w, r, http.StatusBadRequest, email, "Enter the e-mail address your invitation was sent to, such as name@example.com.")
		return
	}
	if ok, wait := s.resetLimit.allow(limitKey(s.clientAddr(r))); !ok {
		s.tooMany(w, r, wait)
		return
	}
	s.requestReset(email)
	v := s.newView("Check your mail")
	s.render(w, http.StatusOK, "reset_sent", v)
}

// requestReset hands the request to Resets in the background, a few at a
// time; when all slots are busy the request is dropped and logged (the
// person can ask again; a flood cannot pile up goroutines).
func (s *Server) requestReset(email string) {
	if s.Resets == nil {
		s.Log.Warn("password reset asked for, but this site sends no mail")
		return
	}
	select {
	case s.bgSlots <- struct{}{}:
	default:
		s.Log.Warn("password reset dropped: too many at once")
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer func() { <-s.bgSlots }()
		if err := s.Resets.RequestReset(s.bgCtx, email); err != nil {
			s.Log.Error("password reset request", "err", err)
		}
	}()
}

// parseForm reads a form of at most maxBody bytes. It answers the request
// itself and returns false when the body is too large or malformed.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.message(w, http.StatusRequestEntityTooLarge, "Too much data",
				"The form sent more than this site accepts. Go back and try again.", "")
			return false
		}
		s.message(w, http.StatusBadRequest, "Bad request", "The form could not be read. Go back and try again.", "")
		return false
	}
	return true
}

// tooMany answers a request over a rate limit.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := int(wait.Seconds()) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.Log.Info("rate limited", "from", s.clientAddr(r).String(), "path_kind", pathKind(r))
	s.message(w, http.StatusTooManyRequests, "Slow down",
		"There were too many requests from your network or for this link. Wait a minute and try again.", "")
}

// handleCrossOrigin answers a form post from another site.
func (s *Server) handleCrossOrigin(w http.ResponseWriter, r *http.Request) {
	s.Log.Info("cross-origin form refused", "from", s.clientAddr(r).String(), "path_kind", pathKind(r))
	s.message(w, http.StatusForbidden, "Form refused",
		"This form can only be sent from this site's own pages. Open the link from your mail again.", "")
}

// handleStyle serves GET /static/style.css.
func (s *Server) handleStyle(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	if r.URL.Query().Get("v") == s.pages.cssVersion {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	_, _ = w.Write(s.pages.css)
}

// handleNoContent serves GET /favicon.ico: nothing, cheaply.
func (s *Server) handleNoContent(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusNoContent)
}

// handleNotFound serves every other path.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.message(w, http.StatusNotFound, "Page not found", "There is no page at this address.", s.root)
}

// hashPrefix names a raw token in logs by its hash's prefix.
func hashPrefix(raw string) string {
	t := store.Token{Hash: store.TokenHash(raw)}
	return t.HashPrefix()
}

// pathKind names a request's route without the token, for logs.
func pathKind(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return r.Method
}

// sentence starts a message with a capital letter, as the page's own do.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// errorText returns an application error's message without its field name.
func errorText(err error) string {
	var e *roster.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "That did not work; try again."
}
