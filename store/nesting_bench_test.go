package store

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	bolt "go.etcd.io/bbolt"
)

// benchTreeGroups is the size of the nested-groups benchmark's tree.
const benchTreeGroups = 1000

// loadNestBenchDB makes 100,000 users in a tree of 1,000 groups, eight
// children a group (four levels), each user in one or two groups at random.
func loadNestBenchDB(b *testing.B) *DB {
	b.Helper()
	db, err := Open(filepath.Join(b.TempDir(), "nest.db"))
	if err != nil {
		b.Fatal(err)
	}
	plan := demo.Make(benchUsers, 0, 1)
	plan.Groups = make([]string, benchTreeGroups)
	for i := range plan.Groups {
		plan.Groups[i] = fmt.Sprintf("g%04d", i)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range plan.Users {
		plan.Users[i].Groups = []string{plan.Groups[r.IntN(benchTreeGroups)]}
		if r.IntN(4) == 0 {
			plan.Users[i].Groups = append(plan.Users[i].Groups, plan.Groups[r.IntN(benchTreeGroups)])
		}
	}
	if err := db.LoadDemo(local, plan, nil); err != nil {
		b.Fatal(err)
	}
	// The tree, written at once: g0000 holds g0001–g0008, and so on.
	err = db.update(func(tx *bolt.Tx) error {
		for i := range benchTreeGroups {
			g, err := groupByNameTx(tx, plan.Groups[i])
			if err != nil {
				return err
			}
			for c := 8*i + 1; c <= 8*i+8 && c < benchTreeGroups; c++ {
				child, err := groupByNameTx(tx, plan.Groups[c])
				if err != nil {
					return err
				}
				g.Children = append(g.Children, child.ID)
			}
			if err := tx.Bucket(bucketGroups).Put(u64(g.ID), encodeGroup(g)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkNestedMembership100k measures a membership change in a tree of
// 1,000 groups and 100,000 users followed by recomputing every user's
// effective groups (what the directory does after a change; the users are
// in memory, as in its snapshot). Target: 50 ms an operation.
//
//	go test ./store/ -run '^$' -bench NestedMembership100k -benchtime 20x
func BenchmarkNestedMembership100k(b *testing.B) {
	db := loadNestBenchDB(b)
	users, err := db.AllUsers(local)
	if err != nil {
		b.Fatal(err)
	}
	recompute := func(b *testing.B) {
		nest, err := db.Nesting(local)
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for _, u := range users {
			total += len(nest.Effective(u.GroupIDs))
		}
		if total < len(users) {
			b.Fatalf("%d effective memberships for %d users", total, len(users))
		}
	}
	worst := func(b *testing.B, d time.Duration, worst *time.Duration) {
		if d > *worst {
			*worst = d
		}
	}
	// A group moves: g0009 (with its subtree) in and out of g0002.
	b.Run("nest", func(b *testing.B) {
		var max time.Duration
		for i := 0; b.Loop(); i++ {
			start := time.Now()
			change := db.NestGroup
			if i%2 == 1 {
				change = db.UnnestGroup
			}
			if err := change(local, "g0009", "g0002"); err != nil {
				b.Fatal(err)
			}
			recompute(b)
			worst(b, time.Since(start), &max)
		}
		b.ReportMetric(float64(max.Microseconds())/1000, "worst-ms")
	})
	// A user joins and leaves a leaf group.
	b.Run("member", func(b *testing.B) {
		id := []uint64{users[0].ID}
		var max time.Duration
		for i := 0; b.Loop(); i++ {
			start := time.Now()
			var err error
			if i%2 == 0 {
				_, err = db.AddToGroup(local, id, "g0999")
			} else {
				_, err = db.RemoveFromGroup(local, id, "g0999")
			}
			if err != nil {
				b.Fatal(err)
			}
			recompute(b)
			worst(b, time.Since(start), &max)
		}
		b.ReportMetric(float64(max.Microseconds())/1000, "worst-ms")
	})
	// The recomputation alone, to tell it from the write (an fsync).
	b.Run("recompute", func(b *testing.B) {
		for b.Loop() {
			recompute(b)
		}
	})
}

// BenchmarkManagerMembership100k measures, in the same tree, a membership
// change made by a group manager (the manager of g0001, whose subtree
// holds 488 groups and about half the users) and what it recomputes:
//
//   - change: the change itself (their scope resolved in its transaction,
//     the write with its fsync), then their scope resolved again and the
//     users they manage recomputed from the 100,000 users in memory (as the
//     terminal app's loaded copy holds them). Target: 50 ms an operation.
//
//   - list: the manager's scoped list read again from the file (what a
//     screen reload does; a read of the whole user bucket).
//
//     go test ./store/ -run '^$' -bench ManagerMembership100k -benchtime 20x
func BenchmarkManagerMembership100k(b *testing.B) {
	db := loadNestBenchDB(b)
	users, err := db.AllUsers(local)
	if err != nil {
		b.Fatal(err)
	}
	var boss *roster.User
	for _, u := range users {
		if u.Role == roster.RoleMember && u.Status == roster.StatusActive {
			boss = u
			break
		}
	}
	if boss == nil {
		b.Fatal("no active member to make manager")
	}
	if err := db.SetManager(local, "g0001", boss.ID, true); err != nil {
		b.Fatal(err)
	}
	manager := roster.Actor{Name: boss.Username, UserID: boss.ID, Role: roster.RoleMember}
	scoped, err := db.ListUsers(manager, roster.UserFilter{})
	if err != nil {
		b.Fatal(err)
	}
	// A user of their scope (not themselves) joins and leaves g0073, in
	// g0001's subtree (g0001 ∋ g0009 ∋ g0073).
	var target *roster.User
	for _, u := range scoped {
		if u.ID != boss.ID && u.Role == roster.RoleMember {
			target = u
			break
		}
	}
	b.Run("change", func(b *testing.B) {
		var max time.Duration
		for i := 0; b.Loop(); i++ {
			start := time.Now()
			change := db.AddToGroup
			if i%2 == 1 {
				change = db.RemoveFromGroup
			}
			res, err := change(manager, []uint64{target.ID}, "g0073")
			if err != nil || len(res.Changed) != 1 {
				b.Fatalf("%v %+v", err, res)
			}
			a, err := db.Resolve(manager)
			if err != nil || !a.IsManager() {
				b.Fatal(err)
			}
			managed := 0
			for _, u := range users {
				if a.Sees(u) {
					managed++
				}
			}
			if managed != len(scoped) {
				b.Fatalf("%d users in scope, want %d", managed, len(scoped))
			}
			if d := time.Since(start); d > max {
				max = d
			}
		}
		b.ReportMetric(float64(max.Microseconds())/1000, "worst-ms")
		b.ReportMetric(float64(len(scoped)), "users-in-scope")
	})
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			list, err := db.ListUsers(manager, roster.UserFilter{})
			if err != nil || len(list) != len(scoped) {
				b.Fatalf("%v: %d users in scope, want %d", err, len(list), len(scoped))
			}
		}
	})
}
