package transfer

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roster-dev/roster"
)

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
	if in.kind == "" && n.Email == "" {
		// No kind said and no address: a row naming a service account
		// that has none is that account's row (an export without the
		// kind column, a spreadsheet that dropped it).
		if other := p.byUsername[n.Username]; other != nil && other.IsService() && other.Email == "" {
			kind, n.Kind = roster.KindService, roster.KindService
		}
	}
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
