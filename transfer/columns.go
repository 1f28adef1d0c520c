package transfer

import (
	"fmt"
	"strings"
	"unicode"
)

// Column is what an import understands a header column to hold.
type Column uint8

// Columns an import reads. ColumnIgnored covers the rest: the export's id
// and times, and anything else the office keeps in its spreadsheet.
const (
	ColumnIgnored Column = iota
	ColumnUsername
	ColumnName
	ColumnFirstName
	ColumnLastName
	ColumnEmail
	ColumnRole
	ColumnGroups
	ColumnStatus
	ColumnExpires
	ColumnKind
)

// String returns the column's name as reports show it.
func (c Column) String() string {
	switch c {
	case ColumnUsername:
		return "username"
	case ColumnName:
		return "name"
	case ColumnFirstName:
		return "first name"
	case ColumnLastName:
		return "last name"
	case ColumnEmail:
		return "email"
	case ColumnRole:
		return "role"
	case ColumnGroups:
		return "groups"
	case ColumnStatus:
		return "status"
	case ColumnExpires:
		return "expires"
	case ColumnKind:
		return "kind"
	}
	return "ignored"
}

// headerNames maps a header cell, squeezed by headerKey, to its column.
var headerNames = map[string]Column{
	"username": ColumnUsername, "user": ColumnUsername, "login": ColumnUsername,
	"loginname": ColumnUsername, "userid": ColumnUsername, "uid": ColumnUsername,
	"account": ColumnUsername, "accountname": ColumnUsername,

	"name": ColumnName, "fullname": ColumnName, "displayname": ColumnName,

	"firstname": ColumnFirstName, "first": ColumnFirstName, "givenname": ColumnFirstName,
	"forename": ColumnFirstName,

	"lastname": ColumnLastName, "last": ColumnLastName, "surname": ColumnLastName,
	"familyname": ColumnLastName,

	"email": ColumnEmail, "mail": ColumnEmail, "emailaddress": ColumnEmail,
	"mailaddress": ColumnEmail,

	"role": ColumnRole,

	"group": ColumnGroups, "groups": ColumnGroups,

	"status": ColumnStatus, "state": ColumnStatus,

	"expires": ColumnExpires, "expireson": ColumnExpires, "expiry": ColumnExpires,
	"disableon": ColumnExpires, "leavingdate": ColumnExpires,

	"kind": ColumnKind, "accountkind": ColumnKind, "accounttype": ColumnKind,
}

// knownIgnored are the export's columns an import leaves out on purpose:
// ids, times and uid numbers belong to the database that wrote the file
// (an import hands out numbers from its own range), and so, for now, does
// the login shell.
var knownIgnored = map[string]bool{
	"id": true, "createdat": true, "invitedat": true, "activatedat": true, "lastloginat": true,
	"uidnumber": true, "shell": true,
}

// headerKey squeezes a header cell for loose matching: lower case, letters
// and digits only ("E-Mail Address" → "emailaddress").
func headerKey(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Layout is how the header row was understood.
type Layout struct {
	index   [ColumnKind + 1]int // column → field index, -1 when absent
	Matched []string            // "E-Mail → email", for display
	Ignored []string            // header cells no column matched
}

// Has reports whether the file has the column.
func (l *Layout) Has(c Column) bool { return l.index[c] >= 0 }

// cell returns the row's value of column c, or "" when the file lacks it.
func (l *Layout) cell(fields []string, c Column) string {
	if i := l.index[c]; i >= 0 && i < len(fields) {
		return fields[i]
	}
	return ""
}

// readHeader matches header cells to columns. The problems are the
// file's: a column given twice, no e-mail column, no name.
func readHeader(header []string) (*Layout, []Problem) {
	l := &Layout{}
	for i := range l.index {
		l.index[i] = -1
	}
	var problems []Problem
	for i, cell := range header {
		key := headerKey(cell)
		c, ok := headerNames[key]
		if !ok {
			if !knownIgnored[key] && strings.TrimSpace(cell) != "" {
				l.Ignored = append(l.Ignored, strings.TrimSpace(cell))
			}
			continue
		}
		if j := l.index[c]; j >= 0 {
			problems = append(problems, Problem{Line: 1, Reason: fmt.Sprintf(
				"columns %q and %q both look like the %s column; rename or remove one", header[j], cell, c)})
			continue
		}
		l.index[c] = i
		l.Matched = append(l.Matched, fmt.Sprintf("%s → %s", strings.TrimSpace(cell), c))
	}
	if !l.Has(ColumnEmail) {
		problems = append(problems, Problem{Line: 1, Reason: fmt.Sprintf(
			"no e-mail column: the first row must name the columns, one of them \"email\", \"e-mail\" or \"mail\" (found %s)", quoteList(header))})
	}
	if !l.Has(ColumnName) && !l.Has(ColumnFirstName) && !l.Has(ColumnLastName) {
		problems = append(problems, Problem{Line: 1, Reason: fmt.Sprintf(
			"no name column: name one \"name\" or \"full name\", or give \"first name\" and \"last name\" (found %s)", quoteList(header))})
	}
	return l, problems
}

func quoteList(cells []string) string {
	const max = 8
	q := make([]string, 0, min(len(cells), max))
	for i, c := range cells {
		if i == max {
			q = append(q, "…")
			break
		}
		q = append(q, fmt.Sprintf("%q", c))
	}
	return strings.Join(q, ", ")
}
