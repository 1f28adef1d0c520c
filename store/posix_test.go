package store

import (
	"testing"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Ensure users and groups get numbers from 10000 in creation order, and a
// deleted user's number is never handed out again.
func TestPosixNumbersAllocatedOnce(t *testing.T) {
	db := MustOpenDB(t)
	readers, err := db.Group(local, roster.DirectoryReaders)
	if err != nil {
		t.Fatal(err)
	}
	if readers.GIDNumber != 10000 {
		t.Errorf("built-in group gid %d, want 10000", readers.GIDNumber)
	}
	staff := mustGroup(t, db, "staff")
	if staff.GIDNumber != 10001 {
		t.Errorf("staff gid %d, want 10001", staff.GIDNumber)
	}
	ada := mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com")
	bob := mustCreate(t, db, "bob", "Bob Hope", "bob@example.com")
	if ada.UIDNumber != 10000 || bob.UIDNumber != 10001 {
		t.Fatalf("uids %d %d, want 10000 10001", ada.UIDNumber, bob.UIDNumber)
	}
	if got, _ := db.User(local, ada.ID); got.UIDNumber != 10000 {
		t.Errorf("stored uid %d", got.UIDNumber)
	}
	if _, err := db.DeleteUsers(local, []uint64{bob.ID}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteGroup(local, "staff", false); err != nil {
		t.Fatal(err)
	}
	cy := mustCreate(t, db, "cy", "Cy Young", "cy@example.com")
	if cy.UIDNumber != 10002 {
		t.Errorf("uid after a deletion %d, want 10002 (never reuse 10001)", cy.UIDNumber)
	}
	if g := mustGroup(t, db, "ops"); g.GIDNumber != 10002 {
		t.Errorf("gid after a deletion %d, want 10002", g.GIDNumber)
	}
}

// Ensure an administrator can choose a free uid in range and a shell, and
// is refused, with nothing changed, a taken uid, one out of range and a
// shell that is not an absolute path of printable characters.
func TestPosixEditUser(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada Lovelace", "ada@example.com")
	bob := mustCreate(t, db, "bob", "Bob Hope", "bob@example.com")
	n, shell := uint32(12345), "/usr/bin/zsh"
	u, err := db.UpdateUser(local, ada.ID, roster.UserUpdate{UIDNumber: &n, Shell: &shell})
	if err != nil {
		t.Fatal(err)
	}
	if u.UIDNumber != 12345 || u.Shell != shell {
		t.Fatalf("after edit: uid %d shell %q", u.UIDNumber, u.Shell)
	}
	// The mark moved past the chosen number: the next user gets 12346.
	if cy := mustCreate(t, db, "cy", "Cy Young", "cy@example.com"); cy.UIDNumber != 12346 {
		t.Errorf("next uid %d, want 12346", cy.UIDNumber)
	}
	// The old number 10000 is free for a hand-picked choice, but not for the allocator.
	before := snapshot(t, db)
	taken := uint32(12345)
	_, err = db.UpdateUser(local, bob.ID, roster.UserUpdate{UIDNumber: &taken})
	wantErr(t, err, roster.ECONFLICT, "uid-number")
	if got := roster.ErrorMessage(err); got != "uid-number: uid 12345 belongs to ada" {
		t.Errorf("message %q", got)
	}
	for _, n := range []uint32{999, 9999, 60000, 65534, 1 << 31} {
		_, err = db.UpdateUser(local, bob.ID, roster.UserUpdate{UIDNumber: &n})
		wantErr(t, err, roster.EINVALID, "uid-number")
	}
	for _, s := range []string{"bash", "/bin/ba sh", "/bin/bash\x00", "/bin/\x1b[31m", "/bin/\u202ebash", "/bin:sh"} {
		_, err = db.UpdateUser(local, bob.ID, roster.UserUpdate{Shell: &s})
		wantErr(t, err, roster.EINVALID, "shell")
	}
	if after := snapshot(t, db); after != before {
		t.Error("a refused edit changed the file")
	}
	// "" returns to the default shell.
	empty := ""
	if u, err = db.UpdateUser(local, ada.ID, roster.UserUpdate{Shell: &empty}); err != nil || u.Shell != "" {
		t.Fatalf("reset shell: %v %q", err, u.Shell)
	}
	ev, _ := db.AuditEvents(local, AuditFilter{Search: "uidNumber"})
	if len(ev) != 1 || ev[0].Details != `uidNumber 10000 → 12345; shell "" → "/usr/bin/zsh"` {
		t.Errorf("audit %+v", ev)
	}
}

// Ensure the settings are kept, checked, owner-only, and that a used-up
// range refuses new users with a clear error.
func TestPosixSettings(t *testing.T) {
	db := MustOpenDB(t)
	s, err := db.PosixSettings(local)
	if err != nil || s != roster.DefaultPosixSettings() {
		t.Fatalf("defaults %+v %v", s, err)
	}
	s.UIDs = roster.IDRange{Min: 20000, Max: 20001}
	s.HomeTemplate = "/srv/home/{username}"
	if err := db.SetPosixSettings(local, s); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.PosixSettings(local); got != s {
		t.Errorf("kept %+v, want %+v", got, s)
	}
	admin := roster.Actor{Name: "root-ish", Role: roster.RoleAdmin}
	wantErr(t, db.SetPosixSettings(admin, roster.DefaultPosixSettings()), roster.EFORBIDDEN, "")
	bad := s
	bad.HomeTemplate = "/home/shared"
	wantErr(t, db.SetPosixSettings(local, bad), roster.EINVALID, "home")
	mustCreate(t, db, "ada", "Ada", "ada@example.com")
	mustCreate(t, db, "bob", "Bob", "bob@example.com")
	_, err = db.CreateUser(local, roster.NewUser{Username: "cy", Name: "Cy", Email: "cy@example.com"})
	wantErr(t, err, roster.ECONFLICT, "uid-number")
	if roster.ErrorMessage(err) == "" {
		t.Error("no message")
	}
}

// Ensure an import hands out numbers as creating one by one would.
func TestPosixImport(t *testing.T) {
	db := MustOpenDB(t)
	mustCreate(t, db, "ada", "Ada", "ada@example.com")
	rows := []ImportRow{
		{Line: 2, User: roster.NewUser{Username: "bob", Name: "Bob", Email: "bob@example.com"}},
		{Line: 3, User: roster.NewUser{Username: "cy", Name: "Cy", Email: "cy@example.com"}},
	}
	if _, err := db.Import(local, rows, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]uint32{"bob": 10001, "cy": 10002} {
		if u, err := db.FindUser(local, name); err != nil || u.UIDNumber != want {
			t.Errorf("%s: uid %v %v, want %d", name, u.UIDNumber, err, want)
		}
	}
	if d := mustCreate(t, db, "dee", "Dee", "dee@example.com"); d.UIDNumber != 10003 {
		t.Errorf("after import %d", d.UIDNumber)
	}
}

// Ensure opening a file of schema 2, whose records have no numbers, gives
// every user and group one in id order, once.
func TestPosixMigration(t *testing.T) {
	db := MustOpenDB(t)
	mustGroup(t, db, "staff")
	for _, n := range []string{"ada", "bob", "cy"} {
		mustCreate(t, db, n, n, n+"@example.com", "staff")
	}
	// Back to schema 2: version 1 records, no indexes, no marks.
	rawUpdate(t, db, func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketUsers, bucketGroups} {
			err := tx.Bucket(b).ForEach(func(k, v []byte) error {
				if string(b) == string(bucketUsers) {
					u, _ := decodeUser(v)
					u.UIDNumber = 0
					return tx.Bucket(b).Put(k, encodeUserV1(u))
				}
				g, _ := decodeGroup(v)
				return tx.Bucket(b).Put(k, encodeGroupV1(g))
			})
			if err != nil {
				return err
			}
		}
		for _, b := range [][]byte{bucketUsersByUIDNumber, bucketGroupsByGIDNumber} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		for _, k := range [][]byte{keyUIDHigh, keyGIDHigh} {
			if err := meta.Delete(k); err != nil {
				return err
			}
		}
		return meta.Put(keySchema, u64(2))
	})
	db2, err := Open(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]uint32{"ada": 10000, "bob": 10001, "cy": 10002} {
		if u, err := db2.FindUser(local, name); err != nil || u.UIDNumber != want {
			t.Errorf("%s: uid %d %v, want %d", name, u.UIDNumber, err, want)
		}
	}
	for name, want := range map[string]uint32{roster.DirectoryReaders: 10000, "staff": 10001} {
		if g, err := db2.Group(local, name); err != nil || g.GIDNumber != want {
			t.Errorf("%s: gid %d %v, want %d", name, g.GIDNumber, err, want)
		}
	}
	if d := mustCreate(t, db2, "dee", "Dee", "dee@example.com"); d.UIDNumber != 10003 {
		t.Errorf("after migration %d", d.UIDNumber)
	}
	if p := db2.Check(local); len(p) != 0 {
		t.Errorf("check: %v", p)
	}
}

// encodeUserV1 writes a record as builds before schema 3 did.
func encodeUserV1(u *roster.User) []byte {
	b := encodeUserV2(u)
	b[0] = userRecordV1
	return b[:len(b)-len(u64v(uint64(u.UIDNumber)))-len(u64v(uint64(len(u.Shell))))-len(u.Shell)]
}

func encodeGroupV1(g *roster.Group) []byte {
	b := encodeGroup(g)
	b[0] = groupRecordV1
	return b[:len(b)-len(u64v(uint64(g.GIDNumber)))-len(u64v(0))] // no children
}

func u64v(n uint64) []byte { e := encoder{}; e.uvarint(n); return e.b }

// Ensure AllKeys gives every user's keys as authorized_keys lines.
func TestAllKeys(t *testing.T) {
	db := MustOpenDB(t)
	ada := mustCreate(t, db, "ada", "Ada", "ada@example.com")
	mustCreate(t, db, "bob", "Bob", "bob@example.com")
	line, _ := newTestKey(t, "ada@laptop")
	if _, err := db.AddKey(local, ada.ID, line); err != nil {
		t.Fatal(err)
	}
	keys, err := db.AllKeys(local)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || len(keys[ada.ID]) != 1 || keys[ada.ID][0] != line {
		t.Errorf("keys %v, want ada's %q", keys, line)
	}
}

// Ensure allocation jumps over the numbers machines keep for themselves
// (nobody is 65534).
func TestPosixSkipsReserved(t *testing.T) {
	db := MustOpenDB(t)
	s := roster.DefaultPosixSettings()
	s.UIDs = roster.IDRange{Min: 59999, Max: 70000}
	if err := db.SetPosixSettings(local, s); err != nil {
		t.Fatal(err)
	}
	a := mustCreate(t, db, "ada", "Ada", "ada@example.com")
	b := mustCreate(t, db, "bob", "Bob", "bob@example.com")
	if a.UIDNumber != 59999 || b.UIDNumber != 65536 {
		t.Errorf("uids %d %d, want 59999 65536", a.UIDNumber, b.UIDNumber)
	}
}

// Ensure a restore keeps the marks of the file it replaces: the uid of a
// user created after the backup is not handed out again.
func TestPosixRestoreKeepsMarks(t *testing.T) {
	db := MustOpenDB(t)
	mustCreate(t, db, "ada", "Ada", "ada@example.com")
	res, err := db.Backup(local, BackupOptions{Dest: t.TempDir() + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if bob := mustCreate(t, db, "bob", "Bob", "bob@example.com"); bob.UIDNumber != 10001 {
		t.Fatalf("bob %d", bob.UIDNumber)
	}
	mustGroup(t, db, "staff") // gid 10001
	if _, err := db.Restore(local, res.Path); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindUser(local, "bob"); err == nil {
		t.Fatal("bob survived the restore")
	}
	if cy := mustCreate(t, db, "cy", "Cy", "cy@example.com"); cy.UIDNumber != 10002 {
		t.Errorf("after restore cy got %d, want 10002 (bob's 10001 was handed out)", cy.UIDNumber)
	}
	if g := mustGroup(t, db, "ops"); g.GIDNumber != 10002 {
		t.Errorf("after restore ops got gid %d, want 10002", g.GIDNumber)
	}
}
