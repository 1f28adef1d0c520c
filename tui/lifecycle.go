package tui

// The list's parts of the account lifecycle (issue 17): the Service tab,
// the expiry and dormant filters, the expiry date in the Latest column,
// and the lifecycle actions of the actions menu.

import (
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// tabService is the Service tab's place in statusTabs: service accounts,
// which the status tabs (persons only) leave out.
const tabService roster.Status = 200

// tabMatch reports whether row r belongs in the tab of status st (0: all).
func tabMatch(st roster.Status, r *row) bool {
	switch {
	case st == 0:
		return true
	case st == tabService:
		return r.Kind == roster.KindService
	}
	return r.Status == st && r.Kind != roster.KindService
}

// personCounts counts persons by status, and service accounts apart:
// the status tabs and the header count people.
func personCounts(rows []row) (map[roster.Status]int, int) {
	counts := make(map[roster.Status]int, 3)
	services := 0
	for i := range rows {
		u := &rows[i]
		if u.Kind == roster.KindService {
			services++
			continue
		}
		counts[u.Status]++
	}
	return counts, services
}

// lifeFilter is the list's lifecycle filter (d cycles it).
type lifeFilter struct {
	label    string
	expiring time.Duration // expires within this (not disabled yet)
	inactive time.Duration // Active, no sign-in for this long (never: since activation)
}

const day = 24 * time.Hour

// lifeFilters are what d cycles through after none.
var lifeFilters = []lifeFilter{
	{},
	{label: "expires within 30 days", expiring: 30 * day},
	{label: "no sign-in for 30 days", inactive: 30 * day},
	{label: "no sign-in for 90 days", inactive: 90 * day},
	{label: "no sign-in for 180 days", inactive: 180 * day},
}

func nextLifeFilter(i int) int { return (i + 1) % len(lifeFilters) }

// filterLife keeps the rows the lifecycle filter f matches.
func filterLife(snap *snapshot, view []int32, f lifeFilter, now time.Time) []int32 {
	out := make([]int32, 0, len(view)/4+16)
	u := &roster.User{}
	for _, i := range view {
		snap.rows[i].Decode(u)
		if (f.expiring > 0 && u.ExpiresWithin(now, f.expiring)) || (f.inactive > 0 && u.InactiveFor(now, f.inactive)) {
			out = append(out, i)
		}
	}
	return out
}

// expiryCell is what the Latest column says of an account with an expiry
// date not reached, in at most 14 cells ("ends 31 Mar 27"); "" otherwise.
func expiryCell(u *roster.User) string {
	if u.ExpiresAt.IsZero() || u.Status == roster.StatusDisabled {
		return ""
	}
	return "ends " + u.ExpiresAt.Local().Format("2 Jan 06")
}

// lifecycleActions are the actions menu's lifecycle entries: each asks
// the rule table (through Skip) whether it applies.
func lifecycleActions() []Action {
	return []Action{generateAction(), revokeInvitationAction()}
}

// revokeInvitationAction revokes the live invitation links of the chosen users.
func revokeInvitationAction() Action {
	return Action{
		Label: "Revoke invitation", Verb: "had their invitation revoked", Confirm: true,
		Question: func(who, _ string) string {
			return "Revoke the invitation of " + who + "? Their link stops working."
		},
		Skip: func(c *Common, u *roster.User) string {
			if u.Status != roster.StatusPending || u.InviteExpires.IsZero() || !c.Now().Before(u.InviteExpires) {
				return "no live invitation"
			}
			return maySkip(c, roster.OpInvite, u)
		},
		Run: func(c *Common, ids []uint64, _ string) (roster.BulkResult, error) {
			var res roster.BulkResult
			for _, id := range ids {
				// Run is called off the Update loop: read the store, not c.snap.
				name := "#" + itoa(int(id))
				if u, err := c.DB.User(c.Actor, id); err == nil {
					name = u.Username
				}
				if err := c.DB.RevokeInvitation(c.Actor, id); err != nil {
					if roster.ErrorCode(err) == roster.EINTERNAL {
						return res, err
					}
					res.Skip(name, roster.ErrorMessage(err))
					continue
				}
				res.Changed = append(res.Changed, name)
			}
			return res, nil
		},
	}
}

// detailsSignIns is how many recent sign-ins the details list.
const detailsSignIns = 5

// signInLines are the details' "Last sign-ins" section: when, through
// which door and from where.
func signInLines(c *Common, list []store.SignIn, loading bool) []string {
	st := c.Styles.App
	lines := []string{"", st.DialogTitle.Render("Last sign-ins")}
	switch {
	case loading:
		return append(lines, st.Muted.Render("loading…"))
	case len(list) == 0:
		return append(lines, st.Muted.Render("none recorded"))
	}
	for _, si := range list {
		text := si.At.Local().Format("2006-01-02 15:04") + "  " + si.Via
		if si.From != "" {
			text += " from " + si.From
		}
		text, w := c.cells.safe(text)
		lines = append(lines, c.cells.fit(text, w, max(10, c.Width-20))+st.Muted.Render(" ("+agoText(c.Now(), si.At)+")"))
	}
	return lines
}

// expiryText says when u is disabled by date, and how far off that is.
func expiryText(c *Common, u *roster.User) string {
	date := u.ExpiresAt.Local().Format("Mon 2 Jan 2006")
	now := c.Now()
	switch {
	case u.Status == roster.StatusDisabled:
		return date
	case !now.Before(u.ExpiresAt):
		return c.Styles.App.Warn.Render(date + " (due: disabled within a minute)")
	case u.ExpiresAt.Sub(now) < 30*day:
		return c.Styles.App.Warn.Render(date + " (in " + plural(daysUntil(now, u.ExpiresAt), "day") + ")")
	}
	return date + c.Styles.App.Muted.Render(" (in "+plural(daysUntil(now, u.ExpiresAt), "day")+")")
}

// accountExpiry is My account's line on the date the account ends.
func accountExpiry(u *roster.User, now time.Time) string {
	date := u.ExpiresAt.Local().Format("Mon 2 Jan 2006")
	if u.Status == roster.StatusDisabled || !now.Before(u.ExpiresAt) {
		return date
	}
	return date + " (your account is disabled that day, in " + plural(daysUntil(now, u.ExpiresAt), "day") + ")"
}

// daysUntil counts the calendar days from now's day to t's day, as a
// person reads a date ("in 1 day" for tomorrow, whatever the hour).
func daysUntil(now, t time.Time) int {
	now = now.Local()
	a := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, time.UTC)
	t = t.Local()
	b := time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, time.UTC)
	return int(b.Sub(a) / day)
}
