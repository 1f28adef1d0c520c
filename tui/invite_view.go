package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/store"
)

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
