package tui

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/roster-dev/roster"
)

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
