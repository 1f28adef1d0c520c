package store_test

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	"github.com/roster-dev/roster/store"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkCheckAndBackup: `roster check` and `roster backup` of a demo
// database of 100,000 users (or ROSTER_BENCH_USERS), each beside its
// anchor: bbolt's own check of the same file (what `bbolt check` does:
// open read-only, walk every page) and cp of the file with an fsync.
func BenchmarkCheckAndBackup(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("ROSTER_BENCH_USERS")); err == nil && v > 0 {
		n = v
	}
	tmp := b.TempDir()
	db, err := store.Open(filepath.Join(tmp, "roster.db"))
	if err != nil {
		b.Fatal(err)
	}
	if err := db.LoadDemo(bkActor, demo.Make(n, 16, 1), nil); err != nil {
		b.Fatal(err)
	}
	actor := roster.LocalActor("bench")
	b.Run("bbolt-check", func(b *testing.B) {
		for b.Loop() {
			bdb, err := bolt.Open(db.Path(), 0o600, &bolt.Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			err = bdb.View(func(tx *bolt.Tx) error {
				for err := range tx.Check() {
					return err
				}
				return nil
			})
			bdb.Close()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("roster-check", func(b *testing.B) {
		for b.Loop() {
			if problems := db.Check(actor); len(problems) > 0 {
				b.Fatal(problems)
			}
		}
	})
	b.Run("cp+sync", func(b *testing.B) {
		for b.Loop() {
			if err := copySync(db.Path(), filepath.Join(tmp, "copy.db")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("roster-backup", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Backup(actor, store.BackupOptions{Dest: filepath.Join(tmp, "backups") + "/", Keep: 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func copySync(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
