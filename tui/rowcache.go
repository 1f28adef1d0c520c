package tui

import (
	"time"

	"github.com/roster-dev/roster"
)

// rowCache keeps the user list's rows as drawn, built once per data change
// rather than per frame: a cursor move then redraws only the two rows it
// touches from cells, and copies the rest. Everything a drawn row depends
// on is in rowCacheKey; when any of it changes, the cache starts again.
// Rows are drawn when first shown, so the cache holds what was looked at.
type rowCache struct {
	key   rowCacheKey
	lines map[int32]*drawnRow
}

// rowCacheKey is what a drawn row depends on besides the user.
type rowCacheKey struct {
	snap   *snapshot
	cols   columns
	sortBy roster.UserSort // the Latest column shows the creation when sorted by it
	styles *Styles
	cells  cells
	minute int64 // relative times ("5m") move on with the clock
}

// drawnRow is one user's cells, and the row drawn plain and selected.
type drawnRow struct {
	plain, status, seen string // cut and padded to the columns; see usersScreen.cells
	normal, selected    string // drawn on first use
}

// rowCacheMax bounds the rows kept: scrolling through 100,000 users keeps
// no more than this.
const rowCacheMax = 4096

// drawn returns row i's cells for the current key, drawing them if needed.
func (s *usersScreen) drawn(i int32, cols columns, now time.Time) *drawnRow {
	k := rowCacheKey{snap: s.c.snap, cols: cols, sortBy: s.sortBy, styles: s.c.Styles, cells: s.c.cells, minute: now.Unix() / 60}
	if s.rows.key != k || s.rows.lines == nil || len(s.rows.lines) >= rowCacheMax {
		s.rows = rowCache{key: k, lines: make(map[int32]*drawnRow, 64)}
	}
	d := s.rows.lines[i]
	if d == nil {
		d = s.cells(&s.c.snap.rows[i], cols, now)
		s.rows.lines[i] = d
	}
	return d
}

// line returns the row drawn as it shows: under the cursor, selected or not.
func (s *usersScreen) line(d *drawnRow, status roster.Status, sel, cursor bool) string {
	st := s.c.Styles
	switch {
	case cursor:
		mark := "›  "
		if sel {
			mark = "›● "
		}
		return st.List.Cursor.Render(mark + d.plain[len("   "):] + d.status + d.seen)
	case sel:
		if d.selected == "" {
			d.selected = " " + st.List.Mark.Render("●") + " " + st.List.Selected.Render(d.plain[len("   "):]) +
				st.List.Badge[status.String()].Render(d.status) + st.App.Muted.Render(d.seen)
		}
		return d.selected
	}
	if d.normal == "" {
		d.normal = d.plain + st.List.Badge[status.String()].Render(d.status) + st.App.Muted.Render(d.seen)
	}
	return d.normal
}

// memo keeps one drawn string for as long as what it was drawn from (key,
// comparable) stays the same: parts of the frame that change only with
// the data, the size or the keys offered.
type memo struct {
	key any
	val string
	set bool
}

// get returns the string drawn for key, drawing it with draw when key changed.
func (m *memo) get(key any, draw func() string) string {
	if !m.set || m.key != key {
		m.key, m.val, m.set = key, draw(), true
	}
	return m.val
}
