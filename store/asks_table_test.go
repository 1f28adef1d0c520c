package store

import (
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure the store asks the power table for every read (issue 13, break 1:
// reads took no actor, so what a person could read was decided only by the
// app ssh/ handed out). Each read runs as a member, an admin, an owner and
// Roster itself, on another user where it takes one; it is refused with
// EFORBIDDEN exactly when the table refuses, one line per cell.
func TestStoreReadsAskTheTable(t *testing.T) {
	c := newPowerCast(t)
	db := c.db
	actors := map[string]roster.Actor{"member": c.memb, "admin": c.admin, "owner": c.owner, "system": roster.SystemActor("test")}
	other := c.alan // another admin: the strictest target an admin may still read
	reads := []struct {
		name   string
		op     roster.Op
		target *roster.User
		run    func(a roster.Actor) error
	}{
		{"AllUsers", roster.OpListUsers, nil, func(a roster.Actor) error { _, err := db.AllUsers(a); return err }},
		{"ListUsers", roster.OpListUsers, nil, func(a roster.Actor) error { _, err := db.ListUsers(a, roster.UserFilter{}); return err }},
		{"GroupMembers", roster.OpListUsers, nil, func(a roster.Actor) error { _, err := db.GroupMembers(a, 1); return err }},
		{"UsernameTaken", roster.OpListUsers, nil, func(a roster.Actor) error { _, err := db.UsernameTaken(a, "x", 0); return err }},
		{"User", roster.OpReadUser, other, func(a roster.Actor) error { _, err := db.User(a, other.ID); return err }},
		{"FindUser", roster.OpListUsers, nil, func(a roster.Actor) error { _, err := db.FindUser(a, other.Username); return err }},
		{"AuditEvents", roster.OpReadAudit, nil, func(a roster.Actor) error { _, err := db.AuditEvents(a, AuditFilter{}); return err }},
		{"AuditEvents of another", roster.OpReadAudit, nil, func(a roster.Actor) error {
			_, err := db.AuditEvents(a, AuditFilter{UserID: other.ID})
			return err
		}},
		{"MailboxMessages", roster.OpReadMailbox, nil, func(a roster.Actor) error { _, err := db.MailboxMessages(a, 0, false); return err }},
		{"OutboxJobs", roster.OpReadOutbox, nil, func(a roster.Actor) error { _, err := db.OutboxJobs(a, OutboxFilter{}); return err }},
		{"Jobs", roster.OpReadOutbox, nil, func(a roster.Actor) error { _, err := db.Jobs(a, []uint64{1}); return err }},
		{"JobCounts", roster.OpReadOutbox, nil, func(a roster.Actor) error { _, err := db.JobCounts(a, []uint64{1}); return err }},
		{"Keys", roster.OpReadKeys, other, func(a roster.Actor) error { _, err := db.Keys(a, other.ID); return err }},
		{"Groups", roster.OpReadGroups, nil, func(a roster.Actor) error { _, err := db.Groups(a); return err }},
		{"Check", roster.OpCheck, nil, func(a roster.Actor) error {
			if p := db.Check(a); len(p) > 0 {
				return p[0]
			}
			return nil
		}},
		{"Backup", roster.OpBackup, nil, func(a roster.Actor) error {
			_, err := db.Backup(a, BackupOptions{Dest: t.TempDir() + "/"})
			return err
		}},
	}
	for _, r := range reads {
		for _, col := range []string{"member", "admin", "owner", "system"} {
			a := actors[col]
			want := a.May(r.op, r.target)
			err := r.run(a)
			switch {
			case want == nil && err != nil:
				t.Errorf("%s | %s: refused (%v), the table allows it", r.name, col, err)
			case want != nil && roster.ErrorCode(err) != roster.EFORBIDDEN:
				t.Errorf("%s | %s: got %v, the table refuses it", r.name, col, err)
			}
		}
	}
}
