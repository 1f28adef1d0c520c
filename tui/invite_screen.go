package tui

import (
	"sort"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/roster-dev/roster/store"
)

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
			u := c.snap.user(i)
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
