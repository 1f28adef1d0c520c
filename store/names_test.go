package store

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure the given name and surname are stored with the user, survive a
// reopening of the file, change and clear through UpdateUser (audited),
// and refuse what breaks their rules without changing anything.
func TestNamePartsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(local, roster.NewUser{Username: "ada", Email: "ada@example.com",
		GivenName: " Augusta Ada ", Surname: "King-Noël"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Augusta Ada King-Noël" || u.GivenName != "Augusta Ada" || u.Surname != "King-Noël" {
		t.Fatalf("created %q / %q / %q", u.Name, u.GivenName, u.Surname)
	}
	db, err = Open(path) // a second handle reads the file afresh
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.User(local, u.ID)
	if err != nil || got.GivenName != "Augusta Ada" || got.Surname != "King-Noël" {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}

	given, surname := "Ada", "Lovelace"
	got, err = db.UpdateUser(local, u.ID, roster.UserUpdate{GivenName: &given, Surname: &surname})
	if err != nil || got.GivenName != "Ada" || got.Surname != "Lovelace" || got.Name != "Augusta Ada King-Noël" {
		t.Fatalf("update: %+v, %v", got, err)
	}
	ev := lastEvent(t, db)
	if ev.Action != roster.ActionUserUpdate || !strings.Contains(ev.Details, `given name "Augusta Ada" → "Ada"`) ||
		!strings.Contains(ev.Details, `surname "King-Noël" → "Lovelace"`) {
		t.Fatalf("audit %+v", ev)
	}

	before := snapshot(t, db)
	for _, c := range []struct {
		upd   roster.UserUpdate
		field string
	}{
		{roster.UserUpdate{GivenName: ptr("A\u202eda")}, "given_name"},
		{roster.UserUpdate{Surname: ptr(strings.Repeat("x", roster.MaxNameLen+1))}, "surname"},
		{roster.UserUpdate{Surname: ptr("Love\u200blace")}, "surname"},
	} {
		_, err := db.UpdateUser(local, u.ID, c.upd)
		wantErr(t, err, roster.EINVALID, c.field)
	}
	if s := snapshot(t, db); s != before {
		t.Fatal("a refused update changed the file")
	}

	empty := ""
	got, err = db.UpdateUser(local, u.ID, roster.UserUpdate{GivenName: &empty, Surname: &empty})
	if err != nil || got.GivenName != "" || got.Surname != "" {
		t.Fatalf("clearing: %+v, %v", got, err)
	}
	_, err = db.CreateUser(local, roster.NewUser{Username: "bob", Name: "Bob", Email: "bob@example.com", Surname: "\u202eboB"})
	wantErr(t, err, roster.EINVALID, "surname")
	if problems := db.Check(local); len(problems) > 0 {
		t.Errorf("database check: %v", problems)
	}
}

func ptr[T any](v T) *T { return &v }

// Ensure a person invited by e-mail alone has no name until they give one
// with their password, in the same transaction; that the invitation is
// refused without it (nothing changes); and that a service account or a
// user without an address still needs a name.
func TestActivateNamed(t *testing.T) {
	db := MustOpenDB(t)
	bob, err := db.CreateUser(local, roster.NewUser{Username: "bob", Email: "bob@example.com"})
	if err != nil {
		t.Fatalf("create without a name: %v", err)
	}
	if bob.Name != "" || bob.DisplayName() != "bob" {
		t.Fatalf("created %+v", bob)
	}
	_, err = db.CreateUser(local, roster.NewUser{Username: "svc", Kind: roster.KindService})
	wantErr(t, err, roster.EINVALID, "name")

	raw := mustLink(t, db, bob, roster.TokenInvite)
	pw := approve(t, bob, "correct horse battery")
	before := snapshotExceptAudit(t, db)
	_, err = db.Activate(raw, pw, "192.0.2.7")
	wantErr(t, err, roster.EINVALID, "name")
	_, err = db.ActivateNamed(raw, pw, &roster.PersonName{Name: "Bob\u202e"}, "192.0.2.7")
	wantErr(t, err, roster.EINVALID, "name")
	_, err = db.ActivateNamed(raw, pw, &roster.PersonName{Name: "Bob", Surname: "\u200b"}, "192.0.2.7")
	wantErr(t, err, roster.EINVALID, "surname")
	if s := snapshotExceptAudit(t, db); s != before {
		t.Fatal("a refused activation changed the file")
	}

	u, err := db.ActivateNamed(raw, pw, &roster.PersonName{GivenName: "Robert", Surname: "Tables "}, "192.0.2.7")
	if err != nil {
		t.Fatalf("activate with a name: %v", err)
	}
	stored, err := db.User(local, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*roster.User{u, stored} {
		if got.Status != roster.StatusActive || got.Name != "Robert Tables" || got.GivenName != "Robert" ||
			got.Surname != "Tables" || got.PasswordHash == "" {
			t.Fatalf("after activation: %+v", got)
		}
	}
	ev := lastEvent(t, db)
	if ev.Action != roster.ActionUserActivate || !strings.Contains(ev.Details, `name "Robert Tables" given by the user`) {
		t.Fatalf("audit %+v", ev)
	}
	// Once Active, the name is required like anyone's.
	_, err = db.UpdateUser(local, bob.ID, roster.UserUpdate{Name: ptr("")})
	wantErr(t, err, roster.EINVALID, "name")
}

// Ensure a Pending invitee's name may be emptied again (the invitee will
// give it), and that a reset link does not ask for one.
func TestNameLaterUpdates(t *testing.T) {
	db := MustOpenDB(t)
	cy := mustCreate(t, db, "cy", "Cy", "cy@example.com")
	got, err := db.UpdateUser(local, cy.ID, roster.UserUpdate{Name: ptr("")})
	if err != nil || got.Name != "" {
		t.Fatalf("emptying a Pending invitee's name: %+v, %v", got, err)
	}
	if res, err := db.SetStatus(local, []uint64{cy.ID}, roster.StatusActive); err != nil || len(res.Changed) != 1 {
		t.Fatalf("mark active: %+v, %v", res, err)
	}
	raw := mustLink(t, db, got, roster.TokenReset)
	if _, err := db.Activate(raw, approve(t, got, "correct horse battery"), "192.0.2.9"); err != nil {
		t.Fatalf("reset of a nameless user: %v", err)
	}
}
