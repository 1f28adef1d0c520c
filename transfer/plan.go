package transfer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/roster-dev/roster"
)

// OnDuplicate says what an import does with a row whose e-mail address
// belongs to a user who exists already.
type OnDuplicate uint8

// What to do with duplicates. Skip is the default: running the same import
// twice changes nothing the second time.
const (
	DuplicateSkip OnDuplicate = iota
	DuplicateUpdate
	DuplicateFail
)

// String returns the choice as the CLI spells it.
func (d OnDuplicate) String() string {
	switch d {
	case DuplicateUpdate:
		return "update"
	case DuplicateFail:
		return "fail"
	}
	return "skip"
}

// ParseOnDuplicate reads skip, update or fail; "" means skip.
func ParseOnDuplicate(s string) (OnDuplicate, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "skip":
		return DuplicateSkip, nil
	case "update":
		return DuplicateUpdate, nil
	case "fail":
		return DuplicateFail, nil
	}
	return 0, roster.FieldErrorf(roster.EINVALID, "on-duplicate", "unknown choice %q (want skip, update or fail)", s)
}

// Options steer an import.
type Options struct {
	OnDuplicate  OnDuplicate
	CreateGroups bool     // create the groups the file names that do not exist
	Groups       []string // every imported user joins these as well (--group)
	Source       string   // the file's name, for the report and the audit log
	// Actor, when set, has its powers checked in the preview, so a row it
	// may not write shows as a problem there. The store checks them again.
	Actor roster.Actor
}

// Action is what an import does with a row.
type Action uint8

// Actions.
const (
	ActionInvalid Action = iota
	ActionCreate
	ActionUpdate
	ActionSkip
)

// String returns the action as the preview shows it.
func (a Action) String() string {
	switch a {
	case ActionCreate:
		return "create"
	case ActionUpdate:
		return "update"
	case ActionSkip:
		return "skip"
	}
	return "invalid"
}

// Row is one data row of the file and what the import does with it.
type Row struct {
	Line   int
	Action Action
	// User holds the row's values as the form would take them (normalized).
	// For an update, fields the file leaves empty hold the user's values.
	User            roster.NewUser
	Status          roster.Status // 0 when the file gives none
	DerivedUsername bool          // the username was made from the e-mail
	Existing        *roster.User  // the user the e-mail names (update, skip)
	Problems        []Problem     // why the row is invalid
	Note            string        // why it is skipped

	setUsername, setRole, setGroups, setExpires bool
	setGivenName, setSurname                    bool // the file has the column (or JSON field)
}

// Existing is what the database holds that a plan checks rows against.
type Existing struct {
	Users  []*roster.User
	Groups []*roster.Group
}

// planner holds the indexes one plan uses.
type planner struct {
	opts       Options
	byEmail    map[string]*roster.User
	byUsername map[string]*roster.User
	groups     map[string]*roster.Group // by normalized name
	groupName  map[uint64]string
	newGroups  map[string]string // normalized → first spelling, groups to create
	missing    map[string]string // normalized → spelling, groups absent without CreateGroups
	sectionNew []string          // groups the file's groups section creates (groups.go)
	extra      []string          // --group, resolved
}

// Plan decides, row by row, what an import of sheet does to a database
// holding ex. It writes nothing.
func Plan(sheet *Sheet, ex Existing, opts Options) *Report {
	r := &Report{Source: opts.Source, Format: sheet.Format, Options: opts}
	r.FileProblems = append(r.FileProblems, sheet.Problems...)
	p := newPlanner(ex, opts)
	for _, g := range opts.Groups {
		name, problem := p.group(g)
		if problem != "" {
			r.FileProblems = append(r.FileProblems, Problem{Field: "groups", Reason: "--group " + problem})
		} else if !slices.Contains(p.extra, name) {
			p.extra = append(p.extra, name)
		}
	}
	if len(sheet.Problems) > 0 {
		return r
	}
	r.Groups = sheet.groups
	r.FileProblems = append(r.FileProblems, p.planGroupSection(sheet.groups)...)
	r.SectionGroupsToCreate = p.sectionNew
	var inputs []input
	if sheet.isJSON {
		inputs = jsonInputs(sheet.records)
	} else {
		layout, problems := readHeader(sheet.Header)
		r.Columns, r.Ignored = layout.Matched, layout.Ignored
		if len(problems) > 0 {
			r.FileProblems = append(r.FileProblems, problems...)
			return r
		}
		inputs = csvInputs(layout, sheet.Rows)
	}
	if len(inputs) == 0 {
		r.FileProblems = append(r.FileProblems, Problem{Reason: "the file names no users: it has a header but no rows below it"})
		return r
	}
	r.Rows = make([]Row, len(inputs))
	seenEmail := make(map[string]int, len(inputs))
	seenUsername := make(map[string]int, len(inputs))
	for i := range inputs {
		r.Rows[i] = p.row(&inputs[i], seenEmail, seenUsername)
	}
	p.deriveUsernames(r.Rows, ex.Users)
	r.FileProblems = append(r.FileProblems, p.checkManagers(sheet.groups, r.Rows)...)
	r.count(p)
	return r
}

func newPlanner(ex Existing, opts Options) *planner {
	p := &planner{
		opts:       opts,
		byEmail:    make(map[string]*roster.User, len(ex.Users)),
		byUsername: make(map[string]*roster.User, len(ex.Users)),
		groups:     make(map[string]*roster.Group, len(ex.Groups)),
		groupName:  make(map[uint64]string, len(ex.Groups)),
		newGroups:  map[string]string{},
		missing:    map[string]string{},
	}
	for _, u := range ex.Users {
		if u.Email == "" {
			p.byUsername[u.Username] = u // a service account without an address
			continue
		}
		p.byEmail[roster.NormalizeEmail(u.Email)] = u
		p.byUsername[u.Username] = u
	}
	for _, g := range ex.Groups {
		p.groups[roster.NormalizeGroupName(g.Name)] = g
		p.groupName[g.ID] = g.Name
	}
	return p
}

// group resolves a group name: the existing group's spelling, or the name
// to create. It returns a reason when the name is not usable.
func (p *planner) group(name string) (string, string) {
	name = strings.TrimSpace(name)
	if err := roster.ValidateGroupName(name); err != nil {
		return "", fmt.Sprintf("%q: %s", name, strings.TrimPrefix(roster.ErrorMessage(err), "group: "))
	}
	key := roster.NormalizeGroupName(name)
	if g, ok := p.groups[key]; ok {
		return g.Name, ""
	}
	if !p.opts.CreateGroups {
		return "", fmt.Sprintf("there is no group %q (create it first, or import with --create-groups)", name)
	}
	if first, ok := p.newGroups[key]; ok {
		return first, ""
	}
	p.newGroups[key] = name
	return name, ""
}

// deriveUsernames gives every new user without a username one made from
// the e-mail address, unique among the database's users and the file's.
func (p *planner) deriveUsernames(rows []Row, users []*roster.User) {
	names := newUsernames(len(users) + len(rows))
	for _, u := range users {
		names.take(u.Username)
	}
	for i := range rows {
		if rows[i].setUsername && rows[i].User.Username != "" {
			names.take(rows[i].User.Username)
		}
	}
	for i := range rows {
		row := &rows[i]
		if row.Action != ActionCreate || row.setUsername {
			continue
		}
		row.User.Username = names.unique(usernameBase(row.User.Email))
		row.DerivedUsername = true
		if err := roster.ValidateUsername(row.User.Username); err != nil {
			// Cannot happen with usernameBase's rules; keep the guard honest.
			row.Problems = append(row.Problems, Problem{Line: row.Line, Field: "username", Reason: roster.ErrorMessage(err)})
			row.Action = ActionInvalid
		}
	}
}

func appendMissing(list, extra []string) []string {
	for _, e := range extra {
		found := false
		for _, g := range list {
			if strings.EqualFold(g, e) {
				found = true
				break
			}
		}
		if !found {
			list = append(list, e)
		}
	}
	return list
}
