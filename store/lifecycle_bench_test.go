package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkLifecycle100k measures what expiry and the inactivity policy
// add on a 100,000-user database where 1,000 users have a future expiry:
// the check every Open makes, a whole Open, and serve's hourly dormant scan.
func BenchmarkLifecycle100k(b *testing.B) {
	db := loadBenchDB(b, filepath.Join(b.TempDir(), "bench.db"))
	users, err := db.AllUsers(local)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Now().AddDate(1, 0, 0)
	for _, u := range users[:1000] {
		if _, err := db.UpdateUser(local, u.ID, roster.UserUpdate{ExpiresAt: &at}); err != nil {
			b.Fatal(err)
		}
	}
	// What Open's read adds: reading the due index (1,000 entries).
	b.Run("DueCheck", func(b *testing.B) {
		err := db.view(func(tx *bolt.Tx) error {
			for b.Loop() {
				if ids := dueIDsTx(tx, time.Now()); len(ids) != 0 {
					b.Fatal(ids)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("Open", func(b *testing.B) {
		for b.Loop() {
			if _, err := Open(db.Path()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DormantScan", func(b *testing.B) {
		for b.Loop() {
			// Ten years: nobody is dormant, so this is the read-only scan.
			if res, err := db.DisableDue(roster.SystemActor("serve"), 3650*24*time.Hour); err != nil || len(res.Dormant) > 0 {
				b.Fatal(res, err)
			}
		}
	})
}
