package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// nestTree makes staff ∋ dev ∋ backend and staff ∋ ops, with one user
// directly in each of backend, ops and staff.
func nestTree(t *testing.T, db *DB) (staff, dev, backend, ops *roster.Group) {
	t.Helper()
	staff, dev, backend, ops = mustGroup(t, db, "staff"), mustGroup(t, db, "dev"), mustGroup(t, db, "backend"), mustGroup(t, db, "ops")
	for _, l := range [][2]string{{"dev", "staff"}, {"backend", "dev"}, {"ops", "staff"}} {
		if err := db.NestGroup(local, l[0], l[1]); err != nil {
			t.Fatalf("nest %s in %s: %v", l[0], l[1], err)
		}
	}
	mustCreate(t, db, "ann", "Ann", "ann@example.com", "backend")
	mustCreate(t, db, "oli", "Oli", "oli@example.com", "ops")
	mustCreate(t, db, "sam", "Sam", "sam@example.com", "staff")
	return staff, dev, backend, ops
}

func groupUsernames(t *testing.T, db *DB, group string) string {
	t.Helper()
	g, err := db.Group(local, group)
	if err != nil {
		t.Fatal(err)
	}
	users, err := db.ListUsers(local, roster.UserFilter{GroupID: g.ID, Sort: roster.SortUsername})
	if err != nil {
		t.Fatal(err)
	}
	return usernames(users)
}

// Ensure the list's group filter matches effective membership, and that
// nesting and unnesting change it and are audited.
func TestNestedMembership(t *testing.T) {
	db := MustOpenDB(t)
	staff, dev, backend, _ := nestTree(t, db)
	for group, want := range map[string]string{"staff": "ann oli sam", "dev": "ann", "backend": "ann", "ops": "oli"} {
		if got := groupUsernames(t, db, group); got != want {
			t.Errorf("members of %s: %q, want %q", group, got, want)
		}
	}
	ann := mustCreate(t, db, "ann2", "Ann", "ann2@example.com", "backend")
	eff, err := db.EffectiveGroups(local, ann.ID)
	if want := []uint64{staff.ID, dev.ID, backend.ID}; err != nil || !sameIDs(eff, want) {
		t.Errorf("ann's effective groups %v, %v; want %v", eff, err, want)
	}
	if err := db.UnnestGroup(local, "dev", "staff"); err != nil {
		t.Fatal(err)
	}
	if got := groupUsernames(t, db, "staff"); got != "oli sam" {
		t.Errorf("after unnesting dev, staff has %q", got)
	}
	wantErr(t, db.UnnestGroup(local, "dev", "staff"), roster.ENOTFOUND, "group")
	var nest, unnest bool
	for _, e := range mustEvents(t, db) {
		nest = nest || e.Action == roster.ActionGroupNest && slices.Equal(e.Targets, []string{"backend", "dev"})
		unnest = unnest || e.Action == roster.ActionGroupUnnest && slices.Equal(e.Targets, []string{"dev", "staff"})
	}
	if !nest || !unnest {
		t.Errorf("audit: nest %v, unnest %v", nest, unnest)
	}
	if problems := db.Check(local); len(problems) > 0 {
		t.Errorf("check: %v", problems)
	}
}

func sameIDs(a, b []uint64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Ensure a cycle is refused with the cycle named, and nothing changes.
func TestNestCycleRefused(t *testing.T) {
	db := MustOpenDB(t)
	nestTree(t, db)
	before := snapshot(t, db)
	err := db.NestGroup(local, "staff", "backend")
	wantErr(t, err, roster.ECONFLICT, "group")
	if err == nil || !strings.Contains(err.Error(), "backend → staff → dev → backend") {
		t.Errorf("cycle not named: %v", err)
	}
	err = db.NestGroup(local, "ops", "ops")
	if err == nil || !strings.Contains(err.Error(), "ops → ops") {
		t.Errorf("self-nesting: %v", err)
	}
	if snapshot(t, db) != before {
		t.Error("a refused nesting changed the database")
	}
	wantErr(t, db.NestGroup(local, "nope", "staff"), roster.ENOTFOUND, "group")
	// Nesting twice is no change, and not audited twice.
	n := len(mustEvents(t, db))
	if err := db.NestGroup(local, "dev", "staff"); err != nil || len(mustEvents(t, db)) != n {
		t.Errorf("nesting again: %v", err)
	}
}

// Ensure deleting a group takes it out of the groups that held it, and
// that check finds a cycle or a missing child written behind Roster's back.
func TestNestDeleteAndCheck(t *testing.T) {
	db := MustOpenDB(t)
	staff, dev, _, _ := nestTree(t, db)
	if err := db.DeleteGroup(local, "dev", true); err != nil {
		t.Fatal(err)
	}
	g, err := db.Group(local, "staff")
	if err != nil || slices.Contains(g.Children, dev.ID) {
		t.Errorf("staff after deleting dev: %+v, %v", g, err)
	}
	if problems := db.Check(local); len(problems) > 0 {
		t.Errorf("check after delete: %v", problems)
	}
	ops, _ := db.Group(local, "ops")
	rawUpdate(t, db, func(tx *bolt.Tx) error {
		ops.Children = []uint64{staff.ID, 999}
		return tx.Bucket(bucketGroups).Put(u64(ops.ID), encodeGroup(ops))
	})
	var all []string
	for _, p := range db.Check(local) {
		all = append(all, p.Error())
	}
	got := strings.Join(all, "\n")
	if !strings.Contains(got, "holds missing group 999") || !strings.Contains(got, "cycle: ") {
		t.Errorf("check found %q", got)
	}
	rawUpdate(t, db, func(tx *bolt.Tx) error { // leave a sound file for the closing check
		ops.Children = nil
		return tx.Bucket(bucketGroups).Put(u64(ops.ID), encodeGroup(ops))
	})
}

// Ensure only who may manage groups may nest them.
func TestNestPowers(t *testing.T) {
	db := MustOpenDB(t)
	nestTree(t, db)
	u := mustCreate(t, db, "mia", "Mia", "mia@example.com")
	if _, err := db.SetStatus(local, []uint64{u.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	member := roster.Actor{Name: "mia", UserID: u.ID, Role: roster.RoleMember}
	if err := db.NestGroup(member, "ops", "dev"); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("nest: %v", err)
	}
	if err := db.UnnestGroup(member, "dev", "staff"); roster.ErrorCode(err) != roster.EFORBIDDEN {
		t.Errorf("unnest: %v", err)
	}
}

// Ensure a schema 3 file with version 2 group records opens, its groups
// rewritten in version 3 and intact.
func TestNestingMigration(t *testing.T) {
	db := MustOpenDB(t)
	mustGroup(t, db, "staff")
	mustCreate(t, db, "ada", "Ada", "ada@example.com", "staff")
	rawUpdate(t, db, func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketGroups).ForEach(func(k, v []byte) error {
			g, _ := decodeGroup(v)
			b := encodeGroup(g)
			b[0] = groupRecordV2
			return tx.Bucket(bucketGroups).Put(k, b[:len(b)-1]) // no children count
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, u64(3))
	})
	db2, err := Open(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := db2.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketGroups).ForEach(func(k, v []byte) error {
			if v[0] != groupRecordV3 {
				t.Errorf("group %d still in version %d", idFromKey(k), v[0])
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if g, err := db2.Group(local, "staff"); err != nil || g.Members != 1 || g.GIDNumber == 0 {
		t.Errorf("staff after migration: %+v, %v", g, err)
	}
	if err := db2.NestGroup(local, "staff", roster.DirectoryReaders); err != nil {
		t.Errorf("nest after migration: %v", err)
	}
}
