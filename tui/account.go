package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// AccountModel is the whole app for a member signed in over SSH: "My
// account", with their details, groups, last sign-ins and SSH keys (add,
// remove), and "send me a password reset link". Members administer
// nothing, so it offers nothing else; the store refuses the rest anyway.
type AccountModel struct {
	db       *store.DB
	actor    roster.Actor
	services Services
	now      func() time.Time
	styles   *Styles
	cells    cells // how the terminal counts cells
	keys     accountKeys
	help     help.Model
	w, h     int

	data    *accountData
	loading bool
	loadErr error

	keysP  *keysPanel  // the member's own keys
	mode   accountMode // what the keyboard is doing, besides the keys panel
	status statusMsg
	busy   bool // a reset request is on its way
}

type accountMode int

const (
	accountBrowse accountMode = iota
	accountReset              // confirming a reset link
)

type accountKeys struct {
	Reset, Quit, Yes, No key.Binding
}

// accountData is what the screen shows, read in one go.
type accountData struct {
	user    *roster.User
	groups  []string
	logins  []roster.AuditEvent
	keys    []*store.SSHKey
	changes uint64
}

type (
	accountLoadedMsg struct {
		data *accountData
		err  error
	}
	accountTickMsg    struct{}
	accountChangesMsg struct{ n uint64 }
	accountDoneMsg    struct {
		text string
		err  error
	}
)

// accountLogins is how many recent sign-ins the screen lists.
const accountLogins = 5

// NewAccount returns the app of a member: My account. Options.DB and
// Options.Actor are required; Services.RequestReset, when set, offers the
// reset link.
func NewAccount(o Options) *AccountModel {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	m := &AccountModel{db: o.DB, actor: o.Actor, services: o.Services, now: now,
		styles: NewStyles(o.DarkBackground), help: help.New(), loading: true}
	m.help.Styles = m.styles.Help
	m.keys = accountKeys{
		Reset: kb("r", "send me a password reset link", "r"),
		Quit:  kb("q", "quit", "q", "ctrl+c"),
		Yes:   kb("y", "yes", "y"),
		No:    kb("n/esc", "no", "n", "esc"),
	}
	m.keys.Reset.SetEnabled(o.Services.RequestReset != nil)
	m.keysP = newKeysPanel(o.DB, o.Actor, o.Actor.UserID)
	return m
}

// Init implements tea.Model: it asks for the background and loads.
func (m *AccountModel) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.loadCmd(), accountTick())
}

func accountTick() tea.Cmd {
	return tea.Tick(PollInterval, func(time.Time) tea.Msg { return accountTickMsg{} })
}

// loadCmd reads the member's record, groups, sign-ins and keys.
func (m *AccountModel) loadCmd() tea.Cmd {
	db, actor := m.db, m.actor
	return func() tea.Msg {
		d := &accountData{}
		var err error
		if d.changes, err = db.Changes(); err != nil {
			return accountLoadedMsg{err: err}
		}
		if d.user, err = db.User(actor, actor.UserID); err != nil {
			return accountLoadedMsg{err: err}
		}
		groups, err := db.Groups(actor)
		if err != nil {
			return accountLoadedMsg{err: err}
		}
		for _, g := range groups {
			if d.user.InGroup(g.ID) {
				d.groups = append(d.groups, g.Name)
			}
		}
		evs, err := db.AuditEvents(actor, store.AuditFilter{UserID: actor.UserID, Search: roster.ActionLogin, Limit: 4 * accountLogins})
		if err != nil {
			return accountLoadedMsg{err: err}
		}
		for _, ev := range evs {
			if (ev.Action == roster.ActionLogin || ev.Action == roster.ActionLoginRefused) && len(d.logins) < accountLogins {
				d.logins = append(d.logins, ev)
			}
		}
		if d.keys, err = db.Keys(actor, actor.UserID); err != nil {
			return accountLoadedMsg{err: err}
		}
		return accountLoadedMsg{data: d}
	}
}

// Update implements tea.Model.
func (m *AccountModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.keysP.setWidth(msg.Width)
	case tea.BackgroundColorMsg:
		m.styles = NewStyles(msg.IsDark())
		m.help.Styles = m.styles.Help
	case tea.ModeReportMsg:
		// As the root model: a terminal with Unicode mode 2027 counts cells
		// by grapheme cluster, and so does the renderer.
		if msg.Mode == ansi.ModeUnicodeCore && (msg.Value == ansi.ModeSet || msg.Value == ansi.ModeReset || msg.Value == ansi.ModePermanentlySet) {
			m.cells.graphemes = true
		}
	case accountTickMsg:
		if m.loading {
			return m, accountTick()
		}
		db := m.db
		return m, tea.Batch(accountTick(), func() tea.Msg {
			n, err := db.Changes()
			if err != nil {
				return nil
			}
			return accountChangesMsg{n: n}
		})
	case accountChangesMsg:
		if m.data != nil && msg.n != m.data.changes && !m.loading {
			m.loading = true
			return m, m.loadCmd()
		}
	case accountLoadedMsg:
		m.loading = false
		m.loadErr = msg.err
		if msg.err == nil {
			m.data = msg.data
			m.keysP.setKeys(m.data.keys)
		}
	case accountDoneMsg:
		m.busy = false
		m.status = statusMsg{text: msg.text, err: msg.err != nil}
		if msg.err != nil {
			m.status.text = roster.ErrorMessage(msg.err)
			return m, nil
		}
		m.loading = true
		return m, m.loadCmd()
	case keysDoneMsg:
		m.keysP.done()
		return m.Update(accountDoneMsg{text: msg.text, err: msg.err})
	case tea.PasteMsg:
		return m, m.keysP.paste(msg)
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return m, nil
}

// key answers a key press according to the mode.
func (m *AccountModel) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if msg.String() == "ctrl+c" {
		return m, tea.Quit
	}
	if m.keysP.takesText() {
		cmd, _ := m.keysP.key(msg)
		return m, cmd
	}
	if m.mode == accountReset {
		m.mode = accountBrowse
		if !key.Matches(msg, k.Yes) {
			return m, nil
		}
		m.busy = true
		send, email := m.services.RequestReset, m.data.user.Email
		return m, func() tea.Msg {
			if err := send(email); err != nil {
				return accountDoneMsg{err: err}
			}
			return accountDoneMsg{text: "A password reset link is on its way to " + email}
		}
	}
	m.status = statusMsg{}
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case m.data == nil || m.busy:
	case m.keysP.handles(msg):
		cmd, _ := m.keysP.key(msg)
		return m, cmd
	case key.Matches(msg, k.Reset) && m.services.RequestReset != nil:
		if u := m.data.user; u.Suppressed {
			m.status = statusMsg{text: "mail to " + u.Email + " bounced, so none is sent; ask an administrator to check your address", err: true}
			return m, nil
		}
		m.mode = accountReset
	}
	return m, nil
}

// View implements tea.Model.
func (m *AccountModel) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "Roster · My account"
	return v
}

func (m *AccountModel) render() string {
	if m.w == 0 {
		return ""
	}
	st := m.styles
	if m.w < MinWidth || m.h < MinHeight {
		return lipgloss.NewStyle().MaxWidth(m.w).MaxHeight(m.h).Render("Terminal too small")
	}
	header := st.App.Title.Render("Roster") + " " + st.App.Path.Render("My account · "+m.actor.Name)
	var body string
	switch {
	case m.data == nil && m.loadErr != nil:
		body = st.App.Error.Render("Cannot read your account: " + roster.ErrorMessage(m.loadErr))
	case m.data == nil:
		body = st.App.Muted.Render("Loading…")
	default:
		body = m.body()
	}
	status := ""
	switch {
	case m.status.text != "" && m.status.err:
		status = st.App.Error.Render("✗ " + m.status.text)
	case m.status.text != "":
		status = st.App.Success.Render("✓ " + m.status.text)
	case m.loadErr != nil:
		status = st.App.Error.Render("✗ " + roster.ErrorMessage(m.loadErr))
	case m.busy || m.keysP.busy:
		status = st.App.Muted.Render("saving…")
	}
	bodyH := m.h - 4 // header, blank line, status, help
	return header + "\n\n" + m.cells.clip(body, m.w, bodyH) + "\n" + lipgloss.NewStyle().MaxWidth(m.w).Render(status) + "\n" + m.help.View(m.helpKeys())
}

// body draws the details, sign-ins and keys, and the prompt of the mode.
func (m *AccountModel) body() string {
	st, d, u := m.styles, m.data, m.data.user
	now := m.now()
	when := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02 15:04") + st.App.Muted.Render("  ("+agoText(now, t)+")")
	}
	width := max(20, m.w-4) // what a line may take after its indent
	var lines []string
	field := func(label, value string) {
		lines = append(lines, "  "+st.App.Muted.Render(padRight(label, 12))+value)
	}
	name, _ := m.cells.safe(u.Name)
	email, _ := m.cells.safe(u.Email)
	lines = append(lines, "  "+st.App.DialogTitle.Render(name)+"  "+st.List.Badge[u.Status.String()].Render(u.Status.String()))
	field("Username", u.Username)
	field("E-mail", email)
	field("Role", u.Role.String())
	groups := strings.Join(d.groups, ", ")
	if groups == "" {
		groups = "—"
	}
	field("Groups", groups)
	field("Last login", when(u.LastLoginAt))
	if u.Status != roster.StatusActive {
		lines = append(lines, "  "+st.App.Error.Render("Your account is "+u.Status.String()+": changes are refused."))
	}

	lines = append(lines, "", "  "+st.App.DialogTitle.Render("Last sign-ins"))
	if len(d.logins) == 0 {
		lines = append(lines, "  "+st.App.Muted.Render("none recorded"))
	}
	for _, ev := range d.logins {
		what, w := m.cells.safe(strings.TrimPrefix(ev.Details, "via "))
		t := ev.Time.Local().Format("2006-01-02 15:04:05")
		label, labelW := "", 0
		if ev.Action == roster.ActionLoginRefused {
			label, labelW = st.App.Warn.Render("refused")+" ", 8
		}
		what = m.cells.fit(what, w, max(10, width-len(t)-2-labelW))
		lines = append(lines, "  "+st.App.Muted.Render(t)+"  "+label+what)
	}

	lines = append(lines, "", "  "+st.App.DialogTitle.Render("SSH keys"))
	lines = append(lines, m.keysP.lines(st, m.cells, now, width, "your")...)

	switch m.mode {
	case accountReset:
		lines = append(lines, "", "  "+st.App.Warn.Render("Send a password reset link to "+email+"? y/n"))
	}
	return strings.Join(lines, "\n")
}

// helpKeys are the keys of the current mode, for the footer.
func (m *AccountModel) helpKeys() help.KeyMap {
	k := m.keys
	switch {
	case m.keysP.takesText():
		return keyMap{short: m.keysP.helpKeys()}
	case m.mode == accountReset:
		return keyMap{short: []key.Binding{k.Yes, k.No}}
	}
	return keyMap{short: append(m.keysP.helpKeys(), k.Reset, k.Quit)}
}

// agoText says "just now" or "5m ago".
func agoText(now, t time.Time) string {
	if a := ago(now, t); a != "now" {
		return a + " ago"
	}
	return "just now"
}

// padRight pads an ASCII label to n cells.
func padRight(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}
