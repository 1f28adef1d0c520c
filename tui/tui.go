// Package tui is Roster's terminal app: a Bubble Tea v2 program whose root
// model routes between screens (the user list, the user form, the actions
// flow, groups, details, the audit log, help). It is built by New and holds
// no global state, so the SSH server can host one model per session.
package tui

import (
	"context"
	"runtime/debug"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Minimum terminal size; below it the app asks for a bigger window.
const (
	MinWidth  = 60
	MinHeight = 16
)

// PollInterval is how often the app looks at the store's change counter to
// notice changes made by other processes, unless the store pushes them
// (store.DB.Pushed: `roster serve` runs); then it reloads at each push and
// looks every PushedPollInterval only in case.
const (
	PollInterval       = 500 * time.Millisecond
	PushedPollInterval = 30 * time.Second
)

// Options configures a TUI model.
type Options struct {
	DB    *store.DB    // required
	Actor roster.Actor // who the session acts as (audited, powers checked by the store)

	// Services are optional features; a nil hook hides what needs it.
	Services Services

	// Actions are appended to the actions menu after the built-in ones.
	Actions []Action

	// Shared, when set, is the loaded data several sessions on the same
	// database share (see NewShared); nil loads privately.
	Shared *Shared

	// Preloaded, when set, is the first load, started by Preload before
	// the terminal was set up (it must be DB's, as Actor).
	Preloaded *Preloaded

	// DarkBackground is the initial guess until the terminal answers the
	// background colour query; true suits most terminals.
	DarkBackground bool

	// Now is the clock for relative times; nil means time.Now.
	Now func() time.Time

	// PushedPoll replaces PushedPollInterval when set (tests make it long
	// to prove that a change arrives by push).
	PushedPoll time.Duration
}

// Services are optional hooks other parts of Roster plug in. A nil field
// means the feature is absent: its actions and keys are hidden.
type Services struct {
	// RequestReset queues a reset link to an active user's own address (My account).
	RequestReset func(email string) error

	// Mail, when set, is the mail system (*mail.Mailer implements it) and
	// the one way the app invites: the invitation and reset actions follow
	// their mail with a progress bar and a summary, the forms invite on
	// save, the Mailbox screen (M) opens, and the header says where mail
	// goes. Without it the app offers no invitation. See invite.go.
	Mail Mailer
	// LinkTTL is how long a set-password link stays valid (0: the store's default).
	LinkTTL time.Duration
	// MailStopped, when set, reports why the mail worker stopped before the
	// app did (nil while it runs). The app asks it every PollInterval and
	// then says in the header, the status line and the sending progress
	// that mail is not being sent.
	MailStopped func() error
	// Site says where the invitation site is served, for the header
	// ("http://127.0.0.1:8080", "served by another roster process"); "" says
	// nothing. Starting with SiteBroken, it is a warning: links will not work.
	Site string
	// CheckSettings, when set, runs the checks of `roster doctor` with the
	// app's settings; the Check settings screen (D) shows its report. It
	// is called off the Update loop and may take seconds.
	CheckSettings func(ctx context.Context) []SettingsCheck
}

// SiteBroken starts Services.Site when the links in mail will not work
// (another program holds the site's address).
const SiteBroken = "⚠ "

// Model is the root model: it owns global keys, the header, the footer and
// the loading and error state. It gives input (keys, paste, mouse) to the
// active screen only, the results of a screen's commands to that screen,
// and size, colour and data changes to every screen (route.go).
type Model struct {
	c        *Common
	shared   *Shared
	base     screen       // the screen under the stack: the user list or My account
	users    *usersScreen // the user list; nil in My account
	stack    []layer      // screens over the base, the active one last
	nextID   int          // the last screen id given
	help     help.Model
	status   statusMsg
	loading  bool
	again    bool // load again when the running load is in
	loadErr  error
	ready    bool // first snapshot arrived
	quitting bool
	askQuit  bool          // ctrl+c while a screen holds unsaved input: asking first
	backup   backupMsg     // the last backup, for the header
	helpMemo memo          // the help line as drawn
	pushPoll time.Duration // Options.PushedPoll

	preloaded *Preloaded // the first load, when started before the app
}

// Preloaded is a first load started early (see Preload).
type Preloaded struct{ done chan loadedMsg }

// Preload starts loading what the app shows first, so that the load runs
// while the rest of the program and the terminal are set up; give the
// result to Options.Preloaded. It is for a process of its own (the
// terminal app's): the garbage collector is off while the load runs,
// since nearly everything the load allocates is kept (at a million users
// the collections cost a quarter of a second of CPU and free nothing).
func Preload(db *store.DB, actor roster.Actor) *Preloaded {
	p := &Preloaded{done: make(chan loadedMsg, 1)}
	go func() {
		gc := debug.SetGCPercent(-1)
		msg := loadFor(db, nil, actor)
		debug.SetGCPercent(gc)
		p.done <- msg
	}()
	return p
}

// New returns the root model for one session.
func New(o Options) *Model {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	c := &Common{
		Styles:   NewStyles(o.DarkBackground),
		Global:   NewGlobalKeys(),
		DB:       o.DB,
		Actor:    o.Actor,
		Services: o.Services,
		Now:      now,
	}
	// The lifecycle actions come last, so the menu's numbers stay as they were.
	c.Actions = append(append(builtinActions(o.Services), o.Actions...), lifecycleActions()...)
	c.launchers = builtinLaunchers(c)
	m := &Model{c: c, help: help.New(), shared: o.Shared, pushPoll: o.PushedPoll, preloaded: o.Preloaded}
	if m.pushPoll <= 0 {
		m.pushPoll = PushedPollInterval
	}
	m.help.Styles = c.Styles.Help
	m.users = newUsersScreen(c)
	m.base = m.users
	return m
}

// Init implements tea.Model: it asks for the background colour and loads
// the data.
func (m *Model) Init() tea.Cmd {
	// Taken before the first load: a change during it wakes the watch.
	watch := m.watchCmd(m.c.DB.Changed(), false)
	if a, ok := m.base.(*accountScreen); ok {
		return tea.Batch(tea.RequestBackgroundColor, route(baseID, a.loadCmd()), tickCmd(), watch)
	}
	m.loading = true
	return tea.Batch(tea.RequestBackgroundColor, m.loadCmd(), tickCmd(), watch, backupCmd(m.c.DB))
}

type tickMsg struct{}

// watchMsg says it is time to read the change counter: a change was
// pushed, or the poll interval passed.
type watchMsg struct{}

// watchCmd waits for the store's news of a change (ch, taken before the
// counter was last read) or for the poll interval, whichever comes first.
// The poll is slow while changes are pushed, unless that read failed; a
// change of Pushed (serve started or gone) closes ch too.
func (m *Model) watchCmd(ch <-chan struct{}, failed bool) tea.Cmd {
	db, wait := m.c.DB, m.pushPoll
	return func() tea.Msg {
		if failed || !db.Pushed() {
			wait = PollInterval
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ch:
		case <-t.C:
		}
		return watchMsg{}
	}
}

func tickCmd() tea.Cmd {
	return tea.Tick(PollInterval, func(time.Time) tea.Msg { return tickMsg{} })
}

// loadedMsg carries a fresh snapshot, or the error that prevented it.
type loadedMsg struct {
	snap  *snapshot
	err   error
	actor roster.Actor // as the database has them now (scope.go)
}

// changesMsg carries the store's change counter, and the channel of news
// taken before it was read.
type changesMsg struct {
	n     uint64
	err   error
	watch <-chan struct{}
}

// loadCmd reads everything the screens show, off the Update loop. The
// first load is shown as soon as its first screenful is known; a reload
// comes with its default order built, so that the list, showing the
// whole order already, never waits for it on the Update loop.
func (m *Model) loadCmd() tea.Cmd {
	db, actor, shared, first := m.c.DB, m.c.Actor, m.shared, !m.ready
	if p := m.preloaded; p != nil && first {
		m.preloaded = nil
		return func() tea.Msg { return <-p.done }
	}
	return func() tea.Msg {
		msg := loadFor(db, shared, actor)
		if msg.snap != nil && !first {
			<-msg.snap.named
		}
		return msg
	}
}

// loadSnapshot reads the list in one transaction: the change counter it
// keeps is the one its users were read at, so a change landing after the
// load moves the counter past it and the next poll loads again.
func loadSnapshot(db *store.DB, actor roster.Actor) (*snapshot, error) {
	l, err := db.ListAllUsers(actor)
	if err != nil {
		return nil, err
	}
	return newSnapshot(l), nil
}

// namedMsg says that snap's default order is built (see snapshot.named).
type namedMsg struct{ snap *snapshot }

func namedCmd(snap *snapshot) tea.Cmd {
	return func() tea.Msg {
		<-snap.named
		return namedMsg{snap}
	}
}

func changesCmd(db *store.DB, shared *Shared) tea.Cmd {
	return func() tea.Msg {
		if shared != nil {
			return shared.changes()
		}
		watch := db.Changed()
		n, err := db.Changes()
		return changesMsg{n: n, err: err, watch: watch}
	}
}

func (m *Model) takesText() bool { return m.top().TakesText() }

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m, m.forwardAll(msg)
	case tea.ModeReportMsg:
		// A terminal with Unicode mode 2027 draws by grapheme clusters, and
		// Bubble Tea's renderer switches to count that way: so do we.
		if msg.Mode == ansi.ModeUnicodeCore && (msg.Value == ansi.ModeSet || msg.Value == ansi.ModeReset || msg.Value == ansi.ModePermanentlySet) {
			m.c.cells.graphemes = true
		}
		return m, nil
	case tea.BackgroundColorMsg:
		m.c.Styles = NewStyles(msg.IsDark())
		m.help.Styles = m.c.Styles.Help
		return m, m.forwardAll(msg)
	case tickMsg:
		m.checkMail()
		return m, tickCmd()
	case watchMsg:
		return m, changesCmd(m.c.DB, m.shared)
	case changesMsg:
		watch := m.watchCmd(msg.watch, msg.err != nil)
		if m.users == nil {
			return m, tea.Batch(m.send(baseID, msg), watch) // My account loads its own
		}
		// Reload when the counter moved, and keep trying after a failed
		// load (the file was busy or missing).
		stale := m.c.snap == nil || msg.n != m.c.snap.changes || m.loadErr != nil
		if msg.err == nil && stale {
			return m, tea.Batch(m.reload(), watch)
		}
		return m, watch
	case reloadMsg:
		return m, m.reload()
	case routedMsg:
		return m, m.routed(msg)
	case loadedMsg:
		return m, m.loaded(msg)
	case namedMsg:
		if m.users != nil {
			return m, m.send(baseID, msg)
		}
		return m, nil
	case backupMsg:
		m.backup = msg
		return m, nil
	case statusMsg:
		m.status = msg
		return m, nil
	case tea.KeyPressMsg:
		if cmd, ok := m.globalKey(msg); ok {
			return m, cmd
		}
		if m.status.text != "" {
			m.status = statusMsg{}
		}
		return m, m.forward(msg)
	case tea.PasteMsg, tea.MouseMsg, tea.KeyReleaseMsg:
		return m, m.forward(msg)
	}
	// The results of screens' commands come as routedMsg; anything else
	// (a message sent to the program from outside) goes to the active screen.
	return m, m.forward(msg)
}

// loaded takes in a load's result, and loads again when a change came
// while it ran.
func (m *Model) loaded(msg loadedMsg) tea.Cmd {
	m.loading = false
	m.loadErr = msg.err
	var again tea.Cmd
	if m.again {
		m.again = false
		again = m.reload()
	}
	if msg.err != nil {
		if again != nil {
			return again
		}
		return tea.Tick(PollInterval, func(time.Time) tea.Msg { return reloadMsg{} }) // try again soon, pushed or not
	}
	m.c.snap = msg.snap
	m.c.Actor = msg.actor
	m.ready = true
	return tea.Batch(m.forwardAll(dataMsg{}), backupCmd(m.c.DB), namedCmd(msg.snap), again)
}

// reload loads the data now; when a load is under way, once that one is
// in (it may have read the file before the change that asks for this
// one, and with changes pushed no poll would come for a long while).
func (m *Model) reload() tea.Cmd {
	if m.loading {
		m.again = true
		return nil
	}
	m.loading = true
	return m.loadCmd()
}

// checkMail notices, once, that the mail worker stopped: the header and
// the sending progress keep saying so (from Common.mailErr), and the
// status line says why.
func (m *Model) checkMail() {
	if m.c.mailErr != nil || m.c.Services.MailStopped == nil {
		return
	}
	if err := m.c.Services.MailStopped(); err != nil {
		m.c.mailErr = err
		m.status = statusMsg{text: mailStoppedText(err), err: true}
	}
}

// mailStoppedText says that mail is not sent, and why: the worker's own
// words, for the operator.
func mailStoppedText(err error) string {
	return "mail is not being sent: the mail worker stopped: " + err.Error()
}

// globalKey answers the keys the root owns.
func (m *Model) globalKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if m.askQuit {
		m.askQuit = false
		if k := msg.String(); k == "y" || k == "Y" || k == "ctrl+c" {
			m.quitting = true
			return tea.Quit, true
		}
		return nil, true
	}
	if msg.String() == "ctrl+c" {
		if m.unsaved() {
			m.askQuit = true
			return nil, true
		}
		m.quitting = true
		return tea.Quit, true
	}
	if m.tooSmall() {
		if msg.String() == "q" || msg.String() == "esc" {
			m.quitting = true
			return tea.Quit, true
		}
		return nil, true
	}
	if m.takesText() || !m.ready {
		if !m.ready && key.Matches(msg, m.c.Global.Quit) {
			return tea.Quit, true
		}
		return nil, false
	}
	g := m.c.Global
	switch {
	case key.Matches(msg, g.Quit) && len(m.stack) == 0:
		m.quitting = true
		return tea.Quit, true
	case msg.String() == "q":
		// One rule on every screen above the list: q goes back, as esc does.
		return m.forward(tea.KeyPressMsg{Code: tea.KeyEscape}), true
	case key.Matches(msg, g.Palette):
		return m.push(newPaletteScreen(m.c, m.top().Help()), nil), true
	case key.Matches(msg, g.Help):
		if _, ok := m.top().(*helpScreen); ok {
			m.pop()
			return nil, true
		}
		return m.push(newHelpScreen(m.c, m.top().Help()), nil), true
	}
	for _, l := range m.c.launchers {
		if key.Matches(msg, l.Key) {
			// The same key again on its own screen does nothing.
			if l.is(m.top()) {
				return nil, true
			}
			return m.push(l.open(m.c)), true
		}
	}
	return nil, false
}

// unsavedScreen is a screen that can hold typed input not yet saved.
type unsavedScreen interface{ Unsaved() bool }

// unsaved reports whether quitting now would lose something typed.
func (m *Model) unsaved() bool {
	if u, ok := m.base.(unsavedScreen); ok && u.Unsaved() {
		return true
	}
	for _, l := range m.stack {
		if u, ok := l.s.(unsavedScreen); ok && u.Unsaved() {
			return true
		}
	}
	return false
}

func (m *Model) tooSmall() bool {
	return m.c.Width < MinWidth || m.c.Height < MinHeight
}
