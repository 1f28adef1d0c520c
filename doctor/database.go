package doctor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roster-dev/roster/store"
)

// checkDatabase: the file and its mode, bbolt's and Roster's consistency
// check, size, schema version, the last backup and its age.
func checkDatabase(c *Config) []Result {
	if c.DB == nil {
		return []Result{fail("database.file", "check --db or ROSTER_DB; roster creates the file on first use",
			"no database at %s", c.DBPath)}
	}
	db := c.DB
	path := db.Path()
	var r []Result
	if perm := c.DBMode.Perm(); perm&0o077 != 0 {
		r = append(r, fail("database.file", "find out who copied or changed it; keep it and its backups 0600",
			"%s was mode %04o: other users could read every password hash (roster set it to 0600 when it opened the file)", path, perm))
	} else {
		r = append(r, pass("database.file", "%s, mode %04o", path, perm))
	}
	if problems := db.Check(c.Actor); len(problems) > 0 {
		msgs := make([]string, 0, 3)
		for i, p := range problems {
			if i == 3 {
				msgs = append(msgs, fmt.Sprintf("and %d more", len(problems)-3))
				break
			}
			msgs = append(msgs, p.Error())
		}
		r = append(r, fail("database.check", "restore the last good backup (roster restore PATH) or ask for help with `roster check`",
			"%d problem(s): %s", len(problems), strings.Join(msgs, "; ")))
	} else {
		r = append(r, pass("database.check", "consistent (bbolt and Roster's indexes)"))
	}
	size := int64(0)
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	users, err := db.AllUsers(c.Actor)
	if err != nil {
		r = append(r, fail("database.size", "see the error; try `roster check`", "read the users: %v", err))
	} else {
		r = append(r, pass("database.size", "%s, %d users", humanBytes(size), len(users)))
	}
	if v, err := db.SchemaVersionOf(); err != nil {
		r = append(r, fail("database.schema", "see the error", "read the schema version: %v", err))
	} else if v != store.SchemaVersion {
		r = append(r, warn("database.schema", "run any roster command with a build that knows this schema",
			"schema %d, this roster writes %d", v, store.SchemaVersion))
	} else {
		r = append(r, pass("database.schema", "schema %d (this roster's)", v))
	}
	return append(r, checkBackup(c))
}

func checkBackup(c *Config) Result {
	const fix = "run `roster backup`, or `roster serve --backup-dir DIR`, or enable contrib/roster-backup.timer"
	at, where, err := c.DB.LastBackup()
	if err != nil {
		return fail("database.backup", "see the error", "read the last backup: %v", err)
	}
	if at.IsZero() {
		return warn("database.backup", fix, "no backup recorded")
	}
	every := c.BackupEvery
	if every <= 0 {
		if every, _ = c.DB.BackupInterval(); every <= 0 {
			every = store.DefaultBackupInterval
		}
	}
	ago := c.now().Sub(at)
	if _, err := os.Stat(where); where != "" && err != nil {
		return warn("database.backup", fix, "last backup %s to %s, which is gone", age(ago), where)
	}
	if ago > every+every/4 {
		return warn("database.backup", fix, "last backup %s (%s), overdue: due every %s", age(ago), filepath.Base(where), every.Round(time.Minute))
	}
	return pass("database.backup", "last backup %s (%s)", age(ago), where)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
