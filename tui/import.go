package tui

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// View implements screen.
func (s *importScreen) View() string {
	st := s.c.Styles.App
	title := st.DialogTitle.Render("Import users")
	if !s.c.Actor.IsLocal() {
		return title + "\n\n" + xferWrap(s.c.cells, localOnly, s.c.Width-2)
	}
	switch s.step {
	case importPick:
		return title + st.Muted.Render("  from a CSV file (comma, semicolon or tab; UTF-8) or a roster JSON export") + "\n" +
			st.Path.Render(s.picker.CurrentDirectory) + "\n\n" + s.picker.View()
	case importLoading:
		return title + "\n\n" + st.Muted.Render("Reading "+filepath.Base(s.path)+"…")
	case importConfirm:
		return title + "\n\n" + st.Dialog.Render(s.question()+"\n\n"+st.Key.Render("y")+" import   "+st.Key.Render("n")+" not now")
	case importRunning:
		total := s.report.Create + s.report.Update
		return title + "\n\n" + "Writing " + xferPlural(total, "user") + " in one transaction…\n\n" +
			xferBar(int(s.done.Load()), total, min(50, s.c.Width-20))
	case importDone:
		return title + "\n\n" + s.summaryView()
	}
	return title + "  " + st.Muted.Render(filepath.Base(s.path)) + "\n" + s.previewView()
}

func (s *importScreen) question() string {
	r := s.report
	q := "Create " + xferPlural(r.Create, "user")
	if roles := importRoles(r); roles != "" {
		q += " (" + roles + ")"
	}
	if r.Update > 0 {
		q += " and update " + xferPlural(r.Update, "user")
	}
	if n := len(r.GroupsToCreate); n > 0 {
		q += ", with " + xferPlural(n, "new group") + ","
	}
	q += " from " + filepath.Base(s.path) + "?"
	if s.invite {
		q += "\nThe new pending users get an invitation by e-mail."
	}
	if r.Invalid > 0 {
		q += "\n" + xferPlural(r.Invalid, "row") + " with problems will be left out."
	}
	return q
}

// importRoles counts the roles of the users an import creates, owners
// first ("1 owner, 1 admin, 3 members"): an import can make owners, and
// the question says so.
func importRoles(r *transfer.Report) string {
	counts := map[roster.Role]int{}
	for i := range r.Rows {
		if r.Rows[i].Action == transfer.ActionCreate {
			counts[rowRole(&r.Rows[i])]++
		}
	}
	var parts []string
	for i := len(roster.Roles) - 1; i >= 0; i-- {
		if n := counts[roster.Roles[i]]; n > 0 {
			parts = append(parts, xferPlural(n, roster.Roles[i].String()))
		}
	}
	return strings.Join(parts, ", ")
}

// rowRole is the role a row gives (member when the file names none).
func rowRole(row *transfer.Row) roster.Role {
	if row.User.Role == 0 {
		return roster.RoleMember
	}
	return row.User.Role
}

// roleCell draws a role, owners and admins marked: they hold powers.
func roleCell(st *Styles, role string, n int) string {
	cell := (cells{}).fit(role, len(role), n)
	if role == "owner" || role == "admin" {
		return st.App.Warn.Render(cell)
	}
	return cell
}

// keyHint says a problem in the terms of this screen: the CLI's flag is
// the c key here.
func keyHint(text string) string {
	return strings.NewReplacer("import with --create-groups", "press c to create missing groups",
		"--on-duplicate is fail", "duplicates is fail (d changes it)").Replace(text)
}

func (s *importScreen) summaryView() string {
	st := s.c.Styles.App
	if s.err != nil {
		return st.Error.Render("Nothing was imported.") + "\n\n" + xferWrap(s.c.cells, roster.ErrorMessage(s.err), s.c.Width-2)
	}
	lines := []string{st.Success.Render("Imported: " + s.result.Summary() + ".")}
	if s.invErr != nil {
		lines = append(lines, st.Error.Render("The invitations were not queued: "+roster.ErrorMessage(s.invErr)))
	} else if s.invite && len(s.invited.Changed)+len(s.invited.Skipped) > 0 {
		lines = append(lines, s.invited.Summary("invitations queued"))
	}
	if s.result.Invalid > 0 {
		lines = append(lines, st.Warn.Render("Left out "+xferPlural(s.result.Invalid, "row")+" with problems; fix them in the file and import it again."))
	}
	return strings.Join(lines, "\n")
}

func (s *importScreen) previewView() string {
	st := s.c.Styles
	r := s.report
	w := s.c.Width - 2
	var lines []string
	lines = append(lines, st.App.Muted.Render(xferFit(s.c.cells, r.Format+"; columns: "+strings.Join(r.Columns, ", "), w)))
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	opt := st.App.Key.Render("d") + " duplicates: " + r.Options.OnDuplicate.String() + "   " +
		st.App.Key.Render("c") + " create missing groups: " + yes(r.Options.CreateGroups)
	if s.inviter() != nil {
		opt += "   " + st.App.Key.Render("i") + " invite new users: " + yes(s.invite)
	}
	lines = append(lines, opt)
	totals := st.App.Success.Render("create "+strconv.Itoa(r.Create)) + "  update " + strconv.Itoa(r.Update) +
		"  skip " + strconv.Itoa(r.Skip) + "  " + st.App.Error.Render("invalid "+strconv.Itoa(r.Invalid))
	if len(r.GroupsToCreate) > 0 {
		totals += st.App.Muted.Render("   new groups: " + strings.Join(r.GroupsToCreate, ", "))
	}
	lines = append(lines, totals)
	if err := r.Blocked(); err != nil {
		lines = append(lines, st.App.Error.Render(xferFit(s.c.cells, keyHint(roster.ErrorMessage(err)), w)))
	}
	lines = append(lines, "")
	if len(r.FileProblems) > 0 {
		for _, p := range r.FileProblems {
			lines = append(lines, st.App.Error.Render("✗ ")+xferFit(s.c.cells, p.String(), w-2))
		}
		return strings.Join(lines, "\n")
	}
	return strings.Join(lines, "\n") + "\n" + s.tableView(w)
}

// tableView draws the visible rows (line, action mark, username, name,
// e-mail, groups or what is wrong) and, under them, the cursor row's
// problems in full.
func (s *importScreen) tableView(w int) string {
	st := s.c.Styles
	r := s.report
	const lineW, markW = 6, 2
	rest := max(20, w-lineW-markW-4)
	const roleW = 7
	rest -= roleW + 1
	userW, nameW, mailW := rest*15/100, rest*25/100, rest*30/100
	infoW := max(4, rest-userW-nameW-mailW)
	k := s.c.cells
	cell := func(v string, n int) string {
		v, vw := k.safe(v)
		return k.fit(v, vw, n)
	}
	header := k.fit("LINE", 4, lineW) + k.fit("", 0, markW) + k.fit("USERNAME", 8, userW) + " " + k.fit("NAME", 4, nameW) + " " +
		k.fit("E-MAIL", 6, mailW) + " " + k.fit("ROLE", 4, roleW) + " " + k.fit("GROUPS / PROBLEM", 16, infoW)
	lines := []string{st.List.Header.Render(header)}
	if len(s.shown) == 0 {
		return lines[0] + "\n" + st.List.Empty.Render("  no rows with problems")
	}
	h := s.tableHeight() - 2 // room for the cursor row's problems
	top := max(0, min(s.cursor-h/2, len(s.shown)-(h-1)))
	for i := top; i < len(s.shown) && i < top+h-1; i++ {
		row := &r.Rows[s.shown[i]]
		mark, style := "+", st.App.Success
		info := strings.Join(row.User.Groups, ", ")
		switch row.Action {
		case transfer.ActionUpdate:
			mark, style = "~", st.App.Warn
		case transfer.ActionSkip:
			mark, style, info = "–", st.App.Muted, row.Note
		case transfer.ActionInvalid:
			mark, style = "✗", st.App.Error
			var ps []string
			for _, p := range row.Problems {
				if p.Field != "" {
					ps = append(ps, p.Field+": "+p.Reason)
				} else {
					ps = append(ps, p.Reason)
				}
			}
			info = keyHint(strings.Join(ps, "; "))
		}
		role := ""
		if row.Action == transfer.ActionCreate || row.Action == transfer.ActionUpdate {
			role = rowRole(row).String()
		}
		username := row.User.Username
		if username == "" && row.Existing != nil {
			username = row.Existing.Username
		}
		if row.DerivedUsername {
			username += "*"
		}
		line := strconv.Itoa(row.Line)
		text := k.fit(line, len(line), lineW) + style.Render(k.fit(mark, 1, markW)) + cell(username, userW) + " " +
			cell(row.User.Name, nameW) + " " + cell(row.User.Email, mailW) + " " + roleCell(st, role, roleW) + " "
		if row.Action == transfer.ActionInvalid {
			text += st.App.Error.Render(cell(info, infoW))
		} else {
			text += cell(info, infoW)
		}
		if i == s.cursor {
			text = st.List.Cursor.Render(text)
		}
		lines = append(lines, text)
	}
	foot := st.App.Muted.Render(strconv.Itoa(s.cursor+1) + "/" + strconv.Itoa(len(s.shown)) + " rows   * username made from the e-mail")
	if row := &r.Rows[s.shown[s.cursor]]; len(row.Problems) > 0 {
		for _, p := range row.Problems {
			foot += "\n" + st.App.Error.Render("✗ ") + xferFit(s.c.cells, keyHint(p.String()), w-2)
		}
	}
	return strings.Join(lines, "\n") + "\n" + foot
}
