package tui

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/transfer"
)

// ExportAction is the actions menu's "Export…": it writes the selected
// users to a file. The terminal app adds it through Options.Actions; it is
// hidden over SSH, where the file would land on the server.
func ExportAction() Action {
	return Action{
		Label:  "Export…",
		Verb:   "exported",
		Hidden: func(c *Common) bool { return !c.Actor.IsLocal() },
		Open: func(c *Common, ids []uint64) (screen, tea.Cmd) {
			return newExportScreen(c, ids), nil
		},
	}
}

// exportScreen writes the chosen users to a file: CSV, or JSON for a name
// ending in .json, with the fields of `roster users list --json`.
type exportScreen struct {
	c     *Common
	ids   []uint64
	input textinput.Model
	busy  bool
	err   error
}

type exportDoneMsg struct {
	path string
	n    int
	err  error
}

// newExportScreen asks where to write the users with the given ids.
func newExportScreen(c *Common, ids []uint64) *exportScreen {
	in := textinput.New()
	in.Prompt = "File: "
	in.CharLimit = 4096
	name := "roster-users.csv"
	if dir, err := os.Getwd(); err == nil {
		name = filepath.Join(dir, name)
	}
	in.SetValue(name)
	in.SetWidth(max(20, c.Width-10))
	in.Focus()
	return &exportScreen{c: c, ids: ids, input: in}
}

// TakesText implements screen.
func (s *exportScreen) TakesText() bool { return s.c.Actor.IsLocal() }

// Help implements screen.
func (s *exportScreen) Help() help.KeyMap {
	return keyMap{short: []key.Binding{kb("enter", "write the file", "enter"), kb("esc", "cancel", "esc")}}
}

func (s *exportScreen) exportCmd(path string) tea.Cmd {
	db, actor, ids := s.c.DB, s.c.Actor, s.ids
	return func() tea.Msg {
		n, err := exportUsers(db, actor, ids, path)
		return exportDoneMsg{path: path, n: n, err: err}
	}
}

// exportUsers writes the users with the given ids, alphabetical by name.
func exportUsers(db *store.DB, actor roster.Actor, ids []uint64, path string) (int, error) {
	if err := db.May(actor, roster.OpExport, 0); err != nil {
		return 0, err
	}
	want := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	all, err := db.AllUsers(actor)
	if err != nil {
		return 0, err
	}
	users := make([]*roster.User, 0, len(ids))
	for _, u := range all {
		if want[u.ID] {
			users = append(users, u)
		}
	}
	store.SortUsers(users, roster.SortName, false)
	groups, err := db.Groups(actor)
	if err != nil {
		return 0, err
	}
	names := make(map[uint64]string, len(groups))
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	opts := transfer.ExportOptions{Format: transfer.FormatForPath(path)}
	return len(users), transfer.WriteFile(path, func(w io.Writer) error {
		return transfer.Export(w, users, func(id uint64) string { return names[id] }, opts)
	})
}

// Update implements screen.
func (s *exportScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case exportDoneMsg:
		s.busy = false
		if msg.err != nil {
			s.err = msg.err
			return s, nil
		}
		return asks(s, closeMsg{}, say("Exported "+xferPlural(msg.n, "user")+" to "+msg.path, false)), nil
	case tea.KeyPressMsg:
		if !s.c.Actor.IsLocal() || msg.String() == "esc" {
			return asks(s, closeMsg{}), nil
		}
		if s.busy {
			return s, nil
		}
		if msg.String() == "enter" {
			path := strings.TrimSpace(s.input.Value())
			if path == "" {
				return s, nil
			}
			if strings.HasPrefix(path, "~/") {
				if home, err := os.UserHomeDir(); err == nil {
					path = filepath.Join(home, path[2:])
				}
			}
			s.busy, s.err = true, nil
			return s, s.exportCmd(path)
		}
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	return s, cmd
}

// View implements screen.
func (s *exportScreen) View() string {
	st := s.c.Styles.App
	title := st.DialogTitle.Render("Export " + xferPlural(len(s.ids), "user"))
	if !s.c.Actor.IsLocal() {
		return title + "\n\n" + xferWrap(s.c.cells, localOnly, s.c.Width-2)
	}
	body := st.Muted.Render("CSV, or JSON for a name ending in .json; the fields of 'roster users list --json'.") + "\n\n" + s.input.View()
	switch {
	case s.busy:
		body += "\n\n" + st.Muted.Render("Writing…")
	case s.err != nil:
		body += "\n\n" + st.Error.Render(roster.ErrorMessage(s.err))
	}
	return title + "\n\n" + body
}

// xferBar draws done of total as a bar n cells wide, and the counts.
func xferBar(done, total, n int) string {
	n = max(10, n)
	filled := 0
	if total > 0 {
		filled = min(n, done*n/total)
	}
	return strings.Repeat("█", filled) + strings.Repeat("░", n-filled) + "  " + strconv.Itoa(done) + "/" + strconv.Itoa(total)
}

// xferFit cuts s to at most n cells.
func xferFit(k cells, s string, n int) string {
	s, w := k.safe(s)
	if w <= n {
		return s
	}
	return k.fit(s, w, n)
}

// xferWrap breaks text into lines of at most n cells at spaces.
func xferWrap(k cells, text string, n int) string {
	n = max(20, n)
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && k.safeWidth(line)+1+k.safeWidth(word) > n {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}

func xferPlural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
