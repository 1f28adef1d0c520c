package transfer

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// Report is what an import would do, row by row, and what is wrong.
type Report struct {
	Source  string // the file's name
	Format  string // how it was read: "CSV, semicolon-separated, UTF-8 with BOM"
	Columns []string
	Ignored []string // header cells that name no column Roster knows
	Options Options

	// FileProblems are about the file as a whole (unreadable, no e-mail
	// column, a ragged row…): with any, nothing can be imported.
	FileProblems []Problem
	Rows         []Row

	GroupsToCreate []string // named in the file, missing, and to be created
	// Groups is the file's groups section (JSON only); SectionGroupsToCreate
	// the groups of it the database lacks.
	Groups                []roster.GroupRecord
	SectionGroupsToCreate []string
	MissingGroups         []string // named in the file, missing, and not to be created

	// Totals of the rows.
	Create, Update, Skip, Invalid int
	duplicates                    int // rows naming existing users, under --on-duplicate fail
}

func (r *Report) count(p *planner) {
	r.Create, r.Update, r.Skip, r.Invalid, r.duplicates = 0, 0, 0, 0, 0
	for i := range r.Rows {
		switch r.Rows[i].Action {
		case ActionCreate:
			r.Create++
		case ActionUpdate:
			r.Update++
		case ActionSkip:
			r.Skip++
		default:
			r.Invalid++
			if r.Rows[i].Existing != nil && r.Options.OnDuplicate == DuplicateFail {
				r.duplicates++
			}
		}
	}
	// Only the groups of rows to write are created.
	toCreate := map[string]string{}
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Action != ActionCreate && row.Action != ActionUpdate {
			continue
		}
		for _, g := range row.User.Groups {
			key := roster.NormalizeGroupName(g)
			if _, ok := p.newGroups[key]; ok {
				toCreate[key] = p.newGroups[key]
			}
		}
	}
	r.GroupsToCreate = sortedValues(toCreate)
	r.MissingGroups = sortedValues(p.missing)
}

func sortedValues(m map[string]string) []string {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// Problems returns every problem: the file's, then each invalid row's, in
// line order.
func (r *Report) Problems() []Problem {
	out := slices.Clone(r.FileProblems)
	for i := range r.Rows {
		out = append(out, r.Rows[i].Problems...)
	}
	return out
}

// Blocked returns why nothing can be written, or nil when the valid rows
// can be: the file cannot be read, rows name existing users under
// --on-duplicate fail, or no row is valid.
func (r *Report) Blocked() error {
	switch {
	case len(r.FileProblems) > 0:
		return roster.Errorf(roster.EINVALID, "the file cannot be imported (%s); nothing was written", plural(len(r.FileProblems), "problem"))
	case r.duplicates > 0:
		return roster.Errorf(roster.ECONFLICT, "%s name users who exist already and --on-duplicate is fail; nothing was written",
			plural(r.duplicates, "row"))
	case r.Invalid > 0 && r.Create+r.Update+r.Skip == 0:
		return roster.Errorf(roster.EINVALID, "no row is valid; nothing was written")
	}
	return nil
}

// StoreRows returns the rows to write, for store.Import.
func (r *Report) StoreRows() []store.ImportRow {
	rows := make([]store.ImportRow, 0, r.Create+r.Update)
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Action != ActionCreate && row.Action != ActionUpdate {
			continue
		}
		ir := store.ImportRow{Line: row.Line, User: row.User, Status: row.Status}
		if row.Action == ActionUpdate {
			ir.UpdateID = row.Existing.ID
			ir.SetUsername, ir.SetRole, ir.SetGroups = row.setUsername, row.setRole, row.setGroups
			ir.SetExpires, ir.SetNameParts = row.setExpires, row.setGivenName || row.setSurname
		}
		rows = append(rows, ir)
	}
	return rows
}

// Totals reads the counts as one line.
func (r *Report) Totals() string {
	return fmt.Sprintf("to create %d, to update %d, to skip %d, invalid %d", r.Create, r.Update, r.Skip, r.Invalid)
}

// maxListedSkips is how many skipped rows the text report names one by one.
const maxListedSkips = 20

// The report echoes what the file holds, which an attacker (or a broken
// export) makes as long as it likes: a 100,000-column header printed 800 KB.
// So it names at most this many items of a list and problems, each cut to
// maxEchoLen characters.
const (
	maxListedItems    = 20
	maxListedProblems = 100
	maxEchoLen        = 200
)

// shortList joins items with commas, at most maxListedItems of them, each
// shortened, and says how many it left out.
func shortList(items []string) string {
	n := min(len(items), maxListedItems)
	out := make([]string, 0, n+1)
	for _, it := range items[:n] {
		out = append(out, shorten(it, 40))
	}
	if len(items) > n {
		out = append(out, fmt.Sprintf("… and %d more", len(items)-n))
	}
	return strings.Join(out, ", ")
}

// shorten cuts s to at most max characters, ending with "…" when cut.
func shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// WriteText writes the report for a person to read: how the file was
// read, every problem with its line and field, the skipped rows, the
// groups to create and the totals.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	src := r.Source
	if src == "" {
		src = "the file"
	}
	fmt.Fprintf(bw, "Import of %s", src)
	if r.Format != "" {
		fmt.Fprintf(bw, " (%s)", r.Format)
	}
	if len(r.Rows) > 0 {
		fmt.Fprintf(bw, ": %s", plural(len(r.Rows), "row"))
	}
	fmt.Fprintln(bw)
	if len(r.Columns) > 0 {
		fmt.Fprintf(bw, "Columns: %s\n", shortList(r.Columns))
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintf(bw, "Ignored columns: %s\n", shortList(r.Ignored))
	}
	if problems := r.Problems(); len(problems) > 0 {
		fmt.Fprintf(bw, "Problems (%d):\n", len(problems))
		for i, p := range problems {
			if i == maxListedProblems {
				fmt.Fprintf(bw, "  … and %d more\n", len(problems)-i)
				break
			}
			fmt.Fprintf(bw, "  %s\n", shorten(p.String(), maxEchoLen))
		}
	}
	if r.Skip > 0 {
		if r.Skip <= maxListedSkips {
			fmt.Fprintln(bw, "Skipped (the users exist already; --on-duplicate update changes them):")
			for i := range r.Rows {
				if row := &r.Rows[i]; row.Action == ActionSkip {
					fmt.Fprintf(bw, "  line %d: %s %s\n", row.Line, row.User.Email, row.Note)
				}
			}
		} else {
			fmt.Fprintf(bw, "Skipped %s whose users exist already (--on-duplicate update changes them).\n", plural(r.Skip, "row"))
		}
	}
	if len(r.GroupsToCreate) > 0 {
		fmt.Fprintf(bw, "Groups to create: %s\n", shortList(r.GroupsToCreate))
	}
	if len(r.Groups) > 0 {
		fmt.Fprintln(bw, r.sectionSummary())
	}
	if len(r.MissingGroups) > 0 {
		fmt.Fprintf(bw, "Missing groups: %s (create them first, or import with --create-groups)\n", shortList(r.MissingGroups))
	}
	if len(r.FileProblems) == 0 {
		fmt.Fprintf(bw, "Totals: %s\n", r.Totals())
	}
	return bw.Flush()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
