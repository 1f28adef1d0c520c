package tui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/roster-dev/roster/store"
)

// The header's parts that come with the services (mail mode, where the
// site is served, the last backup), and the backup state behind them.

// backupMsg is when the last backup was made and the schedule's interval.
type backupMsg struct {
	at    time.Time
	every time.Duration
	err   error
}

// backupCmd reads the last backup's time, for the header.
func backupCmd(db *store.DB) tea.Cmd {
	return func() tea.Msg {
		at, _, err := db.LastBackup()
		if err != nil {
			return backupMsg{err: err}
		}
		every, err := db.BackupInterval()
		return backupMsg{at: at, every: every, err: err}
	}
}

// servicesHeader is the header when the app runs the services: the
// product, where mail goes, where the invitation site is served and the
// last backup (a warning when there is none or it is overdue), then the
// database path and the counts when they fit. Parts are dropped from the
// least telling when the terminal is narrow.
func (m *Model) servicesHeader(left, counts string) string {
	c := m.c
	st := c.Styles.App
	type part struct {
		text string
		keep int // lower goes first
	}
	title := st.Title.Render("Roster")
	path := st.Path.Render(c.DB.Path())
	mail := st.Muted.Render("✉ " + c.Services.Mail.Mode())
	if w, ok := c.Services.Mail.(interface{ Warnings() []string }); ok && len(w.Warnings()) > 0 {
		mail = st.Warn.Render("⚠ ✉ " + c.Services.Mail.Mode() + " (check the mail settings)")
	}
	if c.mailErr != nil {
		mail = st.Error.Render("✉ mail stopped")
	}
	var site string
	siteKeep := 4
	if c.Services.Site != "" {
		site = st.Muted.Render("site " + strings.TrimPrefix(c.Services.Site, "http://"))
		if text, ok := strings.CutPrefix(c.Services.Site, SiteBroken); ok {
			site = st.Warn.Render("⚠ site " + text)
			siteKeep = 8
		}
	}
	backup, warn := m.backupText()
	if warn {
		backup = st.Warn.Render("⚠ " + backup)
	} else {
		backup = st.Muted.Render(backup)
	}
	bk := 3
	if warn {
		bk = 5
	}
	// The user count alone stays when the counts per status do not fit
	// (the tabs show those).
	short := ""
	if c.snap != nil {
		short = st.Muted.Render(plural(len(c.snap.rows), "user"))
	}
	// In display order; keep says what survives a narrow terminal.
	// The database path outlives the counts per status, which the tabs
	// right below repeat.
	parts := []part{{title, 9}, {mail, 6}, {site, siteKeep}, {backup, bk}, {path, 2}, {counts, 1}, {short, 7}}
	for limit := 0; limit <= 9; limit++ {
		var shown []string
		for _, p := range parts {
			if p.text == short && limit <= 1 && counts != "" {
				continue // the full counts are shown
			}
			if p.keep >= limit && p.text != "" {
				shown = append(shown, p.text)
			}
		}
		line := strings.Join(shown, "  ")
		if lipgloss.Width(line) <= c.Width {
			return line
		}
	}
	return lipgloss.NewStyle().MaxWidth(c.Width).Render(title)
}

// backupText says when the last backup was made, and whether to warn: none
// yet, or older than the schedule's interval (store.DefaultBackupInterval
// when none is recorded).
func (m *Model) backupText() (string, bool) {
	b := m.backup
	switch {
	case b.err != nil:
		return "backup unknown", true
	case b.at.IsZero():
		return "no backup yet", true
	}
	every := b.every
	if every <= 0 {
		every = store.DefaultBackupInterval
	}
	now := m.c.Now()
	text := "backup " + ago(now, b.at) + " ago"
	if ago(now, b.at) == "now" {
		text = "backed up now"
	}
	return text, now.Sub(b.at) > every
}
