package store

import (
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
)

// Ensure the invitation list says what became of each invitation: queued,
// link, expired (listed until replaced), accepted, replaced, revoked, with
// who sent it and until when it works.
func TestInvitationList(t *testing.T) {
	db := MustOpenDB(t)
	clock := useManualClock(db)
	ids := map[string]uint64{}
	for _, n := range []string{"ada", "bob", "carl", "dan", "eve"} {
		ids[n] = mustCreate(t, db, n, strings.ToUpper(n[:1])+n[1:], n+"@example.com").ID
	}
	invite := func(names ...string) {
		t.Helper()
		var list []uint64
		for _, n := range names {
			list = append(list, ids[n])
		}
		if q, err := db.InviteUsers(local, list, MailOptions{Render: renderRaw, TTL: time.Hour}); err != nil || len(q.Changed) != len(names) {
			t.Fatalf("invite %v: %+v %v", names, q, err)
		}
	}
	invite("carl")
	clock.Add(2 * time.Hour) // carl's link expires
	invite("ada", "eve")
	clock.Add(time.Minute)
	invite("eve") // replaces eve's first
	if _, _, err := db.IssueLink(local, ids["bob"], roster.TokenInvite, time.Hour); err != nil {
		t.Fatal(err)
	}
	raw, _, err := db.IssueLink(local, ids["dan"], roster.TokenInvite, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dan, _ := db.User(local, ids["dan"])
	if _, err := db.Activate(raw, approve(t, dan, "a long enough passphrase"), "test"); err != nil {
		t.Fatal(err)
	}
	list, err := db.Invitations(local, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, inv := range list {
		got = append(got, inv.Username+":"+inv.State)
		if inv.SentBy != local.Name {
			t.Errorf("%s sent by %q", inv.Username, inv.SentBy)
		}
		if !inv.ExpiresAt.After(inv.SentAt) {
			t.Errorf("%s expires %v, sent %v", inv.Username, inv.ExpiresAt, inv.SentAt)
		}
	}
	want := "bob:link dan:accepted eve:queued ada:queued eve:replaced carl:expired"
	if strings.Join(got, " ") != want {
		t.Fatalf("list\n got %s\nwant %s", strings.Join(got, " "), want)
	}

	// Revoking ada's invitation kills the link and shows it revoked.
	if err := db.RevokeInvitation(local, ids["ada"]); err != nil {
		t.Fatal(err)
	}
	err = db.RevokeInvitation(local, ids["ada"])
	wantErr(t, err, roster.ENOTFOUND, "")
	if evs := eventsOf(t, db, roster.ActionInviteRevoke); len(evs) != 1 {
		t.Errorf("revoke events: %+v", evs)
	}
	// Closed invitations older than since are left out; open ones stay.
	list, err = db.Invitations(local, clock.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, inv := range list {
		got = append(got, inv.Username+":"+inv.State)
	}
	if want := "bob:link eve:queued carl:expired"; strings.Join(got, " ") != want {
		t.Errorf("recent\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	// A member may not read the list.
	_, err = db.Invitations(roster.Actor{Name: "m", UserID: ids["dan"], Role: roster.RoleMember}, time.Time{})
	if roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("member: %v", err)
	}
}
