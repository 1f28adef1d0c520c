package transfer

import (
	"strings"

	"github.com/roster-dev/roster"
)

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
