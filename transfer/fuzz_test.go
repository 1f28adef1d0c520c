package transfer

import (
	"io"
	"slices"
	"testing"

	"github.com/roster-dev/roster"
)

// FuzzImport feeds any bytes to the importer, with any options, into a
// database that already holds a user and a group. The importer must never
// panic, a refused import must leave the database as it was, the store must
// accept whatever the preview accepted, and every user in the database
// afterwards must pass the form's rules (normalized as the form leaves it).
func FuzzImport(f *testing.F) {
	for _, data := range spreadsheetFiles {
		f.Add(data, uint8(0))
	}
	f.Add(genCSV(30, ","), uint8(4))
	f.Add(genCSV(30, "\t"), uint8(1|4|8))
	f.Add([]byte("name;email;groups;status;role\nAda Two;ADA@example.com;staff|new;active;admin\nBo;bo@example.com;;disabled;owner\n"), uint8(1|4))
	f.Add([]byte("email,first name,last name\n\"'=cmd\"@example.com,=1+1,\"x\ny\"\n"), uint8(2))
	f.Add([]byte(`[{"username":"a","name":"A","email":"a@example.org","groups":["g; h"],"status":"active"},{"name":"B","email":"ada@example.com"}]`), uint8(1|4))
	f.Add([]byte("name,email\nLovelace, Ada,ada@example.com\n"), uint8(0))
	f.Add([]byte("\xff\xfen\x00,\x00e\x00\n\x00"), uint8(0))
	f.Add([]byte("sep=|\nname|email\nA|a@example.com\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		db := mustOpenDB(t) // checks the file's invariants at the end
		if _, err := db.CreateUser(local, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@example.com", Groups: []string{roster.DirectoryReaders}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateGroup(local, "staff", ""); err != nil {
			t.Fatal(err)
		}
		before := stateOf(t, db)
		opts := Options{OnDuplicate: OnDuplicate(mode % 3), CreateGroups: mode&4 != 0, Actor: local, Source: "fuzz.csv"}
		if mode&8 != 0 {
			opts.Groups = []string{"Staff", "extra"}
		}
		r, err := Preview(db, local, data, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.WriteText(io.Discard); err != nil {
			t.Fatal(err)
		}
		res, err := Commit(db, local, r, nil)
		if err != nil {
			if r.Blocked() == nil {
				t.Errorf("the store refused what the preview accepted: %v", err)
			}
			wantUntouched(t, db, before)
			return
		}
		if r.Blocked() != nil {
			t.Fatal("Commit wrote a blocked report")
		}
		if len(res.Created) != r.Create || len(res.Updated)+len(res.Unchanged) != r.Update {
			t.Errorf("wrote %d new and %d updates; the preview said %s", len(res.Created), len(res.Updated)+len(res.Unchanged), r.Totals())
		}
		users, err := db.AllUsers(local)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != len(before.users)+r.Create {
			t.Errorf("%d users after creating %d into %d", len(users), r.Create, len(before.users))
		}
		groups, err := db.Groups(local)
		if err != nil {
			t.Fatal(err)
		}
		names := map[uint64]string{}
		for _, g := range groups {
			if err := roster.ValidateGroupName(g.Name); err != nil {
				t.Errorf("group %q: %v", g.Name, err)
			}
			names[g.ID] = g.Name
		}
		for _, u := range users {
			n := roster.NewUser{Username: u.Username, Name: u.Name, Email: u.Email, Role: u.Role}
			for _, id := range u.GroupIDs {
				n.Groups = append(n.Groups, names[id])
			}
			form := n
			form.Groups = slices.Clone(n.Groups)
			form.Normalize()
			if form.Username != n.Username || form.Name != n.Name || form.Email != n.Email || form.Role != n.Role {
				t.Errorf("user %d is stored unnormalized: %+v", u.ID, n)
			}
			if err := form.Validate(); err != nil {
				t.Errorf("user %d (%+v) breaks the form's rules: %v", u.ID, n, err)
			}
			if u.Status < roster.StatusPending || u.Status > roster.StatusDisabled {
				t.Errorf("user %d has status %d", u.ID, u.Status)
			}
		}
	})
}
