package transfer

import (
	"fmt"
	"slices"
	"strings"
	"time"

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

// input is a row's raw values, whichever format they came in.
type input struct {
	line                                int
	username, name, email, role, status string
	givenName, surname                  string
	hasGivenName, hasSurname            bool   // the file has the column (or JSON field)
	expires                             string // "" leaves it; "none" clears it
	kind                                string // "" is a person for a new row, leaves an existing one
	groups                              []string
	hasUsername, hasRole, hasGroups     bool
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

func csvInputs(l *Layout, rows []Record) []input {
	out := make([]input, len(rows))
	for i, rec := range rows {
		in := &out[i]
		in.line = rec.Line
		in.username = strings.TrimSpace(l.cell(rec.Fields, ColumnUsername))
		in.name = unescapeCell(strings.TrimSpace(l.cell(rec.Fields, ColumnName)))
		in.givenName = unescapeCell(strings.TrimSpace(l.cell(rec.Fields, ColumnFirstName)))
		in.surname = unescapeCell(strings.TrimSpace(l.cell(rec.Fields, ColumnLastName)))
		in.hasGivenName, in.hasSurname = l.Has(ColumnFirstName), l.Has(ColumnLastName)
		if in.name == "" {
			in.name = roster.JoinName(in.givenName, in.surname)
		}
		in.email = unescapeCell(strings.TrimSpace(l.cell(rec.Fields, ColumnEmail)))
		in.role = strings.TrimSpace(l.cell(rec.Fields, ColumnRole))
		in.status = strings.TrimSpace(l.cell(rec.Fields, ColumnStatus))
		in.expires = strings.TrimSpace(l.cell(rec.Fields, ColumnExpires))
		in.kind = strings.TrimSpace(l.cell(rec.Fields, ColumnKind))
		in.groups = splitGroups(l.cell(rec.Fields, ColumnGroups))
		in.hasUsername, in.hasRole, in.hasGroups = in.username != "", in.role != "", len(in.groups) > 0
	}
	return out
}

func jsonInputs(records []jsonRow) []input {
	out := make([]input, len(records))
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return strings.TrimSpace(*p)
	}
	for i, rec := range records {
		in := &out[i]
		in.line = rec.line
		in.username, in.name, in.email = str(rec.Username), str(rec.Name), str(rec.Email)
		in.givenName, in.surname = str(rec.GivenName), str(rec.Surname)
		in.hasGivenName, in.hasSurname = rec.GivenName != nil, rec.Surname != nil
		if in.name == "" {
			in.name = roster.JoinName(in.givenName, in.surname)
		}
		in.role, in.status, in.expires = str(rec.Role), str(rec.Status), str(rec.Expires)
		in.kind = str(rec.Kind)
		for _, g := range rec.Groups {
			in.groups = append(in.groups, splitGroups(g)...)
		}
		in.hasUsername, in.hasRole, in.hasGroups = in.username != "", in.role != "", len(in.groups) > 0
	}
	return out
}

// splitGroups splits a groups cell on ';', '|', ',' and line breaks, none
// of which a group name may hold.
func splitGroups(cell string) []string {
	if strings.TrimSpace(cell) == "" {
		return nil
	}
	parts := strings.FieldsFunc(cell, func(c rune) bool {
		return c == ';' || c == '|' || c == ',' || c == '\n' || c == '\r'
	})
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
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

// row checks one row's values with the form's rules and against the
// database and the rows before it.
func (p *planner) row(in *input, seenEmail, seenUsername map[string]int) Row {
	row := Row{Line: in.line}
	bad := func(field string, err error) {
		msg := roster.ErrorMessage(err)
		if f := roster.ErrorField(err); f != "" {
			msg = strings.TrimPrefix(msg, f+": ")
		}
		row.Problems = append(row.Problems, Problem{Line: in.line, Field: field, Reason: msg})
	}
	kind, err := roster.ParseKind(in.kind)
	if err != nil {
		bad("kind", err)
	}
	n := roster.NewUser{Username: in.username, Name: in.name, Email: in.email, GivenName: in.givenName, Surname: in.surname, Kind: kind}
	n.Normalize()
	service := kind == roster.KindService
	if service && n.Name == "" {
		n.Name = n.Username // as `roster users add --service` does
	}
	if in.hasUsername {
		if err := roster.ValidateUsername(n.Username); err != nil {
			bad("username", err)
		}
	} else if service && n.Email == "" {
		row.Problems = append(row.Problems, Problem{Line: in.line, Field: "username",
			Reason: "a service account without an e-mail address needs a username"})
	}
	if err := roster.ValidateName(n.Name); err != nil {
		bad("name", err)
	}
	emailOK := true
	if service && n.Email == "" {
		emailOK = false // no address: the username says who the row is
	} else if err := roster.ValidateEmail(n.Email); err != nil {
		bad("email", err)
		emailOK = false
	}
	role, err := roster.ParseRole(in.role)
	if err != nil {
		bad("role", err)
	}
	n.Role = role
	if in.status != "" {
		st, err := roster.ParseStatus(in.status)
		if err != nil {
			bad("status", err)
		}
		row.Status = st
	}
	if in.expires != "" {
		at, err := roster.ParseExpiry(in.expires, time.Local)
		if err != nil {
			bad("expires", err)
		}
		n.ExpiresAt, row.setExpires = at, true
	}
	// Group problems matter only for rows that are written: kept apart
	// until the row's action is known.
	var groupProblems []Problem
	var missing []string
	for _, g := range in.groups {
		name, problem := p.group(g)
		if problem != "" {
			groupProblems = append(groupProblems, Problem{Line: in.line, Field: "groups", Reason: problem})
			if roster.ValidateGroupName(strings.TrimSpace(g)) == nil {
				missing = append(missing, strings.TrimSpace(g))
			}
		} else if !slices.Contains(n.Groups, name) {
			n.Groups = append(n.Groups, name)
		}
	}
	row.User = n
	row.setUsername, row.setRole, row.setGroups = in.hasUsername, in.hasRole, in.hasGroups || len(p.extra) > 0
	row.setGivenName, row.setSurname = in.hasGivenName, in.hasSurname

	// Duplicates inside the file: the first row wins, later ones are shown.
	key := roster.NormalizeEmail(n.Email)
	if emailOK {
		if first, ok := seenEmail[key]; ok {
			row.Problems = append(row.Problems, Problem{Line: in.line, Field: "email", Reason: fmt.Sprintf("the same e-mail address as line %d", first)})
		} else {
			seenEmail[key] = in.line
		}
	}
	if in.hasUsername && roster.ValidateUsername(n.Username) == nil {
		if first, ok := seenUsername[n.Username]; ok {
			row.Problems = append(row.Problems, Problem{Line: in.line, Field: "username", Reason: fmt.Sprintf("the same username as line %d", first)})
		} else {
			seenUsername[n.Username] = in.line
		}
	}
	// Duplicates in the database: the e-mail address says who a row is,
	// or for a service account without one, its username.
	ex := p.byEmail[key]
	if key == "" {
		ex = nil
		if other := p.byUsername[n.Username]; other != nil && other.IsService() && other.Email == "" {
			ex = other
		}
	}
	if ex != nil && in.kind != "" && ex.Kind != kind {
		row.Problems = append(row.Problems, Problem{Line: in.line, Field: "kind",
			Reason: fmt.Sprintf("%s is a %s; a kind does not change", ex.Username, ex.Kind)})
	}
	if in.hasUsername {
		if other := p.byUsername[n.Username]; other != nil && other != ex {
			row.Problems = append(row.Problems, Problem{Line: in.line, Field: "username",
				Reason: fmt.Sprintf("username %s belongs to another user (%s)", n.Username, other.Email)})
		}
	}
	if ex != nil {
		row.Existing = ex
		if p.opts.OnDuplicate == DuplicateFail {
			row.Problems = append(row.Problems, Problem{Line: in.line, Field: "email",
				Reason: fmt.Sprintf("%s exists already as %s (--on-duplicate fail)", n.Email, ex.Username)})
		}
	}
	if len(row.Problems) == 0 && ex != nil && p.opts.OnDuplicate == DuplicateSkip {
		row.Action = ActionSkip
		row.Note = "exists already as " + ex.Username
		return row
	}
	row.Problems = append(row.Problems, groupProblems...)
	for _, g := range missing {
		if key := roster.NormalizeGroupName(g); p.missing[key] == "" {
			p.missing[key] = g
		}
	}
	if len(row.Problems) > 0 {
		row.Action = ActionInvalid
		return row
	}
	switch {
	case ex == nil:
		row.Action = ActionCreate
		row.User.Groups = appendMissing(row.User.Groups, p.extra)
		if p.opts.Actor.Role != 0 {
			if err := p.opts.Actor.May(roster.OpCreateUser, &roster.User{Role: n.Role}); err != nil {
				bad("role", err)
			}
		}
	default:
		row.Action = ActionUpdate
		p.planUpdate(&row, ex)
	}
	if len(row.Problems) == 0 && row.Action != ActionSkip {
		// The form's own check, on exactly what will be written.
		check := row.User
		if check.Username == "" {
			check.Username = "placeholder" // derived later, from rules that make it valid
		}
		if err := check.Validate(); err != nil {
			bad(roster.ErrorField(err), err)
		}
	}
	if len(row.Problems) > 0 {
		row.Action = ActionInvalid
	}
	return row
}

// planUpdate fills the fields the file leaves empty with the user's own
// values, and checks the actor's powers over the user.
func (p *planner) planUpdate(row *Row, ex *roster.User) {
	if !row.setUsername {
		row.User.Username = ex.Username
	}
	if !row.setRole {
		row.User.Role = ex.Role
	}
	if !row.setExpires {
		row.User.ExpiresAt = ex.ExpiresAt
	}
	if !row.setGivenName {
		row.User.GivenName = ex.GivenName
	}
	if !row.setSurname {
		row.User.Surname = ex.Surname
	}
	row.User.Kind = ex.Kind // a kind does not change (a different one is a problem above)
	if row.setGroups {
		if len(row.User.Groups) == 0 { // only --group: added to the user's groups
			for _, id := range ex.GroupIDs {
				row.User.Groups = append(row.User.Groups, p.groupName[id])
			}
		}
		row.User.Groups = appendMissing(row.User.Groups, p.extra)
	} else {
		row.User.Groups = nil
		for _, id := range ex.GroupIDs {
			row.User.Groups = append(row.User.Groups, p.groupName[id])
		}
	}
	if row.Status == roster.StatusPending && ex.Status != roster.StatusPending {
		row.Status = 0 // an account in use does not go back to pending
	}
	if p.opts.Actor.Role != 0 {
		if err := p.opts.Actor.May(roster.OpUpdateUser, ex); err != nil {
			row.Problems = append(row.Problems, Problem{Line: row.Line, Reason: roster.ErrorMessage(err)})
		} else if row.setRole && row.User.Role != ex.Role {
			if err := p.opts.Actor.May(roster.OpSetRole, &roster.User{Role: row.User.Role}); err != nil {
				row.Problems = append(row.Problems, Problem{Line: row.Line, Field: "role", Reason: roster.ErrorMessage(err)})
			}
		}
	}
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

// unescapeCell undoes the quote Export puts before a value a spreadsheet
// would run as a formula: "'=SUM(A1)" reads back as "=SUM(A1)".
func unescapeCell(s string) string {
	if isEscapedFormula(s) {
		return s[1:]
	}
	return s
}

// isEscapedFormula reports whether s is one or more quotes followed by a
// character that starts a formula.
func isEscapedFormula(s string) bool {
	t := strings.TrimLeft(s, "'")
	return len(t) < len(s) && t != "" && startsFormula(t)
}

func startsFormula(s string) bool {
	return s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0
}
