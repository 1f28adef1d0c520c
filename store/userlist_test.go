package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	bolt "go.etcd.io/bbolt"
)

// Ensure the terminal app's list holds the same users and groups as
// AllUsers and Groups, for an admin and for a manager, read by several
// goroutines or one, with every field a user record may hold.
func TestListAllUsersMatchesAllUsers(t *testing.T) {
	for _, n := range []int{0, 30_000} { // 30,000 ids are read in parallel ranges
		db := MustOpenDB(t)
		mona, u := managerWorld(t, db)
		if n > 0 {
			if err := db.LoadDemo(local, demo.Make(n, 6, 3), nil); err != nil {
				t.Fatal(err)
			}
		}
		// Fields the demo leaves empty.
		gus := u["gus"]
		if err := db.write(func(tx *bolt.Tx) error {
			v := *gus
			v.GivenName, v.Surname, v.Shell = "Gus", "Grün", "/bin/zsh"
			v.PasswordHash, v.PasswordSetAt = "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", time.Unix(1e9, 5).UTC()
			v.Delivery, v.DeliveryDetail, v.Suppressed, v.SuppressReason = roster.DeliveryBounced, "550 no such user", true, "bounced"
			v.ExpiresAt, v.InviteExpires, v.Kind = time.Unix(2e9, 0).UTC(), time.Unix(2e9, 7).UTC(), roster.KindService
			return tx.Bucket(bucketUsers).Put(u64(v.ID), encodeUser(&v))
		}); err != nil {
			t.Fatal(err)
		}
		for _, actor := range []roster.Actor{local, mona} {
			want, err := db.AllUsers(actor)
			if err != nil {
				t.Fatal(err)
			}
			wantGroups, err := db.Groups(actor)
			if err != nil {
				t.Fatal(err)
			}
			got, err := db.ListAllUsers(actor)
			if err != nil {
				t.Fatal(err)
			}
			if changes, _ := db.Changes(); got.Changes != changes {
				t.Errorf("changes %d, want %d", got.Changes, changes)
			}
			if len(got.Users) != len(want) {
				t.Fatalf("%s: %d users, want %d", actor.Name, len(got.Users), len(want))
			}
			if !reflect.DeepEqual(got.Groups, wantGroups) {
				t.Errorf("%s: groups differ:\n%+v\nwant\n%+v", actor.Name, got.Groups, wantGroups)
			}
			var scratch roster.User
			for i, w := range want {
				l := &got.Users[i]
				w.PasswordHash = ""
				if u := l.User(); !reflect.DeepEqual(u, w) {
					t.Fatalf("user %d:\n%+v\nwant\n%+v", i, u, w)
				}
				l.Decode(&scratch)
				if scratch.GroupIDs == nil {
					scratch.GroupIDs = nil
				}
				if scratch.ID != w.ID || scratch.Email != w.Email || !reflect.DeepEqual(scratch.GroupIDs, w.GroupIDs) && len(w.GroupIDs) > 0 {
					t.Fatalf("decode %d: %+v, want %+v", i, scratch, w)
				}
				if l.ID != w.ID || l.Username != w.Username || l.Name != w.Name || l.Email != w.Email ||
					l.Role != w.Role || l.Status != w.Status || l.Kind != w.Kind {
					t.Fatalf("fields of %d: %+v, want %+v", i, l, w)
				}
				if l.CreatedAt() != w.CreatedAt.UnixNano() {
					t.Fatalf("created %d: %d, want %v", i, l.CreatedAt(), w.CreatedAt)
				}
				for _, within := range [][]uint64{{1}, {2, 3}, {3, 5, 9}} {
					if l.InAnyGroup(within) != w.InAnyGroup(within) {
						t.Fatalf("user %d in %v: %v", i, within, l.InAnyGroup(within))
					}
				}
			}
		}
	}
}

// Ensure a record that does not decode fails the list, as it fails AllUsers.
func TestListAllUsersCorrupt(t *testing.T) {
	db := MustOpenDB(t)
	mustCreate(t, db, "ada", "Ada", "ada@example.com")
	bob := mustCreate(t, db, "bob", "Bob", "bob@example.com")
	defer func() { // the database's check after the test
		if err := db.write(func(tx *bolt.Tx) error { return tx.Bucket(bucketUsers).Put(u64(2), encodeUser(bob)) }); err != nil {
			t.Fatal(err)
		}
	}()
	for _, rec := range [][]byte{{9}, {userRecordV1, 2, 200}, {userRecordV4, 2, 1, 'a', 0, 0, 1, 1, 0}} {
		if err := db.write(func(tx *bolt.Tx) error { return tx.Bucket(bucketUsers).Put(u64(2), rec) }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ListAllUsers(local); err == nil {
			t.Errorf("record %v: no error", rec)
		}
		if _, err := db.AllUsers(local); err == nil {
			t.Errorf("record %v: AllUsers gave no error", rec)
		}
	}
}
