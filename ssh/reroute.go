package ssh

import (
	"fmt"
	"sync/atomic"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
)

// roleChangedMsg tells a session's router that its user now has another
// role: the server noticed it in the database.
type roleChangedMsg struct{ actor roster.Actor }

// router runs a session's app, and when the user's role changes it
// replaces the app with the one the new role gets (a demoted admin lands
// on My account), with a line on top saying why until a key is pressed.
//
// Commands the replaced app had started still finish; their messages are
// dropped, so its ticks and loads do not reach the new app. (Commands
// inside a tea.Sequence are not wrapped; Roster's apps use none.)
type router struct {
	app     App
	sess    Session
	inner   tea.Model
	gen     uint64         // which app is the current one
	current *atomic.Uint64 // gen, for the commands' goroutines
	notice  string         // the line on top; "" shows none
	w, h    int            // the terminal's size

	// What the terminal said about itself, to tell a new app at once.
	facts []tea.Msg
}

func newRouter(app App, sess Session) *router {
	r := &router{app: app, sess: sess, current: &atomic.Uint64{}, w: sess.Width, h: sess.Height}
	r.inner = app(sess)
	return r
}

// Init implements tea.Model.
func (r *router) Init() tea.Cmd { return r.wrap(r.inner.Init()) }

// Update implements tea.Model.
func (r *router) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case roleChangedMsg:
		return r, r.reroute(msg.actor)
	case tea.WindowSizeMsg:
		r.w, r.h = msg.Width, msg.Height
		return r, r.forward(r.innerSize())
	case tea.BackgroundColorMsg, tea.ModeReportMsg, tea.ColorProfileMsg, tea.KeyboardEnhancementsMsg:
		r.facts = append(r.facts, msg)
		if len(r.facts) > 16 {
			r.facts = r.facts[len(r.facts)-16:]
		}
	case tea.KeyPressMsg, tea.PasteMsg:
		if r.notice != "" {
			r.notice = ""
			return r, tea.Batch(r.forward(r.innerSize()), r.forward(msg))
		}
	}
	return r, r.forward(msg)
}

// reroute starts the app of actor's role in place of the current one.
func (r *router) reroute(actor roster.Actor) tea.Cmd {
	was := r.sess.Actor
	if actor.Column() == was.Column() {
		return nil
	}
	r.sess.Actor = actor
	r.sess.Width, r.sess.Height = r.w, r.h
	r.gen++
	r.current.Store(r.gen)
	switch {
	case actor.Role != was.Role:
		r.notice = fmt.Sprintf("Your role changed from %s to %s: this session now offers what that role may do. Any key hides this line.", was.Role, actor.Role)
	case actor.IsManager():
		r.notice = "You now manage groups: this session now offers their users. Any key hides this line."
	default:
		r.notice = "You no longer manage a group: this session now offers your own account. Any key hides this line."
	}
	r.inner = r.app(r.sess)
	cmds := []tea.Cmd{r.wrap(r.inner.Init()), r.forward(r.innerSize())}
	for _, f := range r.facts {
		cmds = append(cmds, r.forward(f))
	}
	return tea.Batch(cmds...)
}

// innerSize is the size the app gets: the terminal's, less the notice.
func (r *router) innerSize() tea.WindowSizeMsg {
	if r.notice != "" {
		return tea.WindowSizeMsg{Width: r.w, Height: max(0, r.h-1)}
	}
	return tea.WindowSizeMsg{Width: r.w, Height: r.h}
}

// forward gives msg to the current app.
func (r *router) forward(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	r.inner, cmd = r.inner.Update(msg)
	return r.wrap(cmd)
}

// wrap drops cmd's message if the app that started it has been replaced
// by the time it finishes.
func (r *router) wrap(cmd tea.Cmd) tea.Cmd {
	return wrapGen(cmd, r.gen, r.current)
}

func wrapGen(cmd tea.Cmd, gen uint64, current *atomic.Uint64) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg {
		msg := cmd()
		if current.Load() != gen {
			return nil
		}
		if batch, ok := msg.(tea.BatchMsg); ok {
			out := make(tea.BatchMsg, len(batch))
			for i, c := range batch {
				out[i] = wrapGen(c, gen, current)
			}
			return out
		}
		return msg
	}
}

var noticeStyle = lipgloss.NewStyle().Bold(true).Reverse(true)

// View implements tea.Model: the app's view, below the notice if any.
func (r *router) View() tea.View {
	v := r.inner.View()
	if r.notice == "" || r.w <= 0 {
		return v
	}
	line := ansi.Truncate(r.notice, r.w, "…")
	if pad := r.w - ansi.StringWidth(line); pad > 0 {
		line += fmt.Sprintf("%*s", pad, "")
	}
	v.Content = noticeStyle.Render(line) + "\n" + v.Content
	if v.Cursor != nil {
		c := *v.Cursor
		c.Y++
		v.Cursor = &c
	}
	return v
}
