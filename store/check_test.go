package store

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// checkFixture makes a small database with users in groups, then closes it
// to outside tampering: MustOpenDB's own check would fail after corruption.
func checkFixture(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateGroup(local, "staff", ""); err != nil {
		t.Fatal(err)
	}
	for _, n := range []roster.NewUser{
		{Username: "ada", Name: "Ada", Email: "Ada@Example.com", Groups: []string{"staff"}},
		{Username: "bob", Name: "Bob", Email: "bob@example.com"},
	} {
		if _, err := db.CreateUser(local, n); err != nil {
			t.Fatal(err)
		}
	}
	if problems := db.Check(local); len(problems) != 0 {
		t.Fatalf("a good file fails the check: %v", problems)
	}
	return db
}

// Ensure Check passes a good file and reports each kind of corruption
// written behind the store's back, naming what is wrong, without panicking.
func TestCheckFindsCorruption(t *testing.T) {
	put := func(bucket []byte, k, v []byte) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(k, v) }
	}
	del := func(bucket []byte, k []byte) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete(k) }
	}
	cases := []struct {
		name   string
		damage func(*bolt.Tx) error
		want   string
	}{
		{"username index points at nobody", put(bucketUsersByUsername, []byte("ghost"), u64(99)), `username index "ghost" points at missing user 99`},
		{"username index points at another user", put(bucketUsersByUsername, []byte("ada"), u64(2)), `username index "ada" points at user 2`},
		// The same entries and count, only the ids swapped: the index's
		// pair sum alone tells, and the second walk must name them.
		{"username index entries swapped", func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketUsersByUsername)
			ada, bob := slices.Clone(b.Get([]byte("ada"))), slices.Clone(b.Get([]byte("bob")))
			if err := b.Put([]byte("ada"), bob); err != nil {
				return err
			}
			return b.Put([]byte("bob"), ada)
		}, `username index "bob" points at user 1, whose username is "ada"`},
		{"username index entry missing", del(bucketUsersByUsername, []byte("bob")), "username bob is not indexed"},
		{"e-mail index entry missing", del(bucketUsersByEmail, []byte("ada@example.com")), "e-mail Ada@Example.com is not indexed"},
		{"e-mail index points at nobody", put(bucketUsersByEmail, []byte("x@example.com"), u64(42)), "points at missing user 42"},
		{"index value of the wrong size", put(bucketUsersByUsername, []byte("short"), []byte{1}), `username index "short"`},
		{"record does not decode", put(bucketUsers, u64(2), []byte{userRecordV1, 2, 200}), "user 2: corrupt record"},
		{"record of an unknown version", put(bucketUsers, u64(2), []byte{9}), "user 2: corrupt record"},
		{"user key of the wrong size", put(bucketUsers, []byte("x"), []byte{9}), "user key"},
		{"membership missing", del(bucketGroupMembers, key2(2, 1)), "membership of group 2 missing"},
		{"membership of a non-member", put(bucketGroupMembers, key2(2, 2), nil), "group 2 lists user 2, whose record does not name the group"},
		{"membership of nobody", put(bucketGroupMembers, key2(2, 77), nil), "group 2 lists missing user 77"},
		{"group index points at nothing", put(bucketGroupsByName, []byte("ghosts"), u64(50)), `group index "ghosts" points at missing group 50`},
		{"group name not indexed", del(bucketGroupsByName, []byte("staff")), "name staff is not indexed"},
		{"group record corrupt", put(bucketGroups, u64(2), []byte{7}), "group 2: corrupt record"},
		{"member of a missing group", func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketGroups).Delete(u64(2)); err != nil {
				return err
			}
			return tx.Bucket(bucketGroupsByName).Delete([]byte("staff"))
		}, "member of missing group 2"},
		{"audit index points at nothing", put(bucketAuditByUser, key2(1, 999), nil), "points at no event"},
		{"audit list points at nothing", put(bucketAuditByUsers, u64(999), u64(1)), "audit_by_users entry 00000000000003e7 points at no event"},
		{"audit list of a bad size", put(bucketAuditByUsers, u64(1), []byte{1, 2, 3}), "holds 3 bytes"},
		{"audit list out of order", put(bucketAuditByUsers, u64(1), append(u64(2), u64(1)...)), "not in ascending order"},
		{"bucket missing", func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketUsersByEmail) }, "bucket users_by_email is missing"},
		{"uidNumber not indexed", func(tx *bolt.Tx) error {
			k, _ := tx.Bucket(bucketUsersByUIDNumber).Cursor().First()
			return tx.Bucket(bucketUsersByUIDNumber).Delete(k)
		}, "is not indexed to it"},
		{"uidNumber index points at nobody", put(bucketUsersByUIDNumber, u32(99999), u64(77)), "uid index entry 0001869f → 000000000000004d points at no record"},
		{"gidNumber index points at nobody", put(bucketGroupsByGIDNumber, u32(99999), u64(77)), "gid index entry 0001869f"},
		{"expiry index names a user without a date", put(bucketExpiryDue, u64(1), nil), "expiry index names user 1, who has no expiry date"},
		{"dormant warning of a missing user", put(bucketDormantWarned, u64(77), u64(1)), "dormant-warning entry names missing user 77"},
		{"dormant warning of a bad size", put(bucketDormantWarned, u64(1), []byte{1, 2}), "dormant-warning entry of user 1 holds 2 bytes"},
		{"dormant warning with a bad key", put(bucketDormantWarned, []byte("x"), u64(1)), "dormant-warning entry 78: key is 1 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := checkFixture(t)
			if g, _ := db.Group(local, "staff"); g.ID != 2 {
				t.Fatalf("staff has id %d; the cases assume 2", g.ID)
			}
			rawUpdate(t, db, c.damage)
			problems := db.Check(local)
			if len(problems) == 0 {
				t.Fatal("check passed a damaged file")
			}
			var all []string
			for _, p := range problems {
				all = append(all, p.Error())
			}
			if !strings.Contains(strings.Join(all, "\n"), c.want) {
				t.Errorf("problems %q lack %q", all, c.want)
			}
		})
	}
}

// Ensure Check stops listing after 100 problems.
func TestCheckCapsProblems(t *testing.T) {
	db := checkFixture(t)
	rawUpdate(t, db, func(tx *bolt.Tx) error {
		for i := range 500 {
			if err := tx.Bucket(bucketUsersByUsername).Put([]byte{'g', byte(i >> 8), byte(i)}, u64(uint64(1000+i))); err != nil {
				return err
			}
		}
		return nil
	})
	if n := len(db.Check(local)); n != 100 {
		t.Errorf("%d problems listed, want 100", n)
	}
}

// Ensure a file at schema version 0 or 1 migrates to the current version
// (the built-in group appears once, the migration is audited for 1→2), and
// a newer version is refused without touching the file.
func TestSchemaMigration(t *testing.T) {
	setVersion := func(t *testing.T, db *DB, v uint64, dropReaders bool) {
		rawUpdate(t, db, func(tx *bolt.Tx) error {
			if dropReaders {
				g := tx.Bucket(bucketGroupsByName).Get([]byte(roster.DirectoryReaders))
				if err := tx.Bucket(bucketGroups).Delete(g); err != nil {
					return err
				}
				if err := tx.Bucket(bucketGroupsByName).Delete([]byte(roster.DirectoryReaders)); err != nil {
					return err
				}
				// Files before schema 3 had no gid index (store/posix.go).
				if err := tx.DeleteBucket(bucketGroupsByGIDNumber); err != nil {
					return err
				}
			}
			if v == 0 {
				return tx.Bucket(bucketMeta).Delete(keySchema)
			}
			return tx.Bucket(bucketMeta).Put(keySchema, u64(v))
		})
	}
	version := func(t *testing.T, db *DB) uint64 {
		var v uint64
		if err := db.view(func(tx *bolt.Tx) error {
			v = binary.BigEndian.Uint64(tx.Bucket(bucketMeta).Get(keySchema))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if SchemaVersion < 2 {
		t.Fatalf("SchemaVersion %d; this test knows version 2", SchemaVersion)
	}
	for _, from := range []uint64{0, 1} {
		t.Run("from "+string(rune('0'+from)), func(t *testing.T) {
			db := checkFixture(t)
			setVersion(t, db, from, true)
			n := changes(t, db)
			db2, err := Open(db.Path())
			if err != nil {
				t.Fatal(err)
			}
			if v := version(t, db2); v != SchemaVersion {
				t.Errorf("version %d after migration, want %d", v, SchemaVersion)
			}
			if _, err := db2.Group(local, roster.DirectoryReaders); err != nil {
				t.Errorf("built-in group missing after migration: %v", err)
			}
			if changes(t, db2) <= n {
				t.Error("migration did not move the change counter")
			}
			if users, _ := db2.AllUsers(local); len(users) != 2 {
				t.Errorf("users after migration: %d", len(users))
			}
			if from == 1 {
				ev, _ := db2.AuditEvents(local, AuditFilter{Limit: 1})
				if len(ev) != 1 || ev[0].Action != roster.ActionSchemaUpdate || ev[0].Details != fmt.Sprintf("schema 1 → %d", SchemaVersion) {
					t.Errorf("migration audit %+v", ev)
				}
			}
			if p := db2.Check(local); len(p) != 0 {
				t.Errorf("check after migration: %v", p)
			}
			// Opening again migrates nothing more.
			groups, _ := db2.Groups(local)
			if _, err := Open(db.Path()); err != nil {
				t.Fatal(err)
			}
			if again, _ := db2.Groups(local); len(again) != len(groups) {
				t.Errorf("groups %d → %d on a second open", len(groups), len(again))
			}
		})
	}
	t.Run("version 1 that has the group", func(t *testing.T) {
		db := checkFixture(t)
		setVersion(t, db, 1, false)
		if _, err := Open(db.Path()); err != nil {
			t.Fatal(err)
		}
		if groups, _ := db.Groups(local); len(groups) != 2 {
			t.Errorf("groups %v", groups)
		}
	})
	t.Run("newer", func(t *testing.T) {
		db := checkFixture(t)
		setVersion(t, db, SchemaVersion+1, false)
		before := snapshot(t, db)
		_, err := Open(db.Path())
		if roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), "upgrade roster") {
			t.Errorf("opening a newer file: %v", err)
		}
		if snapshot(t, db) != before {
			t.Error("refusing a newer file changed it")
		}
	})
}

// Ensure a fresh file starts at the current version with the built-in group
// and a change counter.
func TestFreshSchema(t *testing.T) {
	db := MustOpenDB(t)
	if n := changes(t, db); n == 0 {
		t.Error("fresh file has no change counter")
	}
	groups, err := db.Groups(local)
	if err != nil || len(groups) != 1 || groups[0].Name != roster.DirectoryReaders {
		t.Errorf("fresh groups %+v, %v", groups, err)
	}
	if evs := mustEvents(t, db); len(evs) != 0 {
		t.Errorf("fresh file has audit events %+v", evs)
	}
}

// BenchmarkCheckSmall is the cost of Check on a small database, mostly the
// child process that runs bbolt's part (go test -bench CheckSmall ./store).
func BenchmarkCheckSmall(b *testing.B) {
	db := MustOpenDB(b)
	mustCreate(b, db, "ada", "Ada Lovelace", "ada@example.com")
	for b.Loop() {
		if p := db.Check(local); len(p) > 0 {
			b.Fatal(p)
		}
	}
}
