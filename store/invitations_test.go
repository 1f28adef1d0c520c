package store

import (
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
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

// Ensure each invitation keeps the address it was sent to: after the
// user's address is changed and a new link made, the old row still shows
// the old address. A token record written before addresses were kept (v1)
// still loads, works, and is listed with the user's current address.
func TestInvitationKeepsAddress(t *testing.T) {
	db := MustOpenDB(t)
	clock := useManualClock(db)
	ada := mustCreate(t, db, "ada", "Ada", "ada@old.example.com")
	bob := mustCreate(t, db, "bob", "Bob", "bob@example.com")
	if q, err := db.InviteUsers(local, []uint64{ada.ID}, MailOptions{Render: renderRaw}); err != nil || len(q.Changed) != 1 {
		t.Fatalf("invite: %+v %v", q, err)
	}
	clock.Add(time.Minute)
	email := "ada@new.example.com"
	if _, err := db.UpdateUser(local, ada.ID, roster.UserUpdate{Email: &email}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.IssueLink(local, ada.ID, roster.TokenInvite, 0); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	raw, bobToken, err := db.IssueLink(local, bob.ID, roster.TokenInvite, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite bob's token as an older version wrote it: no address.
	err = db.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTokens).Put(bobToken.Hash[:], encodeTokenV1(bobToken))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, u, err := db.LookupToken(raw); err != nil || u.ID != bob.ID {
		t.Fatalf("the v1 token does not load: %v", err)
	}
	bobEmail := "bob@elsewhere.example.com"
	if _, err := db.UpdateUser(local, bob.ID, roster.UserUpdate{Email: &bobEmail}); err != nil {
		t.Fatal(err)
	}

	list, err := db.Invitations(local, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, inv := range list {
		got = append(got, inv.Username+":"+inv.State+":"+inv.Email)
	}
	want := "bob:revoked:bob@elsewhere.example.com ada:link:ada@new.example.com ada:replaced:ada@old.example.com"
	if strings.Join(got, " ") != want {
		t.Fatalf("list\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

// encodeTokenV1 writes a token record as versions before the address did.
func encodeTokenV1(t *Token) []byte {
	e := encoder{}
	e.byte(tokenRecordV1)
	e.b = append(e.b, t.Hash[:]...)
	e.uvarint(t.UserID)
	e.byte(byte(t.Purpose))
	e.time(t.CreatedAt)
	e.time(t.ExpiresAt)
	e.byte(t.State)
	return e.b
}
