package store

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster"
)

// The power rules of issue 8, tested where they live: in the store, for
// every caller. Roles: members administer nothing; admins manage members;
// owners manage everyone; the last active owner is never demoted, disabled
// or deleted; local use acts with owner powers as "os:NAME".

// powerCast is a database with one active user of each kind.
type powerCast struct {
	db                 *DB
	olga, alan, adam   *roster.User // owner, admin, admin
	mia, max           *roster.User // members
	owner, admin, memb roster.Actor // olga, adam and mia signed in
}

func newPowerCast(t *testing.T) *powerCast {
	t.Helper()
	db := MustOpenDB(t)
	mustGroup(t, db, "staff")
	mk := func(username string, role roster.Role) *roster.User {
		u, err := db.CreateUser(local, roster.NewUser{Username: username, Name: strings.ToUpper(username[:1]) + username[1:],
			Email: username + "@example.com", Role: role})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SetStatus(local, []uint64{u.ID}, roster.StatusActive); err != nil {
			t.Fatal(err)
		}
		u.Status = roster.StatusActive
		return u
	}
	c := &powerCast{db: db}
	c.olga = mk("olga", roster.RoleOwner)
	c.alan = mk("alan", roster.RoleAdmin)
	c.adam = mk("adam", roster.RoleAdmin)
	c.mia = mk("mia", roster.RoleMember)
	c.max = mk("max", roster.RoleMember)
	c.owner, c.admin, c.memb = signedIn(c.olga), signedIn(c.adam), signedIn(c.mia)
	return c
}

// signedIn is the actor of a user signed in over SSH.
func signedIn(u *roster.User) roster.Actor {
	return roster.Actor{Name: u.Username, UserID: u.ID, Role: u.Role}
}

// contentSnapshot is snapshot without the change counter, which a bulk
// action that changes nothing still moves.
func contentSnapshot(t *testing.T, db *DB) string {
	t.Helper()
	var kept []string
	for _, line := range strings.Split(snapshot(t, db), "\n") {
		if !strings.HasPrefix(line, " "+string(keyChanges)+"=") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}

func ids(users ...*roster.User) []uint64 {
	out := make([]uint64, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// wantForbidden fails unless err is EFORBIDDEN and its message says what it needs.
func wantForbidden(t *testing.T, what string, err error, needs string) {
	t.Helper()
	if roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("%s: got %v, want EFORBIDDEN", what, err)
		return
	}
	if !strings.Contains(err.Error(), needs) {
		t.Errorf("%s: message %q does not say %q", what, err, needs)
	}
}

// wantActor fails unless the newest audit event names the actor and action.
func wantActor(t *testing.T, db *DB, what, actor, action string) {
	t.Helper()
	evs, err := db.AuditEvents(local, AuditFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Actor != actor || evs[0].Action != action {
		t.Errorf("%s: newest event %+v, want actor %s action %s", what, evs, actor, action)
	}
}

func wantResult(t *testing.T, what string, res roster.BulkResult, err error, changed []string, skipped map[string]string) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if strings.Join(res.Changed, ",") != strings.Join(changed, ",") {
		t.Errorf("%s: changed %v, want %v", what, res.Changed, changed)
	}
	got := map[string]string{}
	for _, s := range res.Skipped {
		got[s.Target] = s.Reason
	}
	if len(got) != len(skipped) {
		t.Errorf("%s: skipped %v, want %v", what, got, skipped)
	}
	for target, reason := range skipped {
		if got[target] != reason {
			t.Errorf("%s: %s skipped for %q, want %q", what, target, got[target], reason)
		}
	}
}

// Ensure a member administers nothing, changes nothing, and the file stays
// as it was; refusals name the role needed.
func TestPowersMember(t *testing.T) {
	c := newPowerCast(t)
	db, a := c.db, c.memb
	before := contentSnapshot(t, db)
	const needs = "needs the admin or owner role"

	_, err := db.CreateUser(a, roster.NewUser{Username: "new", Name: "New", Email: "new@example.com"})
	wantForbidden(t, "create user", err, needs)
	name := "Mia Changed"
	_, err = db.UpdateUser(a, c.mia.ID, roster.UserUpdate{Name: &name})
	wantForbidden(t, "edit self", err, "on your own account: that needs the owner role")
	_, err = db.UpdateUser(a, c.max.ID, roster.UserUpdate{Name: &name})
	wantForbidden(t, "edit another member", err, needs)
	_, err = db.SetStatus(a, ids(c.max), roster.StatusDisabled)
	wantForbidden(t, "disable", err, needs)
	_, err = db.SetStatus(a, ids(c.max), roster.StatusActive)
	wantForbidden(t, "activate", err, needs)
	_, err = db.SetRole(a, ids(c.mia), roster.RoleAdmin)
	wantForbidden(t, "promote self", err, needs)
	_, err = db.DeleteUsers(a, ids(c.max))
	wantForbidden(t, "delete", err, needs)
	_, err = db.AddToGroup(a, ids(c.mia), "staff")
	wantForbidden(t, "join group", err, needs)
	_, err = db.RemoveFromGroup(a, ids(c.mia), "staff")
	wantForbidden(t, "leave group", err, needs)
	_, err = db.CreateGroup(a, "new", "")
	wantForbidden(t, "create group", err, needs)
	_, err = db.UpdateGroup(a, "staff", "crew", nil)
	wantForbidden(t, "rename group", err, needs)
	wantForbidden(t, "delete group", db.DeleteGroup(a, "staff", true), needs)
	_, _, err = db.IssueLink(a, c.max.ID, roster.TokenInvite, 0)
	wantForbidden(t, "invite", err, needs)

	// Keys: only their own.
	line, _ := newTestKey(t, "")
	_, err = db.AddKey(a, c.max.ID, line)
	wantForbidden(t, "add another's key", err, "admin or owner role")
	_, err = db.Keys(a, c.max.ID)
	wantForbidden(t, "list another's keys", err, "admin or owner role")
	wantForbidden(t, "remove another's key", db.RemoveKey(a, c.max.ID, "SHA256:x"), "admin or owner role")

	if after := contentSnapshot(t, db); after != before {
		t.Error("a member's refused actions changed the file")
	}

	// A member adds no key, not even to herself (issue 13, break 10: she
	// could claim a key that is not hers yet); an admin adds it for her.
	_, err = db.AddKey(a, c.mia.ID, line)
	wantForbidden(t, "add own key", err, "an owner or admin adds a key for you")
	k, err := db.AddKey(c.admin, c.mia.ID, line)
	if err != nil {
		t.Fatalf("an admin adds mia's key: %v", err)
	}
	if keys, err := db.Keys(a, c.mia.ID); err != nil || len(keys) != 1 {
		t.Fatalf("own keys: %v, %v", keys, err)
	}
	if err := db.RemoveKey(a, c.mia.ID, k.Fingerprint); err != nil {
		t.Fatalf("remove own key: %v", err)
	}
	wantActor(t, db, "remove own key", "mia", roster.ActionKeyRemove)
}

// Ensure an admin manages members fully, sees but cannot change admins and
// owners, and cannot make anyone admin or owner.
func TestPowersAdmin(t *testing.T) {
	c := newPowerCast(t)
	db, a := c.db, c.admin
	const needsOwner = "needs the owner role"

	// Members: everything.
	u, err := db.CreateUser(a, roster.NewUser{Username: "nina", Name: "Nina", Email: "nina@example.com", Groups: []string{"staff"}})
	if err != nil {
		t.Fatalf("create member: %v", err)
	}
	wantActor(t, db, "create member", "adam", roster.ActionUserCreate)
	name := "Max Mustermann"
	if _, err := db.UpdateUser(a, c.max.ID, roster.UserUpdate{Name: &name}); err != nil {
		t.Fatalf("edit member: %v", err)
	}
	wantActor(t, db, "edit member", "adam", roster.ActionUserUpdate)
	if _, _, err := db.IssueLink(a, u.ID, roster.TokenInvite, 0); err != nil {
		t.Fatalf("invite member: %v", err)
	}
	wantActor(t, db, "invite member", "adam", "token.link")
	res, err := db.SetStatus(a, ids(u), roster.StatusActive)
	wantResult(t, "activate member", res, err, []string{"nina"}, nil)
	res, err = db.AddToGroup(a, ids(c.max), "staff")
	wantResult(t, "group member", res, err, []string{"max"}, nil)
	if _, err := db.CreateGroup(a, "ops", "operations"); err != nil {
		t.Fatalf("create group: %v", err)
	}
	if _, err := db.UpdateGroup(a, "ops", "operations", nil); err != nil {
		t.Fatalf("rename group: %v", err)
	}
	if err := db.DeleteGroup(a, "operations", false); err != nil {
		t.Fatalf("delete group: %v", err)
	}
	wantActor(t, db, "delete group", "adam", roster.ActionGroupDelete)
	line, _ := newTestKey(t, "")
	if _, err := db.AddKey(a, c.max.ID, line); err != nil {
		t.Fatalf("add a member's key: %v", err)
	}
	res, err = db.DeleteUsers(a, ids(u))
	wantResult(t, "delete member", res, err, []string{"nina"}, nil)

	before := contentSnapshot(t, db)
	// Admins and owners: seen, not changed; nobody made admin or owner.
	for _, r := range []roster.Role{roster.RoleAdmin, roster.RoleOwner} {
		_, err := db.CreateUser(a, roster.NewUser{Username: "x" + r.String(), Name: "X", Email: "x" + r.String() + "@example.com", Role: r})
		wantForbidden(t, "create "+r.String(), err, needsOwner)
		_, err = db.UpdateUser(a, c.max.ID, roster.UserUpdate{Role: &r})
		wantForbidden(t, "promote member to "+r.String(), err, needsOwner)
		res, err := db.SetRole(a, ids(c.max), r)
		wantResult(t, "bulk promote member to "+r.String(), res, err, nil, map[string]string{"max": needsOwner})
	}
	for _, target := range []*roster.User{c.alan, c.olga, c.adam} {
		_, err := db.UpdateUser(a, target.ID, roster.UserUpdate{Name: &name})
		wantForbidden(t, "edit "+target.Username, err, needsOwner)
		_, _, err = db.IssueLink(a, target.ID, roster.TokenReset, 0)
		wantForbidden(t, "reset link for "+target.Username, err, needsOwner)
		if target != c.adam {
			_, err = db.AddKey(a, target.ID, line)
			wantForbidden(t, "add key to "+target.Username, err, needsOwner)
			wantForbidden(t, "remove key of "+target.Username, db.RemoveKey(a, target.ID, "SHA256:x"), needsOwner)
		}
		if _, err := db.Keys(a, target.ID); err != nil {
			t.Errorf("admin lists %s's keys: %v", target.Username, err)
		}
		if _, err := db.User(local, target.ID); err != nil {
			t.Errorf("admin sees %s: %v", target.Username, err)
		}
	}
	member := roster.RoleMember
	_, err = db.UpdateUser(a, c.alan.ID, roster.UserUpdate{Role: &member})
	wantForbidden(t, "demote another admin", err, needsOwner)
	if after := contentSnapshot(t, db); after != before {
		t.Error("an admin's refused actions changed the file")
	}

	// An admin adds no key to himself either; the owner does.
	line2, _ := newTestKey(t, "")
	_, err = db.AddKey(a, c.adam.ID, line2)
	wantForbidden(t, "admin adds own key", err, "an owner or admin adds a key for you")
	if _, err := db.AddKey(c.owner, c.adam.ID, line2); err != nil {
		t.Fatalf("the owner adds adam's key: %v", err)
	}
}

// Ensure an owner does everything, including making and unmaking admins
// and owners, while another active owner remains.
func TestPowersOwner(t *testing.T) {
	c := newPowerCast(t)
	db, a := c.db, c.owner

	u, err := db.CreateUser(a, roster.NewUser{Username: "oscar", Name: "Oscar", Email: "oscar@example.com", Role: roster.RoleOwner})
	if err != nil {
		t.Fatalf("create owner: %v", err)
	}
	wantActor(t, db, "create owner", "olga", roster.ActionUserCreate)
	res, err := db.SetStatus(a, ids(u), roster.StatusActive)
	wantResult(t, "activate owner", res, err, []string{"oscar"}, nil)
	res, err = db.SetRole(a, ids(c.mia), roster.RoleAdmin)
	wantResult(t, "make admin", res, err, []string{"mia"}, nil)
	wantActor(t, db, "make admin", "olga", roster.ActionUserRole)
	res, err = db.SetRole(a, ids(c.alan, c.mia), roster.RoleMember)
	wantResult(t, "unmake admins", res, err, []string{"alan", "mia"}, nil)
	owner := roster.RoleOwner
	if _, err := db.UpdateUser(a, c.adam.ID, roster.UserUpdate{Role: &owner}); err != nil {
		t.Fatalf("make owner: %v", err)
	}
	res, err = db.SetRole(a, ids(u), roster.RoleAdmin)
	wantResult(t, "unmake another owner", res, err, []string{"oscar"}, nil)
	name := "Adam Admin"
	if _, err := db.UpdateUser(a, c.adam.ID, roster.UserUpdate{Name: &name}); err != nil {
		t.Fatalf("edit an owner: %v", err)
	}
	line, _ := newTestKey(t, "")
	k, err := db.AddKey(a, c.adam.ID, line)
	if err != nil {
		t.Fatalf("add an owner's key: %v", err)
	}
	if err := db.RemoveKey(a, c.adam.ID, k.Fingerprint); err != nil {
		t.Fatalf("remove an owner's key: %v", err)
	}
	res, err = db.SetStatus(a, ids(u, c.adam), roster.StatusDisabled)
	wantResult(t, "disable admin and owner", res, err, []string{"oscar", "adam"}, nil)
	res, err = db.DeleteUsers(a, ids(u, c.adam))
	wantResult(t, "delete admin and owner", res, err, []string{"oscar", "adam"}, nil)
	wantActor(t, db, "delete", "olga", roster.ActionUserDelete)

	// Ensure an owner can step down while another active owner remains.
	if _, err := db.UpdateUser(a, c.alan.ID, roster.UserUpdate{Role: &owner}); err != nil {
		t.Fatal(err)
	}
	member := roster.RoleMember
	if _, err := db.UpdateUser(a, c.olga.ID, roster.UserUpdate{Role: &member}); err != nil {
		t.Fatalf("owner steps down: %v", err)
	}
	// The session keeps its stale role; the store goes by the file.
	_, err = db.CreateUser(a, roster.NewUser{Username: "late", Name: "Late", Email: "late@example.com"})
	wantForbidden(t, "create after stepping down", err, "admin or owner role")
}

// Ensure the last active owner can never be demoted, disabled or deleted,
// by anyone (themselves, local use), alone or in a bulk selection, and the
// refusal says why.
func TestPowersLastOwner(t *testing.T) {
	c := newPowerCast(t)
	db := c.db
	// A pending and a disabled owner do not count.
	pending, err := db.CreateUser(local, roster.NewUser{Username: "pat", Name: "Pat", Email: "pat@example.com", Role: roster.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := db.CreateUser(local, roster.NewUser{Username: "gus", Name: "Gus", Email: "gus@example.com", Role: roster.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(local, ids(gone), roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	before := contentSnapshot(t, db)

	for _, a := range []roster.Actor{c.owner, local} {
		for _, r := range []roster.Role{roster.RoleAdmin, roster.RoleMember} {
			_, err := db.UpdateUser(a, c.olga.ID, roster.UserUpdate{Role: &r})
			if roster.ErrorCode(err) != roster.ECONFLICT || !strings.Contains(err.Error(), "last active owner") {
				t.Errorf("%s demotes the last owner to %s: %v", a, r, err)
			}
			res, err := db.SetRole(a, ids(c.olga), r)
			wantResult(t, a.Name+" bulk demote", res, err, nil, map[string]string{"olga": "is the last active owner"})
		}
		res, err := db.SetStatus(a, ids(c.olga), roster.StatusDisabled)
		wantResult(t, a.Name+" disable", res, err, nil, map[string]string{"olga": "is the last active owner"})
		res, err = db.DeleteUsers(a, ids(c.olga))
		wantResult(t, a.Name+" delete", res, err, nil, map[string]string{"olga": "is the last active owner"})
	}
	if after := contentSnapshot(t, db); after != before {
		t.Error("refusals about the last owner changed the file")
	}

	// Mixed selections: the rest changes, the last owner is skipped.
	res, err := db.SetStatus(local, ids(c.max, c.olga, pending), roster.StatusDisabled)
	wantResult(t, "disable a mixed selection", res, err, []string{"max", "pat"}, map[string]string{"olga": "is the last active owner"})
	res, err = db.SetRole(c.owner, ids(c.olga, c.mia), roster.RoleAdmin)
	wantResult(t, "demote a mixed selection", res, err, []string{"mia"}, map[string]string{"olga": "is the last active owner"})

	// With two active owners, a selection of both loses only one.
	if _, err := db.SetStatus(local, ids(gone), roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	res, err = db.SetStatus(c.owner, ids(gone, c.olga), roster.StatusDisabled)
	wantResult(t, "disable both owners", res, err, []string{"gus"}, map[string]string{"olga": "is the last active owner"})
	if _, err := db.SetStatus(local, ids(gone), roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	res, err = db.DeleteUsers(local, ids(c.olga, gone))
	wantResult(t, "delete both owners", res, err, []string{"olga"}, map[string]string{"gus": "is the last active owner"})
	res, err = db.SetRole(local, ids(gone), roster.RoleMember)
	wantResult(t, "demote the survivor", res, err, nil, map[string]string{"gus": "is the last active owner"})
}

// Ensure a bulk action over a selection the actor may partly change
// changes what it may, reports the rest with reasons, and audits only
// what changed, under the actor's name.
func TestPowersMixedBulk(t *testing.T) {
	c := newPowerCast(t)
	db, a := c.db, c.admin
	if _, err := db.SetStatus(local, ids(c.mia), roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	res, err := db.SetStatus(a, ids(c.max, c.mia, c.alan, c.olga, c.max), roster.StatusDisabled)
	wantResult(t, "disable", res, err, []string{"max"}, map[string]string{
		"mia": "already disabled", "alan": "needs the owner role", "olga": "needs the owner role"})
	if got, want := res.Summary("disabled"), "1 disabled; 3 skipped: 2 needs the owner role, 1 already disabled"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	evs, err := db.AuditEvents(local, AuditFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if evs[0].Actor != "adam" || strings.Join(evs[0].Targets, ",") != "max" {
		t.Errorf("event %+v, want actor adam and target max only", evs[0])
	}

	res, err = db.AddToGroup(a, ids(c.mia, c.alan, c.adam), "staff")
	wantResult(t, "group", res, err, []string{"mia"}, map[string]string{"alan": "needs the owner role", "adam": "needs the owner role"})
	res, err = db.DeleteUsers(a, ids(c.olga, c.alan))
	wantResult(t, "delete nothing allowed", res, err, nil, map[string]string{"olga": "needs the owner role", "alan": "needs the owner role"})
	if evs2, _ := db.AuditEvents(local, AuditFilter{Limit: 1}); evs2[0].Action != roster.ActionGroupAdd {
		t.Errorf("a bulk action that changed nothing wrote %+v", evs2[0])
	}
}

// Ensure a session's powers follow the file: a user disabled, deleted or
// demoted since signing in keeps none of the old powers.
func TestPowersFollowTheFile(t *testing.T) {
	c := newPowerCast(t)
	db := c.db
	if _, err := db.SetStatus(c.owner, ids(c.adam), roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	_, err := db.CreateUser(c.admin, roster.NewUser{Username: "z", Name: "Z", Email: "z@example.com"})
	wantForbidden(t, "disabled admin", err, "no longer active")
	if _, err := db.DeleteUsers(c.owner, ids(c.adam)); err != nil {
		t.Fatal(err)
	}
	_, err = db.SetStatus(c.admin, ids(c.max), roster.StatusDisabled)
	wantForbidden(t, "deleted admin", err, "no longer active")
	if _, err := db.SetRole(c.owner, ids(c.alan), roster.RoleMember); err != nil {
		t.Fatal(err)
	}
	_, err = db.SetStatus(signedIn(c.alan), ids(c.max), roster.StatusDisabled)
	wantForbidden(t, "demoted admin", err, "admin or owner role")
	// A session may not claim more than the file gives.
	forged := roster.Actor{Name: "mia", UserID: c.mia.ID, Role: roster.RoleOwner}
	_, err = db.SetRole(forged, ids(c.mia), roster.RoleOwner)
	wantForbidden(t, "forged role", err, "admin or owner role")
}

// Ensure every change records its actor: the Roster username over SSH
// (whatever name the session carries), "os:NAME" locally.
func TestPowersActorInEveryEvent(t *testing.T) {
	c := newPowerCast(t)
	db := c.db
	renamed := roster.Actor{Name: "stale-name", UserID: c.olga.ID, Role: roster.RoleOwner}
	for _, tc := range []struct {
		actor roster.Actor
		want  string
	}{{renamed, "olga"}, {roster.LocalActor("root"), "os:root"}} {
		a := tc.actor
		step := func(what, action string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s by %s: %v", what, tc.want, err)
			}
			wantActor(t, db, what+" by "+tc.want, tc.want, action)
		}
		suffix := strings.ReplaceAll(tc.want, ":", "")
		u, err := db.CreateUser(a, roster.NewUser{Username: "u" + suffix, Name: "U", Email: "u" + suffix + "@example.com"})
		step("create", roster.ActionUserCreate, err)
		_, err = db.CreateUsers(a, []roster.NewUser{
			{Username: "v" + suffix, Name: "V", Email: "v" + suffix + "@example.com"},
			{Username: "w" + suffix, Name: "W", Email: "w" + suffix + "@example.com"},
		})
		step("create many", roster.ActionUserCreate, err)
		name := "U Changed"
		_, err = db.UpdateUser(a, u.ID, roster.UserUpdate{Name: &name})
		step("update", roster.ActionUserUpdate, err)
		_, err = db.SetStatus(a, ids(u), roster.StatusActive)
		step("status", roster.ActionUserStatus, err)
		_, err = db.SetRole(a, ids(u), roster.RoleAdmin)
		step("role", roster.ActionUserRole, err)
		_, err = db.CreateGroup(a, "g"+suffix, "")
		step("group create", roster.ActionGroupCreate, err)
		_, err = db.AddToGroup(a, ids(u), "g"+suffix)
		step("group add", roster.ActionGroupAdd, err)
		_, err = db.RemoveFromGroup(a, ids(u), "g"+suffix)
		step("group remove", roster.ActionGroupRemove, err)
		_, err = db.UpdateGroup(a, "g"+suffix, "h"+suffix, nil)
		step("group rename", roster.ActionGroupRename, err)
		step("group delete", roster.ActionGroupDelete, db.DeleteGroup(a, "h"+suffix, false))
		_, _, err = db.IssueLink(a, u.ID, roster.TokenReset, 0)
		step("link", "token.link", err)
		line, _ := newTestKey(t, "")
		k, err := db.AddKey(a, u.ID, line)
		step("key add", roster.ActionKeyAdd, err)
		step("key remove", roster.ActionKeyRemove, db.RemoveKey(a, u.ID, k.Fingerprint))
		_, err = db.DeleteUsers(a, ids(u))
		step("delete", roster.ActionUserDelete, err)
	}

	// Sign-ins name the user; refused ones name the door.
	if err := db.RecordLogin(c.mia.ID, "ssh", "127.0.0.1:5000"); err != nil {
		t.Fatal(err)
	}
	wantActor(t, db, "login", "mia", roster.ActionLogin)
	if err := db.RecordLoginRefused(c.mia.ID, "ssh", "127.0.0.1:5000", "wrong name"); err != nil {
		t.Fatal(err)
	}
	wantActor(t, db, "refused login", "system:ssh", roster.ActionLoginRefused)

	// An operation without an actor is a bug, not an anonymous change.
	_, err := db.CreateGroup(roster.Actor{}, "nobody", "")
	if roster.ErrorCode(err) != roster.EINTERNAL {
		t.Fatalf("no actor: %v", err)
	}
}

// Ensure imports and mail follow the same rules: members do neither;
// admins import and invite members only; the last owner survives an
// import.
func TestPowersImportAndMail(t *testing.T) {
	c := newPowerCast(t)
	db := c.db
	row := func(line int, username string, role roster.Role) ImportRow {
		return ImportRow{Line: line, User: roster.NewUser{Username: username, Name: strings.ToUpper(username),
			Email: username + "@example.com", Role: role}}
	}
	mail := MailOptions{Render: renderRaw}

	_, err := db.Import(c.memb, []ImportRow{row(2, "imp", roster.RoleMember)}, ImportOptions{})
	wantForbidden(t, "member imports", err, "admin or owner role")
	_, err = db.InviteUsers(c.memb, ids(c.max), mail)
	wantForbidden(t, "member invites", err, "admin or owner role")
	_, err = db.QueueResets(c.memb, ids(c.mia), mail)
	wantForbidden(t, "member sends a reset", err, "admin or owner role")

	for _, r := range []roster.Role{roster.RoleAdmin, roster.RoleOwner} {
		_, err = db.Import(c.admin, []ImportRow{row(2, "imp", roster.RoleMember), row(3, "boss", r)}, ImportOptions{})
		wantForbidden(t, "admin imports a "+r.String(), err, "needs the owner role")
		if err != nil && !strings.Contains(err.Error(), "line 3") {
			t.Errorf("the refusal does not name the row: %v", err)
		}
	}
	upd := ImportRow{Line: 2, UpdateID: c.alan.ID, User: roster.NewUser{Username: "alan", Name: "Alan Changed", Email: "alan@example.com"}}
	_, err = db.Import(c.admin, []ImportRow{upd}, ImportOptions{})
	wantForbidden(t, "admin imports over an admin", err, "needs the owner role")
	if _, err := db.Import(c.admin, []ImportRow{row(2, "imp", roster.RoleMember)}, ImportOptions{}); err != nil {
		t.Fatalf("admin imports a member: %v", err)
	}
	wantActor(t, db, "import", "adam", roster.ActionUserCreate)

	imp, err := db.FindUser(local, "imp")
	if err != nil {
		t.Fatal(err)
	}
	pendingAdmin, err := db.CreateUser(local, roster.NewUser{Username: "padm", Name: "P", Email: "padm@example.com", Role: roster.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	q, err := db.InviteUsers(c.admin, ids(imp, pendingAdmin), mail)
	wantResult(t, "admin invites a mixed selection", q.BulkResult, err, []string{"imp"}, map[string]string{"padm": "needs the owner role"})
	wantActor(t, db, "invite", "adam", roster.ActionInviteQueue)

	if _, err := db.Import(c.owner, []ImportRow{row(2, "boss", roster.RoleAdmin)}, ImportOptions{}); err != nil {
		t.Fatalf("owner imports an admin: %v", err)
	}
	demote := ImportRow{Line: 2, UpdateID: c.olga.ID, SetRole: true,
		User: roster.NewUser{Username: "olga", Name: "Olga", Email: "olga@example.com", Role: roster.RoleMember}}
	_, err = db.Import(c.owner, []ImportRow{demote}, ImportOptions{})
	if roster.ErrorCode(err) != roster.ECONFLICT || !strings.Contains(err.Error(), "last active owner") {
		t.Errorf("import demotes the last owner: %v", err)
	}
}
