package tui

import (
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/roster-dev/roster"
)

// markWidth is the cells before the name: the cursor mark, the selection
// mark and a space.
const markWidth = 3

// columns is the list's layout for one width.
type columns struct {
	name, user, email, groups, role, status, seen int
}

func layout(width int) columns {
	c := columns{role: 6, status: 8}
	fixed := markWidth + c.role + c.status + 5 // marks, role, status, separators
	if width >= 96 {
		c.seen = 14
		fixed += c.seen + 1
	}
	rest := width - fixed
	if width >= 110 {
		c.groups = rest * 18 / 100
		rest -= c.groups + 1
	}
	c.name = rest * 36 / 100
	c.user = rest * 24 / 100
	c.email = rest - c.name - c.user
	return c
}

// listHeight is how many user rows fit.
func (s *usersScreen) listHeight() int {
	h := s.c.Height - 1 - 2 - 1 - 1 // header, footer (2), tabs, column titles
	if s.filterLine() {
		h--
	}
	return max(0, h)
}

// tabLabel draws status tab i with its count.
func (s *usersScreen) tabLabel(i int) string {
	st, snap := s.c.Styles, s.c.snap
	label, n := "All", len(snap.rows)
	switch status := statusTabs[i]; status {
	case 0:
	case tabService:
		label, n = "Service", snap.services
	default:
		label, n = status.Title(), snap.counts[status]
	}
	label = itoa(i+1) + " " + label + " " + itoa(n)
	if i == s.tab {
		return st.Tabs.Active.Render(label)
	}
	return st.Tabs.Inactive.Render(label)
}

// filterLine reports whether the line under the tabs shows filters.
func (s *usersScreen) filterLine() bool {
	return s.filtering || s.query != "" || s.gid != 0 || s.inv != "" || s.role != 0 || s.life != 0
}

// header is the app's top line: product, database and counts.
func (m *Model) header() string {
	c := m.c
	st := c.Styles.App
	if t, ok := m.base.(interface{ title() string }); ok {
		return lipgloss.NewStyle().MaxWidth(c.Width).Render(st.Title.Render("Roster") + " " + st.Path.Render(t.title()))
	}
	left := st.Title.Render("Roster") + " " + st.Path.Render(c.DB.Path())
	right := ""
	if snap := c.snap; snap != nil {
		n := len(snap.rows)
		right = st.Muted.Render(plural(n, "user") + ": " +
			itoa(snap.counts[roster.StatusPending]) + " pending · " +
			itoa(snap.counts[roster.StatusActive]) + " active · " +
			itoa(snap.counts[roster.StatusDisabled]) + " disabled")
		if snap.services > 0 {
			right += st.Muted.Render(" · " + itoa(snap.services) + " service")
		}
	}
	if m.loading && m.ready {
		right = "↻ " + right
	}
	if c.Services.Mail != nil {
		return m.servicesHeader(left, right)
	}
	gap := c.Width - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 2 {
		return lipgloss.NewStyle().MaxWidth(c.Width).Render(left)
	}
	return left + strings.Repeat(" ", gap) + right
}

// View draws the tabs, the filter line, the column titles and the visible rows.
func (s *usersScreen) View() string {
	c := s.c
	snap := c.snap
	st := c.Styles
	var b strings.Builder

	// Tabs with counts: they change with the data and the tab only.
	type tabsKey struct {
		snap   *snapshot
		tab    int
		styles *Styles
	}
	b.WriteString(s.tabs.get(tabsKey{snap, s.tab, st}, func() string {
		var t strings.Builder
		for i := range statusTabs {
			t.WriteString(s.tabLabel(i))
		}
		return t.String()
	}))
	b.WriteByte('\n')

	if s.filterLine() {
		line := ""
		if s.filtering {
			line = s.input.View()
		} else if s.query != "" {
			line = st.App.Muted.Render("/ ") + s.input.Value()
		}
		if g := snap.groupByID[s.gid]; g != nil {
			if line != "" {
				line += "   "
			}
			line += st.App.Muted.Render("group: ") + st.App.Key.Render(g.Name) + st.App.Muted.Render(" (g to change, esc to clear)")
		}
		if s.role != 0 {
			if line != "" {
				line += "   "
			}
			line += st.App.Muted.Render("role: ") + st.App.Key.Render(s.role.String()) + st.App.Muted.Render(" (r for the next)")
		}
		if s.inv != "" {
			if line != "" {
				line += "   "
			}
			line += st.App.Muted.Render("invitation: ") + st.App.Key.Render(s.inv) + st.App.Muted.Render(" (i for the next)")
		}
		if s.life != 0 {
			if line != "" {
				line += "   "
			}
			line += st.App.Key.Render(lifeFilters[s.life].label) + st.App.Muted.Render(" (d for the next)")
		}
		b.WriteString(lipgloss.NewStyle().MaxWidth(c.Width).Render(line))
		b.WriteByte('\n')
	}

	if len(snap.rows) == 0 {
		b.WriteString(s.emptyState())
		return b.String()
	}
	cols := layout(c.Width)
	type titlesKey struct {
		cols   columns
		sortBy roster.UserSort
		desc   bool
		styles *Styles
		cells  cells
	}
	b.WriteString(s.titlesMemo.get(titlesKey{cols, s.sortBy, s.desc, st, c.cells}, func() string {
		return st.List.Header.Render(s.titles(cols))
	}))
	b.WriteByte('\n')
	if len(s.view) == 0 {
		b.WriteString(st.List.Empty.Render("\n  No users match. Press esc to clear the filter, or 1 to show every status."))
		return b.String()
	}
	h := s.listHeight()
	end := min(len(s.view), s.offset+h)
	now := c.Now()
	for i := s.offset; i < end; i++ {
		r := &snap.rows[s.view[i]]
		_, sel := s.selected[r.ID]
		b.WriteString(s.line(s.drawn(s.view[i], cols, now), r.Status, sel, i == s.cursor))
		if i < end-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func (s *usersScreen) titles(cols columns) string {
	arrow := " ↑"
	if s.desc {
		arrow = " ↓"
	}
	t := func(name string, by roster.UserSort, n int) string {
		if s.sortBy == by {
			name += arrow
		}
		return s.c.cells.fit(name, s.c.cells.safeWidth(name), n)
	}
	var b strings.Builder
	b.WriteString("   ")
	b.WriteString(t("Name", roster.SortName, cols.name))
	b.WriteByte(' ')
	b.WriteString(t("Username", roster.SortUsername, cols.user))
	b.WriteByte(' ')
	b.WriteString(t("E-mail", roster.SortEmail, cols.email))
	if cols.groups > 0 {
		b.WriteByte(' ')
		b.WriteString(s.c.cells.fit("Groups", 6, cols.groups))
	}
	b.WriteByte(' ')
	b.WriteString(t("Role", sortRole, cols.role))
	b.WriteByte(' ')
	b.WriteString(t("Status", roster.SortStatus, cols.status))
	if cols.seen > 0 {
		b.WriteByte(' ')
		title := "Latest"
		if s.sortBy == roster.SortCreated {
			title = "Created"
		}
		b.WriteString(t(title, roster.SortCreated, cols.seen))
	}
	return b.String()
}

// cells cuts and pads one user's cells to the columns: the marks (blank:
// the cursor and selection marks are set when drawn), name to role, the
// status and the Latest column. Widths were measured at load.
func (s *usersScreen) cells(r *row, cols columns, now time.Time) *drawnRow {
	cl := s.c.cells
	var uv roster.User
	r.Decode(&uv)
	u := &uv
	var b strings.Builder
	b.Grow(200)
	b.WriteString("   ") // cursor and selection marks: "›", "● " (also without colour)
	name, nameW := cl.safe(listName(u))
	email, emailW := cl.safe(u.Email)
	if email == "" && u.IsService() {
		email, emailW = "(service account)", 17
	}
	b.WriteString(cl.fit(name, nameW, cols.name))
	b.WriteByte(' ')
	b.WriteString(cl.fit(u.Username, len(u.Username), cols.user)) // ASCII by rule
	b.WriteByte(' ')
	b.WriteString(cl.fit(email, emailW, cols.email))
	if cols.groups > 0 {
		g, w := cl.safe(s.c.snap.groupNames(u))
		b.WriteByte(' ')
		b.WriteString(cl.fit(g, w, cols.groups))
	}
	b.WriteByte(' ')
	role := u.Role.String()
	b.WriteString(cl.fit(role, len(role), cols.role))
	b.WriteByte(' ')
	d := &drawnRow{plain: b.String()}
	if cols.seen > 0 {
		text := latest(u, now)
		if inv := rowInvitation(u, now); inv != "" { // the invitation's state says more than "invited"
			text = "✉ " + inv + " " + ago(now, u.InvitedAt)
		} else if ends := expiryCell(u); ends != "" {
			text = ends
		}
		if s.sortBy == roster.SortCreated { // the column shows what it is sorted by
			text = "created " + ago(now, u.CreatedAt)
		}
		text, w := cl.safe(text)
		d.seen = " " + cl.fit(text, w, cols.seen)
	}
	status := u.Status.String()
	d.status = cl.fit(status, len(status), cols.status)
	return d
}

// latest is the Latest column: the last login, else the activation, the
// invitation or the creation. A disabled account says when it last logged
// in, never "activated".
func latest(u *roster.User, now time.Time) string {
	label, t := u.LastSeen()
	switch {
	case label == "last login":
		label = "login"
	case u.Status == roster.StatusDisabled:
		return "no login"
	}
	return label + " " + ago(now, t)
}

func (s *usersScreen) emptyState() string {
	st := s.c.Styles
	lines := []string{
		"",
		st.App.Title.Render("No users yet."),
		"",
		"Press " + st.App.Key.Render("n") + " to add the first user,",
		"or load demo data from a shell:",
		"",
		st.App.Key.Render("    roster demo --users 200"),
		"",
		"Press " + st.App.Key.Render("G") + " to set up groups, " + st.App.Key.Render("?") + " for every key.",
	}
	box := st.App.Box.Render(strings.Join(lines, "\n"))
	return lipgloss.PlaceHorizontal(s.c.Width, lipgloss.Center, box)
}

// footer is the status line when nothing else is said: the count
// shown, the selection (and how much of it the filter hides) and the sort.
func (s *usersScreen) footer() string {
	st := s.c.Styles.App
	snap := s.c.snap
	if snap == nil {
		return ""
	}
	parts := []string{itoa(s.shown()) + " shown"}
	if n := len(s.selected); n > 0 {
		hidden := n - s.selShown
		sel := itoa(n) + " selected"
		if hidden > 0 {
			sel += " (" + itoa(hidden) + " hidden by the filter)"
		}
		parts = append(parts, st.Key.Render(sel))
	}
	dir := "↑"
	if s.desc {
		dir = "↓"
	}
	parts = append(parts, "sort: "+sortName(s.sortBy)+" "+dir)
	return st.Muted.Render(strings.Join(parts, " · "))
}

// ago says how long ago t was, briefly ("5m", "3d", "now").
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		return itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return itoa(int(d/time.Hour)) + "h"
	case d < 60*24*time.Hour:
		return itoa(int(d/(24*time.Hour))) + "d"
	case d < 730*24*time.Hour:
		return itoa(int(d/(30*24*time.Hour))) + "mo"
	}
	return itoa(int(d/(365*24*time.Hour))) + "y"
}

func itoa(n int) string { return strconv.Itoa(n) }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(n) + " " + word + "s"
}
