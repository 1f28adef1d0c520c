package main

import (
	"os"
	"path/filepath"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/demo"
	"github.com/roster-dev/roster/password"
	"github.com/roster-dev/roster/store"
)

const (
	baseDN   = "dc=example,dc=com"
	peopleDN = "ou=people," + baseDN
	svcDN    = "uid=benchsvc," + peopleDN
	svcPW    = "bench-service-pass"
	userDN   = "uid=benchuser," + peopleDN
	userPW   = "bench-user-password"
	clients  = 8 // bound connections of the load generator
)

var local = roster.LocalActor("benchpeers")

// childEnv makes this program the Roster directory server of the
// benchmark (a process of its own, so that its CPU time is its own).
const childEnv = "ROSTER_BENCHPEERS_CHILD"

// ldapFixture is a Roster database and the two servers holding it.
type ldapFixture struct {
	dir    string
	db     *store.DB
	uids   []string // Active users
	roster *server
	slapd  *server
}

func newLDAPFixture(dir string, n int) (*ldapFixture, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f := &ldapFixture{dir: dir}
	db, err := store.Open(filepath.Join(dir, "roster.db"))
	if err != nil {
		return nil, err
	}
	f.db = db
	plan := demo.Make(n, 16, 1)
	if err := db.LoadDemo(local, plan, nil); err != nil {
		return nil, err
	}
	for i, u := range plan.Users {
		if plan.Statuses[i] == roster.StatusActive {
			f.uids = append(f.uids, u.Username)
		}
	}
	users, err := db.CreateUsers(local, []roster.NewUser{
		{Username: "benchsvc", Name: "Bench Service", Email: "benchsvc@example.com", Groups: []string{roster.DirectoryReaders}},
		{Username: "benchuser", Name: "Bench User", Email: "benchuser@example.com"},
	})
	if err != nil {
		return nil, err
	}
	// Both with the default argon2id parameters, as a real account has.
	for i, pw := range []string{svcPW, userPW} {
		h, err := password.Approve(pw, users[i].Username, users[i].Email, nil)
		if err != nil {
			return nil, err
		}
		if err := db.SetPassword(local, users[i].ID, h); err != nil {
			return nil, err
		}
	}
	if _, err := db.SetStatus(local, []uint64{users[0].ID, users[1].ID}, roster.StatusActive); err != nil {
		return nil, err
	}
	if f.roster, err = startRoster(db.Path()); err != nil {
		return nil, err
	}
	if f.slapd, err = f.startSlapd(); err != nil {
		f.roster.stop()
		return nil, err
	}
	return f, nil
}

func (f *ldapFixture) close() {
	f.roster.stop()
	f.slapd.stop()
}
