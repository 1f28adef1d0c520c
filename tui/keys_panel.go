package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// keysPanel lists one user's SSH keys and adds (a pasted public key line)
// and removes (after a y/n question) them. My account uses it for the
// member's own keys, the administrators' SSH keys screen for anyone's; the
// store checks the powers and its refusal is shown as it is.
type keysPanel struct {
	db    *store.DB
	actor roster.Actor
	uid   uint64

	keys    []*store.SSHKey
	cursor  int
	mode    keysMode
	input   textinput.Model // the key being added
	confirm string          // fingerprint to remove, in keysRemove
	busy    bool            // a change is on its way to the store
	k       keysPanelKeys
	// Why the rule table refuses adding or removing keys here ("" when
	// it allows): the keys are then disabled, as the actions menu does.
	addRefused, removeRefused string
}

type keysMode int

const (
	keysBrowse keysMode = iota
	keysAdd             // typing or pasting a public key
	keysRemove          // confirming a key's removal
)

type keysPanelKeys struct {
	Up, Down, Add, Remove, Yes, No, Save, Cancel key.Binding
}

type (
	// keysLoadedMsg carries a user's keys.
	keysLoadedMsg struct {
		uid  uint64
		keys []*store.SSHKey
		err  error
	}
	// keysDoneMsg reports an added or removed key, or the store's refusal.
	keysDoneMsg struct {
		uid  uint64
		text string
		err  error
	}
)

func newKeysPanel(db *store.DB, actor roster.Actor, uid uint64) *keysPanel {
	p := &keysPanel{db: db, actor: actor, uid: uid, k: keysPanelKeys{
		Up:     kb("↑/k", "up", "up", "k"),
		Down:   kb("↓/j", "down", "down", "j"),
		Add:    kb("a", "add key", "a"),
		Remove: kb("d", "remove key", "d", "delete"),
		Yes:    kb("y", "yes", "y"),
		No:     kb("n/esc", "no", "n", "esc"),
		Save:   kb("enter", "add", "enter"),
		Cancel: kb("esc", "cancel", "esc"),
	}}
	// The table says who may add keys here: never the holder themselves.
	if !actor.IsLocal() && actor.UserID == uid {
		p.allow(&roster.User{ID: uid, Role: actor.Role})
	}
	p.input = textinput.New()
	p.input.Placeholder = "ssh-ed25519 AAAA… you@laptop"
	p.input.CharLimit = 16 << 10
	p.input.Prompt = "> "
	return p
}

// allow asks the rule table what the actor may do to target's keys and
// offers only that (a manager sees their members' keys but changes none;
// an admin changes no owner's).
func (p *keysPanel) allow(target *roster.User) {
	p.addRefused, p.removeRefused = "", ""
	if err := p.actor.May(roster.OpAddKey, target); err != nil {
		p.addRefused = roster.ErrorMessage(err)
	}
	if err := p.actor.May(roster.OpRemoveKey, target); err != nil {
		p.removeRefused = roster.ErrorMessage(err)
	}
	p.k.Add.SetEnabled(p.addRefused == "")
	p.k.Remove.SetEnabled(p.removeRefused == "")
}

// refusedNote says what the rule table refuses here, "" when nothing.
func (p *keysPanel) refusedNote() string {
	switch {
	case p.addRefused != "" && p.removeRefused != "":
		return "You can see these keys but not change them: " + p.removeRefused + "."
	case p.removeRefused != "":
		return "You can add keys here but not remove them: " + p.removeRefused + "."
	}
	return "" // adding alone refused: on one's own account, the empty list says who adds
}

// loadCmd reads the user's keys.
func (p *keysPanel) loadCmd() tea.Cmd {
	db, actor, uid := p.db, p.actor, p.uid
	return func() tea.Msg {
		keys, err := db.Keys(actor, uid)
		return keysLoadedMsg{uid: uid, keys: keys, err: err}
	}
}

// setKeys shows a fresh list, keeping the cursor in range.
func (p *keysPanel) setKeys(keys []*store.SSHKey) {
	p.keys = keys
	p.cursor = max(0, min(p.cursor, len(keys)-1))
}

// setWidth sizes the input for a terminal width cells wide.
func (p *keysPanel) setWidth(w int) { p.input.SetWidth(max(10, w-6)) }

// takesText reports that keys go to the input.
func (p *keysPanel) takesText() bool { return p.mode != keysBrowse }

// done takes a keysDoneMsg: the change finished.
func (p *keysPanel) done() { p.busy = false }

// paste gives pasted text to the input while adding.
func (p *keysPanel) paste(msg tea.PasteMsg) tea.Cmd {
	if p.mode != keysAdd {
		return nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return cmd
}

// key answers a key press; handled is false for keys the panel leaves to
// its screen (only in keysBrowse).
func (p *keysPanel) key(msg tea.KeyPressMsg) (cmd tea.Cmd, handled bool) {
	k := p.k
	switch p.mode {
	case keysAdd:
		switch {
		case key.Matches(msg, k.Cancel):
			p.mode = keysBrowse
			p.input.Blur()
			return nil, true
		case key.Matches(msg, k.Save):
			line := p.input.Value()
			p.mode, p.busy = keysBrowse, true
			p.input.Blur()
			p.input.SetValue("")
			db, actor, uid := p.db, p.actor, p.uid
			return func() tea.Msg {
				key, err := db.AddKey(actor, uid, line)
				if err != nil {
					return keysDoneMsg{uid: uid, err: err}
				}
				return keysDoneMsg{uid: uid, text: "Key " + key.Fingerprint + " added"}
			}, true
		}
		p.input, cmd = p.input.Update(msg)
		return cmd, true
	case keysRemove:
		p.mode = keysBrowse
		if !key.Matches(msg, k.Yes) {
			return nil, true
		}
		p.busy = true
		db, actor, uid, fp := p.db, p.actor, p.uid, p.confirm
		return func() tea.Msg {
			if err := db.RemoveKey(actor, uid, fp); err != nil {
				return keysDoneMsg{uid: uid, err: err}
			}
			return keysDoneMsg{uid: uid, text: "Key " + fp + " removed"}
		}, true
	}
	if p.busy {
		return nil, false
	}
	switch {
	case key.Matches(msg, k.Up):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(msg, k.Down):
		p.cursor = max(0, min(p.cursor+1, len(p.keys)-1))
	case key.Matches(msg, k.Add):
		p.mode = keysAdd
		return p.input.Focus(), true
	case key.Matches(msg, k.Remove) && len(p.keys) > 0:
		p.mode, p.confirm = keysRemove, p.keys[p.cursor].Fingerprint
	default:
		return nil, false
	}
	return nil, true
}

// handles reports whether the panel answers msg in keysBrowse.
func (p *keysPanel) handles(msg tea.KeyPressMsg) bool {
	k := p.k
	return !p.busy && key.Matches(msg, k.Up, k.Down, k.Add, k.Remove)
}

// helpKeys are the panel's keys in its mode; in keysBrowse the screen adds its own.
func (p *keysPanel) helpKeys() []key.Binding {
	switch p.mode {
	case keysAdd:
		return []key.Binding{p.k.Save, p.k.Cancel}
	case keysRemove:
		return []key.Binding{p.k.Yes, p.k.No}
	}
	return []key.Binding{p.k.Up, p.k.Down, p.k.Add, p.k.Remove}
}

// lines draws the keys (see keyLines) in width cells and the prompt of the
// mode; whose names the keys' owner in the prompt ("your", "ann's").
func (p *keysPanel) lines(st *Styles, cl cells, now time.Time, width int, whose string) []string {
	cursor := -1
	if p.mode == keysBrowse {
		cursor = p.cursor
	}
	empty := "no keys: press a to add one"
	switch {
	case p.k.Add.Enabled():
	case !p.actor.IsLocal() && p.actor.UserID == p.uid:
		empty = "no keys yet: an administrator adds them for you"
	default:
		empty = "no keys"
	}
	lines := keyLines(st, cl, now, width, p.keys, cursor, empty)
	switch p.mode {
	case keysAdd:
		lines = append(lines, "")
		lines = append(lines, wrapLines("Paste "+whose+" public key (the .pub file, one line), then press enter:", width-2)...)
		lines = append(lines, "  "+p.input.View())
	case keysRemove:
		lines = append(lines, "")
		for _, l := range wrapLines("Remove key "+p.confirm+"? It can no longer sign in. y/n", width-2) {
			lines = append(lines, "  "+st.App.Warn.Render(strings.TrimPrefix(l, "  ")))
		}
	}
	return lines
}

// keyLines draws keys two lines a key (the fingerprint, then what it is),
// each at most width cells after a two-cell indent, with a cursor on the
// key at index cursor (-1: none); empty is the text for no keys.
func keyLines(st *Styles, cl cells, now time.Time, width int, keys []*store.SSHKey, cursor int, empty string) []string {
	var lines []string
	if len(keys) == 0 {
		lines = append(lines, "  "+st.App.Muted.Render(empty))
	}
	for i, k := range keys {
		fp := cl.atMost(k.Fingerprint, max(10, width-2))
		about := st.App.Muted.Render(cl.atMost(keyAbout(k, now), max(10, width-2)))
		if i == cursor {
			lines = append(lines, "  "+st.List.Cursor.Render("> "+fp))
		} else {
			lines = append(lines, "    "+fp)
		}
		lines = append(lines, "    "+about)
	}
	return lines
}

// keyAbout describes one key after its fingerprint: comment, type, when
// it was added and last used.
func keyAbout(k *store.SSHKey, now time.Time) string {
	used := "never used"
	if !k.LastUsedAt.IsZero() {
		used = "last used " + agoText(now, k.LastUsedAt)
	}
	comment := k.Comment
	if comment == "" {
		comment = "(no comment)"
	}
	return comment + " · " + k.Type + " · added " + k.AddedAt.Local().Format("2006-01-02") + " · " + used
}

// atMost makes s safe to draw (see cells.safe) and cuts it with "…" when
// it is wider than n cells; it does not pad.
func (k cells) atMost(s string, n int) string {
	s, w := k.safe(s)
	if w <= n {
		return s
	}
	return strings.TrimRight(k.fit(s, w, n), " ")
}

// wrapLines wraps plain text to width cells, each line indented by two.
func wrapLines(text string, width int) []string {
	out := strings.Split(ansi.Wrap(text, max(10, width), " "), "\n")
	for i, l := range out {
		out[i] = "  " + strings.TrimRight(l, " ")
	}
	return out
}
