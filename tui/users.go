package tui

import (
	"strings"

	"slices"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster"
)

// statusTabs are the list's filter tabs; 0 (all) shows every status.
var statusTabs = []roster.Status{0, roster.StatusPending, roster.StatusActive, roster.StatusDisabled, tabService}

// usersScreen is the home screen: the user list with its filters,
// selection and cursor. It keeps only its view of the shared snapshot: the
// visible order as row indexes and the selected ids.
type usersScreen struct {
	c    *Common
	keys UserKeys

	tab    int
	sortBy roster.UserSort
	desc   bool
	gid    uint64      // group filter, 0 for any
	inv    string      // invitation filter (see invitationFilters), "" for any
	role   roster.Role // role filter, 0 for any
	life   int         // lifecycle filter, an index in lifeFilters (0: none)

	input     textinput.Model
	filtering bool   // keys go to the filter input
	query     string // lower-cased filter text

	view []int32 // rows shown, in order
	// partial says view holds only the first rows of the default order,
	// while the snapshot builds it in the background: any input first
	// waits for the whole order (refresh), so it acts on the whole list.
	partial  bool
	viewSnap *snapshot
	viewQ    string // the query view was built for (to narrow it)
	viewKey  viewKey
	// recent keeps the views of recent queries for the same snapshot and
	// key, so that backspace does not scan everything again.
	recent map[string][]int32

	cursor, offset int
	cursorID       uint64
	follow         uint64 // a user just added: the cursor goes to them once they load
	selected       map[uint64]struct{}
	// selShown counts the selected users in view, kept up to date where
	// the selection or the view changes, so the footer never counts.
	selShown   int
	rows       rowCache // rows as drawn, built once per data change
	tabs       memo     // the tabs line as drawn
	titlesMemo memo     // the column titles as drawn
}

// viewKey is everything but the query that a view depends on.
type viewKey struct {
	tab    int
	sortBy roster.UserSort
	desc   bool
	gid    uint64
	inv    string
	role   roster.Role
	life   int
}

func newUsersScreen(c *Common) *usersScreen {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "filter by name, username or e-mail"
	in.CharLimit = 100
	return &usersScreen{c: c, keys: NewUserKeys(), input: in, selected: map[uint64]struct{}{}}
}

// TakesText reports whether the filter input has the keys.
func (s *usersScreen) TakesText() bool { return s.filtering }

// Help returns the list's keys with the global ones.
func (s *usersScreen) Help() help.KeyMap { return s.keys.help(s.c.Global, s.c.launcherKeys()) }

// Update handles the list's keys and data changes.
func (s *usersScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case dataMsg:
		s.refreshFirst()
		return s, nil
	case namedMsg:
		if s.partial && msg.snap == s.c.snap {
			s.refresh()
		}
		return s, nil
	case focusMsg:
		s.focusUser(msg.id)
		return s, nil
	case groupFilterMsg:
		s.setGroup(msg.gid)
		return s, nil
	case tea.WindowSizeMsg:
		s.input.SetWidth(max(10, msg.Width-4))
		s.clamp()
		return s, nil
	case tea.KeyPressMsg:
		if s.c.snap == nil {
			return s, nil
		}
		if s.partial {
			s.refresh()
		}
		if s.filtering {
			return s.filterKey(msg)
		}
		return s.key(msg)
	case tea.PasteMsg:
		if s.partial {
			s.refresh()
		}
		if s.filtering {
			return s.filterKey(msg)
		}
	case tea.MouseMsg:
		if s.partial {
			s.refresh()
		}
		return s.mouse(msg)
	}
	return s, nil
}

func (s *usersScreen) filterKey(msg tea.Msg) (screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			s.filtering = false
			s.input.Blur()
			s.input.SetValue("")
			s.setQuery("")
			return s, nil
		case "enter", "up", "down", "tab", "shift+tab":
			s.filtering = false
			s.input.Blur()
			if k.String() == "enter" {
				return s, nil
			}
			return s.key(k)
		}
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	s.setQuery(s.input.Value())
	return s, cmd
}

func (s *usersScreen) key(msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := s.keys
	page := max(1, s.listHeight()-1)
	switch {
	case key.Matches(msg, k.Up):
		s.move(-1)
	case key.Matches(msg, k.Down):
		s.move(1)
	case key.Matches(msg, k.PageUp):
		s.move(-page)
	case key.Matches(msg, k.PageDown):
		s.move(page)
	case key.Matches(msg, k.Home):
		s.move(-len(s.view))
	case key.Matches(msg, k.End):
		s.move(len(s.view))
	case key.Matches(msg, k.NextTab):
		s.setTab((s.tab + 1) % len(statusTabs))
	case key.Matches(msg, k.PrevTab):
		s.setTab((s.tab + len(statusTabs) - 1) % len(statusTabs))
	case key.Matches(msg, k.Tab1):
		s.setTab(0)
	case key.Matches(msg, k.Tab2):
		s.setTab(1)
	case key.Matches(msg, k.Tab3):
		s.setTab(2)
	case key.Matches(msg, k.Tab4):
		s.setTab(3)
	case key.Matches(msg, k.Tab5):
		s.setTab(4)
	case key.Matches(msg, k.Sort):
		s.sortBy = nextSort(s.sortBy)
		s.desc = false
		s.refresh()
	case key.Matches(msg, k.Reverse):
		s.desc = !s.desc
		s.refresh()
	case key.Matches(msg, k.Filter):
		s.filtering = true
		s.input.SetValue(s.query)
		s.input.CursorEnd()
		return s, s.input.Focus()
	case key.Matches(msg, k.ClearFilter):
		switch {
		case s.query != "":
			s.input.SetValue("")
			s.setQuery("")
		case s.gid != 0:
			s.setGroup(0)
		case s.inv != "":
			s.inv = ""
			s.refresh()
		case s.role != 0:
			s.role = 0
			s.refresh()
		case s.life != 0:
			s.life = 0
			s.refresh()
		case len(s.selected) > 0:
			clear(s.selected)
			s.selShown = 0
		}
	case key.Matches(msg, k.Role):
		s.role = nextRoleFilter(s.role)
		s.refresh()
	case key.Matches(msg, k.Invitation):
		s.inv = nextInvitationFilter(s.inv)
		s.refresh()
	case key.Matches(msg, k.Lifecycle):
		s.life = nextLifeFilter(s.life)
		s.refresh()
	case key.Matches(msg, k.Group):
		return asks(s, open(newGroupPicker(s.c, s.gid), nil)), nil
	case key.Matches(msg, k.Toggle):
		if u := s.currentRow(); u != nil {
			if _, ok := s.selected[u.ID]; ok {
				delete(s.selected, u.ID)
				s.selShown--
			} else {
				s.selected[u.ID] = struct{}{}
				s.selShown++
			}
			s.move(1)
		}
	case key.Matches(msg, k.SelectAll):
		s.toggleAll()
	case key.Matches(msg, k.Open):
		if u := s.current(); u != nil {
			d := newDetailsScreen(s.c, u.ID)
			return asks(s, open(d, d.loadCmd())), nil
		}
	case key.Matches(msg, k.Add):
		f := newFormScreen(s.c, nil)
		if statusTabs[s.tab] == tabService {
			f.presetService()
		}
		return asks(s, open(f, f.Init())), nil
	case key.Matches(msg, k.InviteByEmail):
		if s.c.inviter() == nil {
			return asks(s, say("Inviting needs mail set up: use n to add a user", true)), nil
		}
		q := newQuickInvite(s.c)
		return asks(s, open(q, q.setFocus(0))), nil
	case key.Matches(msg, k.Edit):
		if u := s.current(); u != nil {
			f := newFormScreen(s.c, u)
			return asks(s, open(f, f.Init())), nil
		}
	case key.Matches(msg, k.Undo):
		if s.c.last == nil {
			return asks(s, say("Nothing to undo: u takes back the last status, role or group change made in this session", true)), nil
		}
		return asks(s, open(newUndoScreen(s.c), nil)), nil
	case key.Matches(msg, k.Actions):
		ids := s.targets()
		if len(ids) > 0 {
			return asks(s, open(newActionsScreen(s.c, ids), nil)), nil
		}
	}
	return s, nil
}

// targets returns the selection, or the user under the cursor when
// nothing is selected, in the list's order for the selected ones.
func (s *usersScreen) targets() []uint64 {
	if len(s.selected) == 0 {
		if u := s.current(); u != nil {
			return []uint64{u.ID}
		}
		return nil
	}
	ids := make([]uint64, 0, len(s.selected))
	for id := range s.selected {
		ids = append(ids, id)
	}
	sortIDs(ids)
	return ids
}

// toggleAll selects every user shown, or clears the selection when every
// shown user is already selected.
func (s *usersScreen) toggleAll() {
	snap := s.c.snap
	all := len(s.view) > 0
	for _, i := range s.view {
		if _, ok := s.selected[snap.rows[i].ID]; !ok {
			all = false
			break
		}
	}
	if all || len(s.view) == 0 {
		clear(s.selected)
		s.selShown = 0
		return
	}
	for _, i := range s.view {
		s.selected[snap.rows[i].ID] = struct{}{}
	}
	s.selShown = len(s.view)
}

// selChanged counts the selected users in view again, after the view or
// the selection changed wholesale (once per change, never per frame).
func (s *usersScreen) selChanged() {
	s.selShown = 0
	if len(s.selected) == 0 || s.c.snap == nil {
		return
	}
	if len(s.view) == len(s.c.snap.rows) {
		s.selShown = len(s.selected) // every user is in view
		return
	}
	rows := s.c.snap.rows
	for _, i := range s.view {
		if _, ok := s.selected[rows[i].ID]; ok {
			s.selShown++
		}
	}
}

func (s *usersScreen) setTab(t int) {
	s.tab = t
	s.refresh()
}

// focusUser puts the cursor on user id, now or once the data holds them.
func (s *usersScreen) focusUser(id uint64) {
	s.follow = id
	s.refresh()
}

func (s *usersScreen) setGroup(gid uint64) {
	s.gid = gid
	s.refresh()
}

func (s *usersScreen) setQuery(q string) {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == s.query {
		return
	}
	s.query = q
	s.refresh()
}

// current returns the user under the cursor, decoded for the caller.
func (s *usersScreen) current() *roster.User {
	if r := s.currentRow(); r != nil {
		return r.User()
	}
	return nil
}

// currentRow is the row under the cursor, nil when there is none: enough
// for its id, without decoding the user.
func (s *usersScreen) currentRow() *row {
	if s.c.snap == nil || s.cursor < 0 || s.cursor >= len(s.view) {
		return nil
	}
	return &s.c.snap.rows[s.view[s.cursor]]
}

func (s *usersScreen) move(d int) {
	s.cursor += d
	s.clamp()
	if r := s.currentRow(); r != nil {
		s.cursorID = r.ID
	}
}

// clamp keeps the cursor inside the view and the view window around it.
func (s *usersScreen) clamp() {
	s.cursor = max(0, min(s.cursor, len(s.view)-1))
	h := s.listHeight()
	if s.cursor < s.offset {
		s.offset = s.cursor
	}
	if h > 0 && s.cursor >= s.offset+h {
		s.offset = s.cursor - h + 1
	}
	s.offset = max(0, min(s.offset, len(s.view)-h))
}

// refreshFirst is refresh after new data: while the snapshot is still
// building the default order and the list shows it unfiltered, the view
// is its first screenful (the rest follows with namedMsg).
func (s *usersScreen) refreshFirst() {
	snap := s.c.snap
	vk := viewKey{tab: s.tab, sortBy: s.sortBy, desc: s.desc, gid: s.gid, inv: s.inv, role: s.role, life: s.life}
	if snap == nil || snap.namedReady() || vk != (viewKey{sortBy: roster.SortName}) || s.query != "" ||
		s.cursorID != 0 || s.follow != 0 || len(s.selected) > 0 {
		s.refresh()
		return
	}
	s.view, s.partial = snap.firstRows(max(s.listHeight(), 1)), true
	s.viewSnap, s.viewKey, s.viewQ, s.recent = nil, vk, "", nil
	s.cursor, s.offset = 0, 0
	s.selShown = 0
	if r := s.currentRow(); r != nil {
		s.cursorID = r.ID
	}
}

// shown is how many users the view shows (all of them while partial).
func (s *usersScreen) shown() int {
	if s.partial {
		return len(s.c.snap.rows)
	}
	return len(s.view)
}

// refresh rebuilds the view after a filter, sort or data change, keeping
// the cursor on the same user when it is still shown. Selected users that
// no longer exist leave the selection.
func (s *usersScreen) refresh() {
	snap := s.c.snap
	if snap == nil {
		return
	}
	s.partial = false
	if snap != s.viewSnap {
		for id := range s.selected {
			if _, ok := snap.indexOf(id); !ok {
				delete(s.selected, id)
			}
		}
		if s.gid != 0 && snap.groupByID[s.gid] == nil {
			s.gid = 0
		}
	}
	vk := viewKey{tab: s.tab, sortBy: s.sortBy, desc: s.desc, gid: s.gid, inv: s.inv, role: s.role, life: s.life}
	if snap != s.viewSnap || vk != s.viewKey || len(s.recent) > 16 {
		s.recent = map[string][]int32{}
	}
	if v, ok := s.recent[s.query]; ok {
		s.view = v
	} else {
		base := snap.order(s.sortBy, s.desc)
		narrow := snap == s.viewSnap && vk == s.viewKey && s.viewQ != "" && strings.Contains(s.query, s.viewQ)
		if narrow {
			base = s.view
		}
		s.view = filterRows(snap, base, statusTabs[s.tab], s.gid, s.role, s.query, narrow || vk.tab != 0 || vk.gid != 0 || vk.role != 0 || s.query != "")
		if s.inv != "" {
			s.view = filterInvitation(snap, s.view, s.inv, s.c.Now())
		}
		if s.life != 0 {
			s.view = filterLife(snap, s.view, lifeFilters[s.life], s.c.Now())
		}
		s.recent[s.query] = s.view
	}
	newData := snap != s.viewSnap
	s.viewSnap, s.viewKey, s.viewQ = snap, vk, s.query
	s.selChanged()

	if s.follow != 0 {
		if _, ok := snap.indexOf(s.follow); ok {
			s.cursorID, s.follow = s.follow, 0
		}
	}
	// The cursor stays on its user; when new data no longer has them (they
	// were deleted), on the row that took their place; else at the top.
	old := s.cursor
	s.cursor = 0
	found := false
	if s.cursorID != 0 {
		for i, r := range s.view {
			if snap.rows[r].ID == s.cursorID {
				s.cursor, found = i, true
				break
			}
		}
	}
	if !found && newData {
		s.cursor = old
	}
	s.clamp()
	if r := s.currentRow(); r != nil {
		s.cursorID = r.ID
	}
}

func sortIDs(ids []uint64) { slices.Sort(ids) }

// sortRole orders the list by role, owners first. The domain's sorts are
// the CLI's too; this one is the terminal app's own.
const sortRole roster.UserSort = 100
