package ldap

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
	gossh "golang.org/x/crypto/ssh"
)

// dumpDirectory renders everything a search can see of d: every entry
// with every attribute, and what each index answers for each user and
// group, so that two snapshots can be compared as text.
func dumpDirectory(d *directory) string {
	var b strings.Builder
	sel := selectAttrs([]string{"*", "+"})
	for _, e := range allEntries(d) {
		var w berWriter
		encodeEntry(&w, 1, e, sel, false)
		fmt.Fprintf(&b, "%x\n", w.b)
		if e.kind == kindUser {
			u := e.user.u
			for _, x := range [][]*userEntry{d.usersByUID(fold(u.Username)), d.usersByMail(fold(u.Email))} {
				fmt.Fprintf(&b, "%s index:", u.Username)
				for _, f := range x {
					fmt.Fprintf(&b, " %s", f.dn)
				}
				b.WriteString("\n")
			}
			byNumber, _ := d.planPosixUsers(&filter{attr: "uidnumber", value: fmt.Sprint(u.UIDNumber)})
			fmt.Fprintf(&b, "uidNumber %d: %d users, reader %v\n", u.UIDNumber, len(byNumber), d.isReader(e.user))
		}
		if e.kind == kindGroup {
			fmt.Fprintf(&b, "memberOf %s: %d users\n", e.group.dn, len(d.groupMembers(e.group.dn)))
		}
	}
	fmt.Fprintf(&b, "%d users, %d ids, %d uid refs, %d mail refs, %d number refs\n",
		len(d.users), len(d.ids), len(d.byUID), len(d.byMail), len(d.posix.byUIDNumber))
	return b.String()
}

// TestIncrementalMatchesFullLoad changes the database through a second
// handle on the file (as another process would) and, after each change,
// compares the snapshot made from the previous one and the changed
// records with one loaded whole.
func TestIncrementalMatchesFullLoad(t *testing.T) {
	db := fixture(t)
	other, err := store.Open(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	base, _ := ParseDN(testBase)
	prev, err := loadDirectory(db, base, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	find := func(name string) uint64 {
		u, err := other.FindUser(local, name)
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	str := func(s string) *string { return &s }
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	sp, _ := gossh.NewPublicKey(pub)
	keyLine := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(sp))) + " ada@laptop"
	steps := []struct {
		name   string
		change func() error
		shares string // a user whose entry must be the previous snapshot's
	}{
		{"nothing", func() error { return nil }, "ada"},
		{"sign-in", func() error { return other.RecordLogin(find("bob"), "test", "127.0.0.1") }, "ada"},
		{"rename", func() error {
			_, err := other.UpdateUser(local, find("bob"), roster.UserUpdate{Name: str("Robert Builder")})
			return err
		}, "ada"},
		{"given name and surname", func() error {
			_, err := other.UpdateUser(local, find("bob"), roster.UserUpdate{GivenName: str("Rob"), Surname: str("Builder-Smith")})
			return err
		}, "ada"},
		{"new username", func() error {
			_, err := other.UpdateUser(local, find("bob"), roster.UserUpdate{Username: str("robert")})
			return err
		}, "ada"},
		{"new e-mail", func() error {
			_, err := other.UpdateUser(local, find("carl"), roster.UserUpdate{Email: str("Carl@Example.net")})
			return err
		}, "ada"},
		{"join a group", func() error { _, err := other.AddToGroup(local, []uint64{find("carl")}, "admins"); return err }, "svc"},
		{"leave a group", func() error { _, err := other.RemoveFromGroup(local, []uint64{find("ada")}, "staff"); return err }, "svc"},
		{"disable", func() error {
			_, err := other.SetStatus(local, []uint64{find("carl")}, roster.StatusDisabled)
			return err
		}, "ada"},
		{"enable", func() error {
			_, err := other.SetStatus(local, []uint64{find("carl")}, roster.StatusActive)
			return err
		}, "ada"},
		{"new user", func() error {
			u, err := other.CreateUser(local, roster.NewUser{Username: "dan", Name: "Dan", Email: "dan@example.com", Groups: []string{"staff", roster.DirectoryReaders}})
			if err != nil {
				return err
			}
			_, err = other.SetStatus(local, []uint64{u.ID}, roster.StatusActive)
			return err
		}, "ada"},
		{"ssh key", func() error { _, err := other.AddKey(local, find("ada"), keyLine); return err }, "ada"},
		{"shell", func() error {
			_, err := other.UpdateUser(local, find("ada"), roster.UserUpdate{Shell: str("/bin/zsh")})
			return err
		}, "svc"},
		{"delete", func() error { _, err := other.DeleteUsers(local, []uint64{find("robert")}); return err }, "ada"},
		{"posix settings", func() error {
			s, err := other.PosixSettings(local)
			if err != nil {
				return err
			}
			s.HomeTemplate = "/srv/home/{username}"
			return other.SetPosixSettings(local, s)
		}, "ada"},
		{"new group", func() error { _, err := other.CreateGroup(local, "ops", ""); return err }, ""},
		{"nest", func() error { return other.NestGroup(local, "admins", "ops") }, ""},
		{"group renamed", func() error { _, err := other.UpdateGroup(local, "ops", "Operations", nil); return err }, ""},
		{"join after nesting", func() error { _, err := other.AddToGroup(local, []uint64{find("svc")}, "admins"); return err }, "dan"},
	}
	for _, step := range steps {
		if err := step.change(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		inc, err := loadDirectory(db, base, false, prev)
		if err != nil {
			t.Fatalf("%s: incremental load: %v", step.name, err)
		}
		full, err := loadDirectory(db, base, false, nil)
		if err != nil {
			t.Fatalf("%s: full load: %v", step.name, err)
		}
		if got, want := dumpDirectory(inc), dumpDirectory(full); got != want {
			t.Fatalf("%s: the incremental snapshot differs from a full load\nincremental:\n%s\nfull:\n%s", step.name, got, want)
		}
		if step.shares != "" {
			id := find(step.shares)
			if inc.user(id) != prev.user(id) {
				t.Errorf("%s: %s's entry was made again; the change did not touch them", step.name, step.shares)
			}
		}
		prev = inc
	}
}
