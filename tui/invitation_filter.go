package tui

import (
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// invitationFilters are the states the list's invitation filter (i) cycles
// through after "" (any): the states rows show (see rowInvitation), then
// "none" for rows that show none.
var invitationFilters = []string{"", "queued", "sent", "failed", "bounced", "expired", "none"}

func nextInvitationFilter(cur string) string {
	for i, f := range invitationFilters {
		if f == cur {
			return invitationFilters[(i+1)%len(invitationFilters)]
		}
	}
	return ""
}

// filterInvitation keeps the rows that show the invitation state inv
// ("none": rows that show none).
func filterInvitation(snap *snapshot, view []int32, inv string, now time.Time) []int32 {
	if inv == "none" {
		inv = ""
	}
	out := make([]int32, 0, len(view)/4+16)
	var u roster.User
	for _, i := range view {
		snap.rows[i].Decode(&u)
		if rowInvitation(&u, now) == inv {
			out = append(out, i)
		}
	}
	return out
}

// rowInvitation is the invitation state a row shows: for a Pending user
// their invitation's, for anyone a blocked address; "" shows nothing.
func rowInvitation(u *roster.User, now time.Time) string {
	if u.Status != roster.StatusPending && !u.Suppressed {
		return ""
	}
	return store.InvitationState(u, now)
}
