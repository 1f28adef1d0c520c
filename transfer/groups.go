package transfer

import (
	"bufio"
	"encoding/json"
	"fmt"

	"github.com/roster-dev/roster"
)

// The groups section (roster.GroupRecord): a JSON export written with
// ExportOptions.Groups is an object {"groups": […], "users": […]}; an
// import of one creates the missing groups, nests them in their parents
// and makes their managers (store.ImportOptions.Groups). CSV has no such
// section.

// writeJSONWithGroups writes the object form: the groups section, then the
// users array as writeJSON writes it.
func writeJSONWithGroups(w *bufio.Writer, groups []roster.GroupRecord, users []*roster.User, groupName func(uint64) string) error {
	section, err := json.MarshalIndent(groups, "  ", "  ")
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "{\n  \"groups\": %s,\n  \"users\": ", section); err != nil {
		return err
	}
	if err := writeJSON(w, users, groupName); err != nil {
		return err
	}
	_, err = w.WriteString("}\n")
	return err
}

// planGroupSection registers the section's groups as known to the rows
// (they exist by the time the users are written) and returns its
// problems: names the form refuses, parents and managers that name
// nothing known.
func (p *planner) planGroupSection(section []roster.GroupRecord) []Problem {
	var problems []Problem
	inSection := map[string]bool{}
	for _, g := range section {
		if err := roster.ValidateGroupName(g.Name); err != nil {
			problems = append(problems, Problem{Field: "groups", Reason: fmt.Sprintf("groups section: %q: %s", shorten(g.Name, maxEchoLen), roster.ErrorMessage(err))})
			continue
		}
		if err := roster.ValidateDescription(g.Description); err != nil {
			problems = append(problems, Problem{Field: "groups", Reason: fmt.Sprintf("groups section: %s: %s", g.Name, roster.ErrorMessage(err))})
		}
		key := roster.NormalizeGroupName(g.Name)
		inSection[key] = true
		if _, ok := p.groups[key]; !ok {
			p.groups[key] = &roster.Group{Name: g.Name}
			p.sectionNew = append(p.sectionNew, g.Name)
		}
	}
	for _, g := range section {
		for _, parent := range g.Parents {
			if _, ok := p.groups[roster.NormalizeGroupName(parent)]; !ok {
				problems = append(problems, Problem{Field: "groups", Reason: fmt.Sprintf("groups section: %s is nested in %q, which is neither in the section nor in the database", g.Name, shorten(parent, maxEchoLen))})
			}
		}
	}
	return problems
}

// checkManagers reports the section's managers who are neither users of
// the database nor users the file creates.
func (p *planner) checkManagers(section []roster.GroupRecord, rows []Row) []Problem {
	created := map[string]bool{}
	for i := range rows {
		if rows[i].Action == ActionCreate || rows[i].Action == ActionUpdate {
			created[rows[i].User.Username] = true
		}
	}
	var problems []Problem
	for _, g := range section {
		for _, m := range g.Managers {
			name := roster.NormalizeUsername(m)
			if p.byUsername[name] == nil && !created[name] {
				problems = append(problems, Problem{Field: "groups", Reason: fmt.Sprintf("groups section: the manager %q of %s is no user of the database or of the file", shorten(m, maxEchoLen), g.Name)})
			}
		}
	}
	return problems
}

// sectionSummary says what the groups section does, for the report.
func (r *Report) sectionSummary() string {
	nestings, managers := 0, 0
	for _, g := range r.Groups {
		nestings += len(g.Parents)
		managers += len(g.Managers)
	}
	return fmt.Sprintf("Groups section: %s (%d to create), %s, %s",
		plural(len(r.Groups), "group"), len(r.SectionGroupsToCreate), plural(nestings, "nesting"), plural(managers, "manager"))
}
