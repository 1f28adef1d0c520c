package tui

import (
	"strconv"
	"strings"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/transfer"
)

// tableView draws the visible rows (line, action mark, username, name,
// e-mail, kind, role, groups or what is wrong) and, under them, the cursor row's
// problems in full.
func (s *importScreen) tableView(w int) string {
	st := s.c.Styles
	r := s.report
	const lineW, markW = 6, 2
	rest := max(20, w-lineW-markW-4)
	const roleW, kindW = 7, 7
	rest -= roleW + 1 + kindW + 1
	userW, nameW, mailW := max(8, rest*15/100), rest*25/100, rest*30/100 // room for the header USERNAME
	infoW := max(4, rest-userW-nameW-mailW)
	k := s.c.cells
	cell := func(v string, n int) string {
		v, vw := k.safe(v)
		return k.fit(v, vw, n)
	}
	header := k.fit("LINE", 4, lineW) + k.fit("", 0, markW) + k.fit("USERNAME", 8, userW) + " " + k.fit("NAME", 4, nameW) + " " +
		k.fit("E-MAIL", 6, mailW) + " " + k.fit("KIND", 4, kindW) + " " + k.fit("ROLE", 4, roleW) + " " + k.fit("GROUPS / PROBLEM", 16, infoW)
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
			cell(row.User.Name, nameW) + " " + cell(row.User.Email, mailW) + " " + cell(rowKind(row), kindW) + " " + roleCell(st, role, roleW) + " "
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

// rowKind is the kind of account a row is for: the existing user's for an
// update or a skip (a kind never changes by import), else the file's; ""
// when the file's kind is wrong (the problem says why).
func rowKind(row *transfer.Row) string {
	for _, p := range row.Problems {
		if p.Field == "kind" {
			return ""
		}
	}
	if row.Existing != nil {
		return row.Existing.Kind.String()
	}
	return row.User.Kind.String()
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
