package store

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure a live link dies with the state that issued it (issue 13, break
// 8: a reset link issued before a disable worked again after the user was
// activated again). Disabling, demoting, changing the e-mail address and
// importing a disable each revoke it; the refusal says "revoked".
func TestLinksDieWithTheirState(t *testing.T) {
	for _, c := range []struct {
		name   string
		role   roster.Role
		change func(t *testing.T, db *DB, u *roster.User)
	}{
		{"disable then activate", roster.RoleMember, func(t *testing.T, db *DB, u *roster.User) {
			mustBulk(t)(db.SetStatus(local, []uint64{u.ID}, roster.StatusDisabled))
			mustBulk(t)(db.SetStatus(local, []uint64{u.ID}, roster.StatusActive))
		}},
		{"demote", roster.RoleAdmin, func(t *testing.T, db *DB, u *roster.User) {
			mustBulk(t)(db.SetRole(local, []uint64{u.ID}, roster.RoleMember))
		}},
		{"demote by edit", roster.RoleAdmin, func(t *testing.T, db *DB, u *roster.User) {
			member := roster.RoleMember
			if _, err := db.UpdateUser(local, u.ID, roster.UserUpdate{Role: &member}); err != nil {
				t.Fatal(err)
			}
		}},
		{"new e-mail", roster.RoleMember, func(t *testing.T, db *DB, u *roster.User) {
			email := "elsewhere@example.org"
			if _, err := db.UpdateUser(local, u.ID, roster.UserUpdate{Email: &email}); err != nil {
				t.Fatal(err)
			}
		}},
		{"import disables, edit activates", roster.RoleMember, func(t *testing.T, db *DB, u *roster.User) {
			rows := []ImportRow{{Line: 2, User: roster.NewUser{Username: u.Username, Name: u.Name, Email: u.Email}, Status: roster.StatusDisabled, UpdateID: u.ID}}
			if _, err := db.Import(local, rows, ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			mustBulk(t)(db.SetStatus(local, []uint64{u.ID}, roster.StatusActive))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := MustOpenDB(t)
			u, err := db.CreateUser(local, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@example.com", Role: c.role})
			if err != nil {
				t.Fatal(err)
			}
			mustBulk(t)(db.SetStatus(local, []uint64{u.ID}, roster.StatusActive))
			raw := mustLink(t, db, u, roster.TokenReset)
			c.change(t, db, u)
			fresh, err := db.User(local, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = db.Activate(raw, approve(t, fresh, "a brand new password"), "198.51.100.4")
			wantErr(t, err, roster.ENOTFOUND, "")
			if !strings.Contains(err.Error(), "revoked") {
				t.Errorf("refusal %q does not say revoked", err)
			}
			if got, _ := db.User(local, u.ID); got.PasswordHash != "" {
				t.Fatal("the old link set a password")
			}
		})
	}
}

// Ensure a change that leaves the state alone keeps the link (renaming
// does not revoke, nor does promoting).
func TestLinksSurviveOtherChanges(t *testing.T) {
	db := MustOpenDB(t)
	u := mustCreate(t, db, "ada", "Ada", "ada@example.com")
	mustBulk(t)(db.SetStatus(local, []uint64{u.ID}, roster.StatusActive))
	raw := mustLink(t, db, u, roster.TokenReset)
	name := "Ada Lovelace"
	if _, err := db.UpdateUser(local, u.ID, roster.UserUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	mustBulk(t)(db.SetRole(local, []uint64{u.ID}, roster.RoleAdmin))
	if _, _, err := db.LookupToken(raw); err != nil {
		t.Fatalf("a rename or a promotion killed the link: %v", err)
	}
}

func mustBulk(t *testing.T) func(roster.BulkResult, error) {
	return func(res roster.BulkResult, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Skipped) > 0 {
			t.Fatalf("skipped: %v", res.Skipped)
		}
	}
}
