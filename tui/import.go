package tui

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/filepicker"
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/transfer"
)

// The import and export screens. Reading, checking and writing files is
// package transfer's work; these screens only show it.

// ImportKey opens the import screen.
var ImportKey = kb("I", "import", "I")

// importLaunchers returns the import screen's launcher for builtinLaunchers,
// or none over SSH: the screen reads files on the machine Roster runs on.
func importLaunchers(c *Common) []launcher {
	if !c.Actor.IsLocal() {
		return nil
	}
	return []launcher{{
		Key: ImportKey,
		open: func(c *Common) (screen, tea.Cmd) {
			s := newImportScreen(c)
			return s, s.Init()
		},
		is: func(s screen) bool { _, ok := s.(*importScreen); return ok },
	}}
}

// localOnly explains why the file screens are not offered over SSH: they
// read and write files on the machine Roster runs on, as its account.
const localOnly = "Files are read and written on the machine Roster runs on, so import and export are only " +
	"offered in the local app. Run 'roster import FILE' or 'roster export FILE' there."

type importStep int

const (
	importPick importStep = iota
	importLoading
	importPreview
	importConfirm
	importRunning
	importDone
)

// importScreen walks an import through: pick a file, preview every row with
// its problems, choose what happens to duplicates, confirm, watch the
// progress, read the summary.
type importScreen struct {
	c    *Common
	keys importKeys
	step importStep

	picker filepicker.Model
	path   string
	data   []byte // the file, read once; planned again when an option changes
	opts   transfer.Options
	invite bool
	seq    int // the latest preview asked for; older answers are dropped

	report       *transfer.Report
	shown        []int // indexes of report.Rows in the table
	onlyProblems bool
	cursor       int

	done    *atomic.Int64 // rows written so far, stored by the running import
	result  transfer.Result
	invited roster.BulkResult
	err     error // of the write
	invErr  error // of queuing the invitations
}

type importKeys struct {
	Up, Down, PageUp, PageDown, Problems, Duplicates, Groups, Invite, Import, Back, Yes, No, Close key.Binding
}

func newImportKeys() importKeys {
	return importKeys{
		Up:         kb("↑/k", "up", "up", "k"),
		Down:       kb("↓/j", "down", "down", "j"),
		PageUp:     kb("pgup", "page up", "pgup", "ctrl+u"),
		PageDown:   kb("pgdn", "page down", "pgdown", "ctrl+d"),
		Problems:   kb("p", "problem rows only", "p"),
		Duplicates: kb("d", "duplicates: skip/update/fail", "d"),
		Groups:     kb("c", "create missing groups", "c"),
		Invite:     kb("i", "invite new users", "i"),
		Import:     kb("enter", "import", "enter"),
		Back:       kb("esc/q", "back", "esc"),
		Yes:        kb("y/enter", "import", "y", "enter"),
		No:         kb("n/esc", "not now", "n", "esc"),
		Close:      kb("enter/esc", "close", "enter", "esc"),
	}
}

// Messages of the import screen.
type (
	importPreviewMsg struct {
		seq    int
		data   []byte
		report *transfer.Report
		err    error
	}
	importDoneMsg struct {
		result  transfer.Result
		err     error
		invited roster.BulkResult
		invErr  error
	}
	importTickMsg struct{}
)

func newImportScreen(c *Common) *importScreen {
	s := &importScreen{c: c, keys: newImportKeys(), done: &atomic.Int64{}}
	fp := filepicker.New()
	if dir, err := os.Getwd(); err == nil {
		fp.CurrentDirectory = dir
	}
	fp.AllowedTypes = []string{".csv", ".CSV", ".tsv", ".TSV", ".txt", ".TXT", ".json", ".JSON"}
	fp.AutoHeight = false
	fp.ShowPermissions = false
	fp.KeyMap.Back = kb("←/h", "up a folder", "left", "h", "backspace") // esc closes the screen
	st := c.Styles
	fp.Styles.Cursor, fp.Styles.Selected = st.App.Title, st.App.Title
	fp.Styles.Directory, fp.Styles.File = st.App.Key, lipgloss.NewStyle()
	fp.Styles.DisabledFile, fp.Styles.DisabledCursor, fp.Styles.DisabledSelected = st.App.Muted, st.App.Muted, st.App.Muted
	fp.Styles.FileSize = st.App.Muted.Width(7).Align(lipgloss.Right)
	fp.Styles.EmptyDirectory = st.App.Muted.PaddingLeft(2).SetString("No files here.")
	fp.SetHeight(max(3, c.bodyHeight()-6))
	s.picker = fp
	return s
}

// Init reads the starting folder.
func (s *importScreen) Init() tea.Cmd {
	if !s.c.Actor.IsLocal() {
		return nil
	}
	return s.picker.Init()
}

// TakesText implements screen: the file picker uses letters (g, G, h…),
// and a running import must not be left for another screen.
func (s *importScreen) TakesText() bool {
	return s.c.Actor.IsLocal() && (s.step == importPick || s.step == importRunning)
}

// Help implements screen.
func (s *importScreen) Help() help.KeyMap {
	k := s.keys
	switch {
	case !s.c.Actor.IsLocal():
		return keyMap{short: []key.Binding{k.Back}}
	case s.step == importPick:
		fk := s.picker.KeyMap
		return keyMap{short: []key.Binding{fk.Up, fk.Down, kb("enter", "open/choose", "enter"), fk.Back, kb("esc", "close", "esc")}}
	case s.step == importPreview:
		short := []key.Binding{k.Import, k.Duplicates, k.Groups, k.Problems}
		if s.inviter() != nil {
			short = append(short, k.Invite)
		}
		return keyMap{short: append(short, k.Down, k.Back)}
	case s.step == importConfirm:
		return keyMap{short: []key.Binding{k.Yes, k.No}}
	case s.step == importDone:
		return keyMap{short: []key.Binding{k.Close}}
	}
	return keyMap{}
}

// previewCmd reads the file (once) and plans its import with the current
// options, off the Update loop.
func (s *importScreen) previewCmd() tea.Cmd {
	s.seq++
	s.step = importLoading
	db, path, data, opts, seq := s.c.DB, s.path, s.data, s.opts, s.seq
	opts.Actor, opts.Source = s.c.Actor, path
	return func() tea.Msg {
		if data == nil {
			var err error
			if data, err = transfer.ReadFile(path); err != nil {
				return importPreviewMsg{seq: seq, err: err}
			}
		}
		r, err := transfer.Preview(db, opts.Actor, data, opts)
		return importPreviewMsg{seq: seq, data: data, report: r, err: err}
	}
}

// commitCmd writes the report's valid rows in one transaction and then,
// when asked, invites the new pending users.
func (s *importScreen) commitCmd() tea.Cmd {
	db, actor, report, done, invite := s.c.DB, s.c.Actor, s.report, s.done, s.invite
	inviteFn := s.inviter()
	return func() tea.Msg {
		res, err := transfer.Commit(db, actor, report, func(n, _ int) { done.Store(int64(n)) })
		msg := importDoneMsg{result: res, err: err}
		if err != nil || !invite || inviteFn == nil {
			return msg
		}
		var ids []uint64
		for _, u := range res.Created {
			if u.Status == roster.StatusPending {
				ids = append(ids, u.ID)
			}
		}
		if len(ids) > 0 {
			msg.invited, msg.invErr = inviteFn(actor, ids)
		}
		return msg
	}
}

// inviter returns how this app queues invitations (the mailer, or the
// plain invite hook), or nil when it cannot.
func (s *importScreen) inviter() func(roster.Actor, []uint64) (roster.BulkResult, error) {
	return s.c.inviter()
}

// importTick polls the progress of a running import: the write runs in
// one transaction and reports through an atomic counter.
func importTick() tea.Cmd {
	return tea.Tick(100*time.Millisecond, func(time.Time) tea.Msg { return importTickMsg{} })
}

// Update implements screen.
func (s *importScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	if !s.c.Actor.IsLocal() {
		if kp, ok := msg.(tea.KeyPressMsg); ok && key.Matches(kp, s.keys.Back) {
			return asks(s, closeMsg{}), nil
		}
		return s, nil
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		s.picker.SetHeight(max(3, s.c.bodyHeight()-6))
		return s, nil
	case importPreviewMsg:
		if msg.seq != s.seq {
			return s, nil
		}
		s.report, s.cursor = msg.report, 0
		if msg.err != nil {
			s.step = importPick // could not read it: choose again
			return asks(s, say(roster.ErrorMessage(msg.err), true)), nil
		}
		s.data, s.step = msg.data, importPreview
		s.filter()
		return s, nil
	case importTickMsg:
		if s.step == importRunning {
			return s, importTick()
		}
		return s, nil
	case importDoneMsg:
		s.step = importDone
		s.result, s.err, s.invited, s.invErr = msg.result, msg.err, msg.invited, msg.invErr
		if msg.err != nil {
			return asks(s, say("Nothing was imported: "+roster.ErrorMessage(msg.err), true)), nil
		}
		reload := func() tea.Msg { return reloadMsg{} }
		return asks(s, say("Imported: "+msg.result.Summary(), false)), reload
	case tea.KeyPressMsg:
		return s.key(msg)
	}
	if s.step == importPick {
		var cmd tea.Cmd
		s.picker, cmd = s.picker.Update(msg)
		return s, cmd
	}
	return s, nil
}

func (s *importScreen) key(msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := s.keys
	switch s.step {
	case importPick:
		if msg.String() == "esc" {
			return asks(s, closeMsg{}), nil
		}
		var cmd tea.Cmd
		s.picker, cmd = s.picker.Update(msg)
		if ok, path := s.picker.DidSelectFile(msg); ok {
			s.path, s.data = path, nil
			return s, tea.Batch(cmd, s.previewCmd())
		}
		if ok, path := s.picker.DidSelectDisabledFile(msg); ok {
			return asks(s, say(filepath.Base(path)+" is not a .csv, .tsv, .txt or .json file", true)), cmd
		}
		return s, cmd
	case importPreview:
		page := max(1, s.tableHeight()-3)
		last := max(0, len(s.shown)-1)
		switch {
		case key.Matches(msg, k.Back):
			s.step, s.report = importPick, nil
		case key.Matches(msg, k.Up):
			s.cursor = max(0, s.cursor-1)
		case key.Matches(msg, k.Down):
			s.cursor = min(last, s.cursor+1)
		case key.Matches(msg, k.PageUp):
			s.cursor = max(0, s.cursor-page)
		case key.Matches(msg, k.PageDown):
			s.cursor = min(last, s.cursor+page)
		case key.Matches(msg, k.Problems):
			s.onlyProblems = !s.onlyProblems
			s.filter()
		case key.Matches(msg, k.Duplicates):
			s.opts.OnDuplicate = (s.opts.OnDuplicate + 1) % 3
			return s, s.previewCmd()
		case key.Matches(msg, k.Groups):
			s.opts.CreateGroups = !s.opts.CreateGroups
			return s, s.previewCmd()
		case key.Matches(msg, k.Invite) && s.inviter() != nil:
			s.invite = !s.invite
		case key.Matches(msg, k.Import):
			if err := s.report.Blocked(); err != nil {
				return asks(s, say(roster.ErrorMessage(err), true)), nil
			}
			if s.report.Create+s.report.Update == 0 {
				return asks(s, say("Nothing to import: every user in the file exists already", false)), nil
			}
			s.step = importConfirm
		}
	case importConfirm:
		switch {
		case key.Matches(msg, k.Yes):
			s.step = importRunning
			s.done.Store(0)
			return s, tea.Batch(s.commitCmd(), importTick())
		case key.Matches(msg, k.No):
			s.step = importPreview
		}
	case importDone:
		if key.Matches(msg, k.Close) {
			return asks(s, closeMsg{}), nil
		}
	}
	return s, nil
}

// filter chooses the rows the table shows: all, or those with problems.
func (s *importScreen) filter() {
	s.shown = s.shown[:0]
	if s.report == nil {
		return
	}
	for i, row := range s.report.Rows {
		if !s.onlyProblems || row.Action == transfer.ActionInvalid {
			s.shown = append(s.shown, i)
		}
	}
	s.cursor = min(s.cursor, max(0, len(s.shown)-1))
}

func (s *importScreen) tableHeight() int { return max(5, s.c.bodyHeight()-8) }
