package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// pickItem is one choice of a picker.
type pickItem struct {
	label, detail string
	id            uint64
}

// picker is a filterable list: typing filters, arrows move, enter
// chooses, esc gives up. It is a component inside screens, not a screen.
type picker struct {
	c      *Common
	title  string
	items  []pickItem
	shown  []int
	cursor int
	input  textinput.Model
}

func newPicker(c *Common, title string, items []pickItem, current uint64) *picker {
	in := textinput.New()
	in.Prompt = "filter: "
	in.CharLimit = 64
	p := &picker{c: c, title: title, input: in}
	p.setItems(items)
	for i, j := range p.shown {
		if p.items[j].id == current {
			p.cursor = i
		}
	}
	return p
}

func (p *picker) focus() tea.Cmd { return p.input.Focus() }

// setItems replaces the choices, keeping the filter and, when it is still
// there, the chosen item.
func (p *picker) setItems(items []pickItem) {
	var cur uint64
	if it := p.current(); it != nil {
		cur = it.id
	}
	p.items = items
	p.filter()
	for i, j := range p.shown {
		if p.items[j].id == cur {
			p.cursor = i
		}
	}
}

func (p *picker) filter() {
	q := strings.ToLower(strings.TrimSpace(p.input.Value()))
	p.shown = p.shown[:0]
	for i, it := range p.items {
		if q == "" || strings.Contains(strings.ToLower(it.label), q) {
			p.shown = append(p.shown, i)
		}
	}
	p.cursor = max(0, min(p.cursor, len(p.shown)-1))
}

func (p *picker) current() *pickItem {
	if p.cursor < 0 || p.cursor >= len(p.shown) {
		return nil
	}
	return &p.items[p.shown[p.cursor]]
}

// update handles a key; done is true when the user chose (item set) or
// gave up (item nil).
func (p *picker) update(msg tea.KeyPressMsg) (item *pickItem, done bool, cmd tea.Cmd) {
	switch msg.String() {
	case "up", "ctrl+p":
		if p.cursor > 0 {
			p.cursor--
		}
		return nil, false, nil
	case "down", "ctrl+n":
		if p.cursor < len(p.shown)-1 {
			p.cursor++
		}
		return nil, false, nil
	case "enter":
		if it := p.current(); it != nil {
			return it, true, nil
		}
		return nil, false, nil
	case "esc":
		if p.input.Value() != "" {
			p.input.SetValue("")
			p.filter()
			return nil, false, nil
		}
		return nil, true, nil
	}
	p.input, cmd = p.input.Update(msg)
	p.filter()
	return nil, false, cmd
}

// view draws the title, the filter and up to h items.
func (p *picker) view(h int) string {
	st := p.c.Styles
	var b strings.Builder
	b.WriteString(st.App.DialogTitle.Render(p.title))
	b.WriteString("\n")
	b.WriteString(p.input.View())
	b.WriteString("\n\n")
	if len(p.shown) == 0 {
		b.WriteString(st.App.Muted.Render("nothing matches"))
		return b.String()
	}
	h = max(1, h)
	start := max(0, min(p.cursor-h/2, len(p.shown)-h))
	end := min(len(p.shown), start+h)
	width := 0
	for _, i := range p.shown[start:end] {
		width = max(width, p.c.cells.safeWidth(p.items[i].label))
	}
	for k := start; k < end; k++ {
		it := p.items[p.shown[k]]
		label, w := p.c.cells.safe(it.label)
		line := p.c.cells.fit(label, w, width) + "  " + it.detail
		if k == p.cursor {
			b.WriteString(st.List.Cursor.Render("› " + line))
		} else {
			b.WriteString("  " + line)
		}
		if k < end-1 {
			b.WriteByte('\n')
		}
	}
	if len(p.shown) > h {
		b.WriteString("\n" + st.App.Muted.Render(itoa(p.cursor+1)+" of "+itoa(len(p.shown))))
	}
	return b.String()
}

// groupItems lists the groups with their member counts.
func groupItems(c *Common) []pickItem {
	if c.snap == nil {
		return nil
	}
	items := make([]pickItem, 0, len(c.snap.groups))
	for _, g := range c.snap.groups {
		items = append(items, pickItem{label: g.Name, detail: c.Styles.App.Muted.Render(plural(g.Members, "member")), id: g.ID})
	}
	return items
}

// bodyHeight is the height between the header and the footer.
func (c *Common) bodyHeight() int { return max(0, c.Height-3) }

// box draws content in the dialog frame, wrapping lines too long for the
// screen so that the frame never runs off its edge.
func (c *Common) box(content string) string {
	if room := c.Width - 8; room > 10 { // border and padding: 6, and a margin
		content = ansi.Wrap(content, room, " ")
	}
	return c.Styles.App.Dialog.Render(content)
}

// overlay draws box centred over the body bg, which is dimmed: its
// colours are dropped and it is drawn in the muted style. Lines are cut
// as the terminal counts cells.
func (c *Common) overlay(bg, box string) string {
	w, h := c.Width, c.bodyHeight()
	lines := strings.Split(c.cells.clip(bg, w, h), "\n")
	boxLines := strings.Split(box, "\n")
	bw := 0
	for _, l := range boxLines {
		bw = max(bw, c.cells.width(l))
	}
	x, y := max(0, (w-bw)/2), max(0, (h-len(boxLines))/2)
	muted := c.Styles.App.Faint
	for i, l := range lines {
		plain, _ := c.cells.safe(ansi.Strip(l))
		row := i - y
		if row < 0 || row >= len(boxLines) {
			if plain != "" {
				lines[i] = muted.Render(plain)
			}
			continue
		}
		left, lw := c.cells.cut(plain, x)
		right := c.cells.skip(plain, x+bw)
		bl := boxLines[row]
		pad := bw - c.cells.width(bl)
		lines[i] = muted.Render(left+strings.Repeat(" ", x-lw)) + bl + strings.Repeat(" ", max(0, pad)) + muted.Render(right)
	}
	return strings.Join(lines, "\n")
}

// bar draws a progress bar of width cells for a fraction done.
func (c *Common) bar(frac float64, width int) string {
	frac = max(0, min(1, frac))
	full := int(frac*float64(width) + 0.5)
	pct := itoa(int(frac*100+0.5)) + "%"
	return c.Styles.App.Title.Render(strings.Repeat("█", full)) +
		c.Styles.App.Muted.Render(strings.Repeat("░", width-full)) + " " + pct
}
