package tui

import (
	"image/color"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/roster-dev/roster"
)

// Submit choices at the foot of the form.
const (
	choiceSave    = "Save"
	choiceInvite  = "Save and invite" // only when the app can invite (Common.inviter)
	choiceView    = "Save and view"
	choiceAnother = "Save and add another"
	choiceCancel  = "Cancel"
)

// submitChoices are the choices at the foot of the form, the one chosen
// last (this session) first selected. With mail set up (the dev mailbox
// counts), a new user is invited on save unless the administrator says
// otherwise, as the seeds' apps do.
func submitChoices(c *Common, edit bool) (choices []string, chosen string) {
	switch {
	case edit:
		return []string{choiceSave, choiceView, choiceCancel}, choiceSave
	case c.inviter() != nil:
		choices = []string{choiceInvite, choiceSave, choiceView, choiceAnother, choiceCancel}
	default:
		choices = []string{choiceSave, choiceView, choiceAnother, choiceCancel}
	}
	chosen = choices[0]
	if slices.Contains(choices, c.lastChoice) {
		chosen = c.lastChoice
	}
	return choices, chosen
}

// formValues is what the form edits; it lives on the heap so the huh
// fields' pointers stay valid however the screen is copied.
type formValues struct {
	username, name, email string
	givenName, surname    string // optional
	role                  roster.Role
	groups                []string
	choice                string
	kind                  roster.Kind
	expires               string // YYYY-MM-DD, "" for never
}

// formScreen adds a user, or edits one, with a huh form.
type formScreen struct {
	c       *Common
	edit    *roster.User // nil when adding
	v       *formValues
	orig    formValues
	live    *liveCheck
	exp     *expiryCheck
	kind    roster.Kind // the kind the form was built for
	onKind  bool        // the next Init keeps the focus on Kind
	form    *huh.Form
	err     string // from the store, shown above the form
	discard bool   // asking whether to drop typed data
	saving  bool
}

// formSavedMsg reports the result of saving the form.
type formSavedMsg struct {
	user      *roster.User
	err       error
	invited   bool
	inviteErr error
	password  string // a new service account's, generated: shown once
}

func newFormScreen(c *Common, u *roster.User) *formScreen {
	s := &formScreen{c: c, edit: u, v: &formValues{role: roster.RoleMember}, live: &liveCheck{taken: map[string]bool{}}, exp: &expiryCheck{}}
	if u != nil {
		s.v.username, s.v.name, s.v.email, s.v.role = u.Username, u.Name, u.Email, u.Role
		s.v.givenName, s.v.surname = u.GivenName, u.Surname
		s.v.kind, s.v.expires = u.Kind, roster.FormatExpiry(u.ExpiresAt, time.Local)
		for _, id := range u.GroupIDs {
			if g := c.snap.groupByID[id]; g != nil {
				s.v.groups = append(s.v.groups, g.Name)
			}
		}
	} else if g := onlyGroup(c); g != "" {
		s.v.groups = []string{g}
	}
	s.orig = *s.v
	s.orig.groups = slices.Clone(s.v.groups)
	s.build()
	return s
}

// Init starts the form and tells it the background.
func (s *formScreen) Init() tea.Cmd {
	bg := color.Color(lipgloss.Color("#ffffff"))
	if s.c.Styles.Dark {
		bg = lipgloss.Color("#000000")
	}
	return tea.Batch(s.form.Init(), s.skipKind(), func() tea.Msg { return tea.BackgroundColorMsg{Color: bg} })
}

// build makes the huh form over s.v.
func (s *formScreen) build() {
	c, v, live := s.c, s.v, s.live
	var except uint64
	if s.edit != nil {
		except = s.edit.ID
	}
	db, actor := c.DB, c.Actor
	st := c.Styles.Form
	live.set(v.username, v.email)

	username := huh.NewInput().Key("username").Title("Username").Value(&v.username).
		Validate(func(x string) error { return checkUsername(live, x) }).
		DescriptionFunc(func() string {
			x, _ := live.get()
			return mark(st, usernameStatus(db, actor, live, x, except))
		}, &v.username)
	// A Pending invitee's name may stay empty: they give it themself.
	nameLater := s.edit != nil && s.edit.NameLater()
	name := huh.NewInput().Key("name").Title("Name").Value(&v.name).
		Validate(func(x string) error {
			if (nameLater || v.kind == roster.KindService) && strings.TrimSpace(x) == "" {
				return nil // given later by the invitee; for a service account the username stands in
			}
			return roster.ValidateName(strings.TrimSpace(x))
		})
	givenName := huh.NewInput().Key("given_name").Title("First name (optional)").Value(&v.givenName).
		Validate(trimmedRule(roster.ValidateGivenName))
	surname := huh.NewInput().Key("surname").Title("Last name (optional)").Value(&v.surname).
		Validate(trimmedRule(roster.ValidateSurname))
	email := huh.NewInput().Key("email").Title("E-mail").Value(&v.email).
		Validate(func(x string) error {
			if v.kind == roster.KindService && strings.TrimSpace(x) == "" {
				return nil // a service account needs no address
			}
			return checkEmail(live, x)
		}).
		DescriptionFunc(func() string {
			_, x := live.get()
			return mark(st, emailStatus(db, actor, live, x, except))
		}, &v.email)
	var roleOpts []huh.Option[roster.Role]
	for _, r := range roster.Roles {
		roleOpts = append(roleOpts, huh.NewOption(r.String(), r))
	}
	role := huh.NewSelect[roster.Role]().Key("role").Title("Role").Options(roleOpts...).Value(&v.role).Inline(true)
	fields := []huh.Field{username, name, givenName, surname, email}
	if actor.Offers(roster.OpSetRole) {
		fields = append(fields, role) // a group manager's users are members: no choice to offer
	}
	if c.snap != nil && len(c.snap.groups) > 0 {
		var opts []huh.Option[string]
		for _, g := range c.snap.groups {
			opts = append(opts, huh.NewOption(g.Name, g.Name).Selected(slices.Contains(v.groups, g.Name)))
		}
		fields = append(fields, huh.NewMultiSelect[string]().Key("groups").Title("Groups").
			Description("space toggles, / filters").Options(opts...).Value(&v.groups).Height(min(8, len(opts)+2)))
	}
	fields = s.lifecycleFields(fields)
	choices, chosen := s.kindChoices(submitChoices(c, s.edit != nil))
	v.choice = chosen
	fields = append(fields, huh.NewSelect[string]().Key("choice").Title("Submit").
		Options(huh.NewOptions(choices...)...).Value(&v.choice).Inline(true))

	// The screen handles esc itself (see Update): the form never aborts,
	// so "keep editing" finds it as it was, focus and filter included.
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithDisabled())
	s.form = huh.NewForm(huh.NewGroup(fields...).WithShowErrors(false)).
		WithTheme(huh.ThemeFunc(huh.ThemeBase16)).
		WithKeyMap(km).
		WithShowHelp(false).
		WithWidth(min(72, max(30, c.Width-4))).
		WithHeight(max(8, c.bodyHeight()-2))
}

// TakesText implements screen: a form takes every key.
func (s *formScreen) TakesText() bool { return true }

// Help implements screen.
func (s *formScreen) Help() help.KeyMap {
	if s.discard {
		return keyMap{short: []key.Binding{kb("y", "discard", "y"), kb("n/esc", "keep editing", "n")}}
	}
	return keyMap{short: []key.Binding{
		kb("tab/enter", "next", "tab"), kb("shift+tab", "back", "shift+tab"),
		kb("←/→", "choose", "left"), kb("esc", "cancel", "esc"),
	}}
}

func (s *formScreen) dirty() bool {
	v, o := s.v, s.orig
	return strings.TrimSpace(v.username) != strings.TrimSpace(o.username) ||
		strings.TrimSpace(v.name) != strings.TrimSpace(o.name) ||
		strings.TrimSpace(v.givenName) != strings.TrimSpace(o.givenName) ||
		strings.TrimSpace(v.surname) != strings.TrimSpace(o.surname) ||
		strings.TrimSpace(v.email) != strings.TrimSpace(o.email) ||
		v.role != o.role || !slices.Equal(v.groups, o.groups) ||
		v.kind != o.kind || strings.TrimSpace(v.expires) != strings.TrimSpace(o.expires)
}

// Update implements screen.
func (s *formScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case formSavedMsg:
		s.saving = false
		return s.saved(msg)
	case tea.WindowSizeMsg:
		s.form = s.form.WithWidth(min(72, max(30, msg.Width-4))).WithHeight(max(8, s.c.bodyHeight()-2))
	case dataMsg:
		return s, nil
	case tea.KeyPressMsg:
		if s.discard {
			switch msg.String() {
			case "y", "Y":
				return asks(s, closeMsg{}), nil
			case "n", "N", "esc", "q":
				// The form was never told: it keeps its focus and filter.
				s.discard = false
			}
			return s, nil
		}
		if s.saving {
			return s, nil
		}
		if next, cmd, ok := s.formKey(msg); ok {
			return next, cmd
		}
	}
	m, cmd := s.form.Update(msg)
	if f, ok := m.(*huh.Form); ok {
		s.form = f
	}
	s.live.set(s.v.username, s.v.email)
	s.exp.set(s.v.expires)
	if s.kindChanged() {
		return s, s.Init()
	}
	if s.form.State == huh.StateCompleted {
		if s.v.choice == choiceCancel {
			return asks(s, closeMsg{}), nil
		}
		s.saving = true
		return s, s.saveCmd()
	}
	return s, cmd
}

// formKey handles the keys the screen answers before the form: esc and
// Cancel leave (asking first when something typed would be lost), and
// space toggles a group while the group list is filtered. ok is false
// when the form should have the key.
func (s *formScreen) formKey(msg tea.KeyPressMsg) (screen, tea.Cmd, bool) {
	field := s.form.GetFocusedField()
	groups, _ := field.(*huh.MultiSelect[string])
	filtering := groups != nil && groups.GetFiltering()
	switch k := msg.String(); {
	case k == "esc" && !filtering:
		next, cmd := s.leave()
		return next, cmd, true
	case k == "enter" && field.GetKey() == "choice" && s.v.choice == choiceCancel:
		next, cmd := s.leave()
		return next, cmd, true
	case k == "space" && filtering:
		// huh types a space into the filter; here space toggles, as the
		// field's description says. Set the filter, toggle, filter again.
		for _, k := range []tea.KeyPressMsg{{Code: tea.KeyEnter}, {Code: tea.KeySpace, Text: " "}, {Code: '/', Text: "/"}} {
			m, _ := s.form.Update(k)
			s.form = m.(*huh.Form)
		}
		return s, nil, true
	}
	return s, nil, false
}

// leave closes the form, or asks first when it holds changes.
func (s *formScreen) leave() (screen, tea.Cmd) {
	if s.dirty() {
		s.discard = true
		return s, nil
	}
	return asks(s, closeMsg{}), nil
}

// Unsaved reports that closing now would lose what was typed.
func (s *formScreen) Unsaved() bool { return s.dirty() && !s.saving }

// saveCmd writes the user, off the Update loop.
func (s *formScreen) saveCmd() tea.Cmd {
	c, v, edit, orig := s.c, *s.v, s.edit, s.orig
	v.groups = slices.Clone(s.v.groups)
	expires, err := s.expiryValue(v.expires)
	if err != nil {
		return func() tea.Msg { return formSavedMsg{err: err} }
	}
	if edit == nil && v.kind == roster.KindService {
		return s.serviceSaveCmd(v, expires)
	}
	return func() tea.Msg {
		if edit == nil {
			u, err := c.DB.CreateUser(c.Actor, roster.NewUser{
				Username: v.username, Name: v.name, Email: v.email, Role: v.role, Groups: v.groups,
				GivenName: v.givenName, Surname: v.surname,
				ExpiresAt: expires,
			})
			msg := formSavedMsg{user: u, err: err}
			if invite := c.inviter(); err == nil && v.choice == choiceInvite && invite != nil {
				res, err := invite(c.Actor, []uint64{u.ID})
				msg.invited, msg.inviteErr = err == nil && len(res.Changed) == 1, err
				if err == nil && len(res.Skipped) > 0 {
					msg.inviteErr = textErr(res.Skipped[0].Reason)
				}
			}
			return msg
		}
		upd := changedFields(orig, v)
		if !expires.Equal(edit.ExpiresAt) {
			upd.ExpiresAt = &expires
		}
		u, err := c.DB.UpdateUser(c.Actor, edit.ID, upd)
		return formSavedMsg{user: u, err: err}
	}
}

// changedFields is the update for the fields the form changed, and only
// those: a field someone else changed meanwhile (or this session, through
// an action, before the list reloaded) keeps their value.
func changedFields(orig, v formValues) roster.UserUpdate {
	var upd roster.UserUpdate
	if username := roster.NormalizeUsername(v.username); username != roster.NormalizeUsername(orig.username) {
		upd.Username = &username
	}
	if name := strings.TrimSpace(v.name); name != strings.TrimSpace(orig.name) {
		upd.Name = &name
	}
	if email := strings.TrimSpace(v.email); email != strings.TrimSpace(orig.email) {
		upd.Email = &email
	}
	if v.role != orig.role {
		upd.Role = &v.role
	}
	if !slices.Equal(v.groups, orig.groups) {
		upd.Groups = &v.groups
	}
	if v.givenName != orig.givenName {
		upd.GivenName = &v.givenName
	}
	if v.surname != orig.surname {
		upd.Surname = &v.surname
	}
	return upd
}

func (s *formScreen) saved(msg formSavedMsg) (screen, tea.Cmd) {
	if msg.err != nil {
		s.err = roster.ErrorMessage(msg.err)
		s.build()
		return s, s.Init()
	}
	verb := " added"
	if s.edit != nil {
		verb = " saved"
	}
	text := "User " + msg.user.Username + verb
	focus := focusMsg{msg.user.ID} // for the list, which opened the form
	if msg.password != "" {        // a service account: its password, once
		return asks(s, focus, closeMsg{}, open(newShownPassword(s.c, msg.user, msg.password), nil), reloadMsg{}), nil
	}
	if s.edit == nil {
		s.c.lastChoice = s.v.choice
	}
	if msg.invited {
		text += " and invited"
	} else if msg.inviteErr != nil {
		return asks(s, focus, closeMsg{}, say(text+", but the invitation was not sent: "+plainErr(msg.inviteErr).Error(), true), reloadMsg{}), nil
	}
	if s.v.choice == choiceAnother {
		role, groups := s.v.role, s.v.groups
		*s.v = formValues{role: role, groups: groups}
		s.orig = *s.v
		s.err = ""
		s.build()
		return asks(s, focus, say(text+"; add another", false), reloadMsg{}), s.Init()
	}
	if s.v.choice == choiceView {
		d := newDetailsScreen(s.c, msg.user.ID)
		return asks(s, focus, closeMsg{}, open(d, d.loadCmd()), say(text, false), reloadMsg{}), nil
	}
	return asks(s, focus, closeMsg{}, say(text, false), reloadMsg{}), nil
}

// View implements screen.
func (s *formScreen) View() string {
	st := s.c.Styles.App
	if s.discard {
		return s.c.overlay(s.formView(), s.c.box(st.DialogTitle.Render("Discard what you typed?")+"\n\n"+
			st.Key.Render("y")+" discard    "+st.Key.Render("n")+" keep editing"))
	}
	return s.formView()
}

func (s *formScreen) formView() string {
	st := s.c.Styles.App
	title := "Add new user"
	if s.v.kind == roster.KindService {
		title = "Add new service account"
	}
	if s.edit != nil {
		title = "Edit " + s.edit.Username
	}
	var b strings.Builder
	b.WriteString(st.DialogTitle.Render(title))
	if s.saving {
		b.WriteString(st.Muted.Render("  saving…"))
	}
	b.WriteString("\n")
	if s.err != "" {
		b.WriteString(st.Error.Render("✗ "+s.err) + "\n")
	}
	for _, err := range s.shownErrors() {
		b.WriteString(s.c.Styles.Form.Invalid.Render("✗ "+err.Error()) + "\n")
	}
	b.WriteString("\n")
	b.WriteString(s.form.View())
	return lipgloss.NewStyle().PaddingLeft(2).Render(b.String())
}

// onlyGroup returns the name of the one ordinary group, when there is
// exactly one: a new user is put in it by default. The built-in
// directory-readers group, for the office apps' service accounts, never
// counts.
func onlyGroup(c *Common) string {
	if c.snap == nil {
		return ""
	}
	name := ""
	for _, g := range c.snap.groups {
		if g.Name == roster.DirectoryReaders {
			continue
		}
		if name != "" {
			return ""
		}
		name = g.Name
	}
	return name
}
