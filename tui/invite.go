package tui

import (
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
)

// Mailer is the mail system the terminal app drives: it queues invitation
// and reset mail, reports the jobs' progress and says where mail goes.
// *mail.Mailer implements it.
type Mailer interface {
	// Invite queues invitations and returns the jobs (store.DB.InviteUsers).
	Invite(actor roster.Actor, ids []uint64) (store.Queued, error)
	// QueueResets queues password-reset mail (store.DB.QueueResets).
	QueueResets(actor roster.Actor, ids []uint64) (store.Queued, error)
	// Progress counts the jobs per state.
	Progress(jobs []uint64) (store.JobCounts, error)
	// Mode says where mail goes: "dev mailbox" or the SMTP URL without secrets.
	Mode() string
	// DevMailbox reports whether mail goes to the built-in dev mailbox.
	DevMailbox() bool
	// BaseURL is the base of the links in mail, without a trailing slash.
	BaseURL() string
}

// ProgressEvery is how often the invitation progress bar polls the jobs.
const ProgressEvery = 200 * time.Millisecond

// mailKind is what a mailScreen sends.
type mailKind int

const (
	mailInvite mailKind = iota
	mailReset
)

// mailActions are the actions menu's entries for mail, when Services.Mail is set.
func mailActions() []Action {
	return []Action{
		{
			Label:    "Send invitation",
			LabelFor: inviteLabel,
			Skip:     func(c *Common, u *roster.User) string { return store.InviteSkip(c.Actor, u) },
			Open:     func(c *Common, ids []uint64) (screen, tea.Cmd) { return newMailScreen(c, ids, mailInvite), nil },
		},
		{
			Label: "Send password reset",
			Skip:  func(c *Common, u *roster.User) string { return store.ResetSkip(c.Actor, u) },
			Open:  func(c *Common, ids []uint64) (screen, tea.Cmd) { return newMailScreen(c, ids, mailReset), nil },
		},
		{
			Label:  "Set-password link",
			Single: true,
			Skip:   opSkip(roster.OpIssueLink),
			Open: func(c *Common, ids []uint64) (screen, tea.Cmd) {
				if len(ids) != 1 {
					return nil, func() tea.Msg { return say("A set-password link is for one user at a time: select one", true) }
				}
				return newLinkScreen(c, ids[0]), nil
			},
		},
		{
			Label: "Unblock mail", Verb: "unblocked",
			Skip: func(c *Common, u *roster.User) string {
				if !u.Suppressed {
					return "mail is not blocked"
				}
				return maySkip(c, roster.OpUnblockMail, u)
			},
			Question: func(who, _ string) string { return "Let mail go to " + who + " again?" },
			Run: func(c *Common, ids []uint64, _ string) (roster.BulkResult, error) {
				return c.DB.UnblockMail(c.Actor, ids)
			},
		},
	}
}

// inviteLabel says "Re-send invitation" only when every user it would go
// to was sent one before.
func inviteLabel(c *Common, ids []uint64) string {
	if resending(c, ids) {
		return "Re-send invitation"
	}
	return "Send invitation"
}

// resending reports whether every user an invitation would go to was sent
// one before (and at least one would get it).
func resending(c *Common, ids []uint64) bool {
	if c.snap == nil {
		return false
	}
	n := 0
	for _, id := range ids {
		i, ok := c.snap.indexOf(id)
		if !ok {
			continue
		}
		u := c.snap.rows[i].u
		if store.InviteSkip(c.Actor, u) != "" {
			continue
		}
		if !sentBefore(u) {
			return false
		}
		n++
	}
	return n > 0
}

// sentBefore reports whether an invitation to u left for their address
// (it may have expired or bounced since); one only queued, or that failed
// to send, does not count.
func sentBefore(u *roster.User) bool {
	if u.InvitedAt.IsZero() {
		return false
	}
	return u.Delivery == roster.DeliverySent || u.Delivery == roster.DeliveryBounced
}

type mailStep int

const (
	mailConfirm mailStep = iota
	mailQueuing
	mailSending
	mailDone
)

// mailScreen sends invitations or reset mail: a confirmation that names the
// count and what will be skipped and why, then a progress bar fed by the
// jobs' states while the worker sends, then a summary.
type mailScreen struct {
	c    *Common
	kind mailKind
	ids  []uint64 // every user asked for
	send int      // how many would be sent at confirmation time
	verb string   // "Send" or "Re-send", as asked
	skip []skipGroup
	step mailStep

	q      store.Queued
	counts store.JobCounts
	failed []*store.Job // failed, bounced and deferred jobs, for the summary
	err    error
}

// skipGroup is the users skipped for one reason.
type skipGroup struct {
	reason string
	names  []string
}

// Messages of a mailScreen (its commands' results come back to it alone).
type (
	mailQueuedMsg struct {
		q   store.Queued
		err error
	}
	mailProgressMsg struct {
		counts store.JobCounts
		err    error
	}
	mailJobsMsg struct {
		jobs []*store.Job
		err  error
	}
)

func newMailScreen(c *Common, ids []uint64, kind mailKind) *mailScreen {
	s := &mailScreen{c: c, kind: kind, ids: ids, verb: "Send"}
	if kind == mailInvite && resending(c, ids) {
		s.verb = "Re-send"
	}
	skipFn := store.InviteSkip
	if kind == mailReset {
		skipFn = store.ResetSkip
	}
	groups := map[string]*skipGroup{}
	for _, id := range ids {
		reason := "deleted"
		name := "#" + itoa(int(id))
		if i, ok := c.snap.indexOf(id); ok {
			u := c.snap.rows[i].u
			name = u.Username
			reason = skipFn(c.Actor, u)
		}
		if reason == "" {
			s.send++
			continue
		}
		g := groups[reason]
		if g == nil {
			g = &skipGroup{reason: reason}
			groups[reason] = g
		}
		g.names = append(g.names, name)
	}
	for _, g := range groups {
		s.skip = append(s.skip, *g)
	}
	sort.Slice(s.skip, func(i, j int) bool {
		if len(s.skip[i].names) != len(s.skip[j].names) {
			return len(s.skip[i].names) > len(s.skip[j].names)
		}
		return s.skip[i].reason < s.skip[j].reason
	})
	return s
}

func (s *mailScreen) dialog() {}

// TakesText implements screen: while mail is queued the root leaves keys alone.
func (s *mailScreen) TakesText() bool { return s.step == mailQueuing }

// Help implements screen.
func (s *mailScreen) Help() help.KeyMap {
	switch s.step {
	case mailConfirm:
		if s.send == 0 {
			return keyMap{short: []key.Binding{kb("enter/esc", "close", "enter")}}
		}
		return keyMap{short: []key.Binding{kb("y/enter", "send", "y"), kb("n/esc", "cancel", "n")}}
	case mailSending:
		if s.c.mailErr != nil {
			return keyMap{short: []key.Binding{kb("esc", "close; the mail stays queued", "esc")}}
		}
		return keyMap{short: []key.Binding{kb("esc", "close; sending goes on", "esc")}}
	case mailDone:
		return keyMap{short: []key.Binding{kb("enter/esc", "close", "enter")}}
	}
	return keyMap{}
}

// noun is "invitation" or "password reset".
func (s *mailScreen) noun() string {
	if s.kind == mailReset {
		return "password reset"
	}
	return "invitation"
}

// Update implements screen.
func (s *mailScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case mailQueuedMsg:
		s.q, s.err = msg.q, msg.err
		if msg.err != nil || len(msg.q.Jobs) == 0 {
			s.step = mailDone
			return s, func() tea.Msg { return reloadMsg{} }
		}
		s.step = mailSending
		s.counts = store.JobCounts{Total: len(msg.q.Jobs), Queued: len(msg.q.Jobs)}
		return s, tea.Batch(s.pollCmd(0), func() tea.Msg { return reloadMsg{} })
	case mailProgressMsg:
		if s.step != mailSending {
			return s, nil
		}
		if msg.err != nil {
			s.err, s.step = msg.err, mailDone
			return s, nil
		}
		s.counts = msg.counts
		if msg.counts.Pending() == msg.counts.Deferred {
			if msg.counts.Failed+msg.counts.Bounced+msg.counts.Deferred > 0 {
				return s, s.jobsCmd()
			}
			s.step = mailDone
			return s, func() tea.Msg { return reloadMsg{} }
		}
		return s, s.pollCmd(ProgressEvery)
	case mailJobsMsg:
		s.step = mailDone
		if msg.err != nil {
			s.err = msg.err
		}
		for _, j := range msg.jobs {
			if j.State == store.JobFailed || j.State == store.JobBounced || j.State == store.JobQueued {
				s.failed = append(s.failed, j)
			}
		}
		return s, func() tea.Msg { return reloadMsg{} }
	case tea.KeyPressMsg:
		return s.key(msg)
	}
	return s, nil
}

func (s *mailScreen) key(msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := msg.String()
	switch s.step {
	case mailConfirm:
		switch {
		case s.send == 0 && (k == "enter" || k == "esc" || k == "q" || k == "n"):
			return asks(s, closeMsg{}), nil
		case s.send == 0:
		case k == "y" || k == "Y" || k == "enter":
			s.step = mailQueuing
			return s, s.queueCmd()
		case k == "n" || k == "N" || k == "esc" || k == "q":
			return asks(s, closeMsg{}), nil
		}
	case mailSending:
		if k == "esc" || k == "q" {
			text := plural(s.counts.Pending(), s.noun()) + " still sending in the background"
			return asks(s, closeMsg{}, say(text, false)), nil
		}
	case mailDone:
		switch k {
		case "enter", "esc", "q", "space":
			text, isErr := s.summaryLine()
			return asks(s, closeMsg{}, say(text, isErr)), nil
		}
	}
	return s, nil
}

// queueCmd queues the mail for every user asked for; the store skips the
// same users the confirmation listed (or more, if they changed meanwhile).
func (s *mailScreen) queueCmd() tea.Cmd {
	m, actor, ids, kind := s.c.Services.Mail, s.c.Actor, s.ids, s.kind
	return func() tea.Msg {
		var q store.Queued
		var err error
		if kind == mailReset {
			q, err = m.QueueResets(actor, ids)
		} else {
			q, err = m.Invite(actor, ids)
		}
		return mailQueuedMsg{q: q, err: err}
	}
}

// pollCmd counts the jobs' states after d.
func (s *mailScreen) pollCmd(d time.Duration) tea.Cmd {
	m, jobs := s.c.Services.Mail, s.q.Jobs
	poll := func(time.Time) tea.Msg {
		c, err := m.Progress(jobs)
		return mailProgressMsg{counts: c, err: err}
	}
	if d <= 0 {
		return func() tea.Msg { return poll(time.Time{}) }
	}
	return tea.Tick(d, poll)
}

// jobsCmd reads the jobs, for the reasons of failures.
func (s *mailScreen) jobsCmd() tea.Cmd {
	db, actor, jobs := s.c.DB, s.c.Actor, s.q.Jobs
	return func() tea.Msg {
		js, err := db.Jobs(actor, jobs)
		return mailJobsMsg{jobs: js, err: err}
	}
}

// summaryLine says what happened, as one line for the status bar.
func (s *mailScreen) summaryLine() (string, bool) {
	if s.err != nil {
		return s.noun() + ": " + roster.ErrorMessage(s.err), true
	}
	c := s.counts
	parts := []string{plural(c.Sent, s.noun()) + " sent"}
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, itoa(n)+" "+what)
		}
	}
	add(c.Failed, "failed")
	add(c.Bounced, "bounced")
	add(len(s.q.Skipped), "skipped")
	add(c.Deferred, "deferred")
	add(c.Cancelled, "replaced")
	add(c.Missing, "deleted")
	// Skipped users were listed in the confirmation: not an error.
	bad := c.Failed+c.Bounced > 0
	return plural(len(s.ids), "user") + ": " + strings.Join(parts, ", "), bad
}

// View implements screen.
func (s *mailScreen) View() string {
	st := s.c.Styles.App
	width := min(64, max(20, s.c.Width-10)) // text inside the dialog frame
	var b strings.Builder
	verb := s.verb
	switch s.step {
	case mailConfirm:
		if s.send == 0 {
			b.WriteString(st.DialogTitle.Render("No " + s.noun() + " to send"))
		} else {
			b.WriteString(st.DialogTitle.Render(verb + " " + plural(s.send, s.noun()) + "?"))
		}
		b.WriteString("\n\n")
		if s.send > 0 {
			b.WriteString(st.Muted.Render("Mail goes to: "+s.c.Services.Mail.Mode()) + "\n")
			if w, ok := s.c.Services.Mail.(interface{ Warnings() []string }); ok {
				for _, line := range w.Warnings() {
					text, _ := s.c.cells.safe("⚠ " + line)
					b.WriteString(st.Warn.Render(ansi.Wordwrap(text, width, "")) + "\n")
				}
			}
		}
		if len(s.skip) > 0 {
			b.WriteString("\n" + st.Warn.Render("Skipped: "+plural(len(s.ids)-s.send, "user")) + "\n")
			for i, g := range s.skip {
				if i == 4 {
					b.WriteString(st.Muted.Render("  …and "+itoa(len(s.skip)-i)+" more reasons") + "\n")
					break
				}
				b.WriteString("  " + itoa(len(g.names)) + " " + g.reason + ": " + nameList(g.names, width-len(g.reason)-8) + "\n")
			}
		}
		b.WriteString("\n")
		if s.send == 0 {
			b.WriteString(st.Muted.Render("enter to close"))
		} else {
			b.WriteString(st.Key.Render("y") + " send    " + st.Key.Render("n") + " cancel")
		}
	case mailQueuing:
		b.WriteString(st.DialogTitle.Render(verb + " " + plural(s.send, s.noun())))
		b.WriteString("\n\n" + st.Muted.Render("Queuing…"))
	case mailSending:
		c := s.counts
		b.WriteString(st.DialogTitle.Render(verb + " " + plural(c.Total, s.noun())))
		b.WriteString("\n\n")
		frac := 0.0
		if c.Total > 0 {
			frac = float64(c.Done()) / float64(c.Total)
		}
		b.WriteString(s.c.bar(frac, min(40, width-6)))
		line := itoa(c.Sent) + " of " + itoa(c.Total) + " sent"
		if c.Failed+c.Bounced > 0 {
			line += ", " + itoa(c.Failed+c.Bounced) + " failed or bounced"
		}
		if c.Deferred > 0 {
			line += ", " + itoa(c.Deferred) + " deferred"
		}
		b.WriteString("\n" + st.Muted.Render(line))
		if s.c.mailErr != nil {
			why, _ := s.c.cells.safe(mailStoppedText(s.c.mailErr))
			b.WriteString("\n" + st.Error.Render(ansi.Wrap(why, width, " ")))
			b.WriteString("\n" + st.Muted.Render("the mail stays queued; restart roster to send it"))
		} else {
			b.WriteString("\n" + st.Muted.Render("esc closes this; sending goes on"))
		}
	case mailDone:
		s.viewSummary(&b, width)
	}
	return s.c.box(strings.TrimRight(b.String(), "\n"))
}

// viewSummary draws the summary: sent, failed with reasons, bounced,
// skipped, deferred.
func (s *mailScreen) viewSummary(b *strings.Builder, width int) {
	st := s.c.Styles.App
	text, bad := s.summaryLine()
	if s.err != nil {
		b.WriteString(st.Error.Render("✗ " + text))
		b.WriteString("\n\n" + st.Muted.Render("enter to close"))
		return
	}
	if bad || len(s.q.Skipped) > 0 || s.counts.Deferred > 0 {
		b.WriteString(st.Warn.Render("! " + text))
	} else {
		b.WriteString(st.Success.Render("✓ " + text))
	}
	b.WriteString("\n")
	shown := 0
	for _, j := range s.failed {
		if shown == 5 {
			b.WriteString(st.Muted.Render("  …and "+itoa(len(s.failed)-shown)+" more ('roster mail queue' lists them)") + "\n")
			break
		}
		state := j.State.String()
		if j.State == store.JobQueued {
			state = "deferred"
		}
		detail := j.Detail
		if detail == "" {
			detail = "no reason given"
		}
		// The address, then the server's words on a line of their own.
		to, w := s.c.cells.safe(state + " " + j.To + ":")
		b.WriteString("  " + st.Error.Render(s.c.cells.fit(to, w, width-2)) + "\n")
		detail, w = s.c.cells.safe(detail)
		b.WriteString("    " + s.c.cells.fit(detail, w, width-4) + "\n")
		shown++
	}
	for _, g := range groupSkipped(s.q.Skipped) {
		b.WriteString("  " + st.Warn.Render(itoa(len(g.names))+" skipped, "+g.reason) + ": " + nameList(g.names, width-len(g.reason)-16) + "\n")
	}
	if s.counts.Deferred > 0 {
		b.WriteString(st.Muted.Render("Deferred mail is retried later by this app or 'roster serve'.") + "\n")
	}
	for _, j := range s.failed {
		if mail.SettingsProblem(j.Detail) {
			b.WriteString(st.Warn.Render(settingsHelp) + "\n")
			break
		}
	}
	if s.c.Services.Mail.DevMailbox() && s.counts.Sent > 0 {
		b.WriteString(st.Muted.Render("No SMTP server is set: read the mail with ") + st.Key.Render("M") + st.Muted.Render(" (Mailbox).") + "\n")
	}
	b.WriteString("\n" + st.Muted.Render("enter to close"))
}

// settingsHelp follows a summary where the relay refused Roster itself.
const settingsHelp = "The relay refused Roster's connection, greeting, sender or login, not the\n" +
	"recipients: nobody was blocked. Check the mail settings (--smtp-helo, --from,\n" +
	"the SMTP user and password), then retry with 'roster mail retry'."

// groupSkipped groups a bulk result's skipped users by reason.
func groupSkipped(sk []roster.Skipped) []skipGroup {
	var out []skipGroup
	at := map[string]int{}
	for _, x := range sk {
		i, ok := at[x.Reason]
		if !ok {
			i = len(out)
			at[x.Reason] = i
			out = append(out, skipGroup{reason: x.Reason})
		}
		out[i].names = append(out[i].names, x.Target)
	}
	return out
}

// nameList joins names into at most width cells, ending "…" when cut.
func nameList(names []string, width int) string {
	width = max(width, 12)
	var b strings.Builder
	for i, n := range names {
		sep := ""
		if i > 0 {
			sep = ", "
		}
		more := ""
		if i < len(names)-1 {
			more = ", …"
		}
		if b.Len()+len(sep)+len(n)+len(more) > width {
			b.WriteString(sep + "…")
			break
		}
		b.WriteString(sep + n)
	}
	return b.String()
}
