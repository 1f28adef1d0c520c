package ldap

import (
	"sync"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// otherProcess opens the database file a second time, as another roster
// process would.
func otherProcess(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	other, err := store.Open(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	return other
}

// Ensure a bind, and the first search after it, see every change another
// process committed before the bind began, with no periodic reload to help.
func TestFreshAtBind(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{Refresh: time.Hour})
	other := otherProcess(t, db)
	svc := bindAs(t, addr, "svc")

	// A user made Active elsewhere binds and is found at once.
	u, err := other.CreateUser(local, roster.NewUser{Username: "newbie", Name: "New Bie", Email: "newbie@example.com", Groups: []string{"staff"}})
	if err != nil {
		t.Fatal(err)
	}
	setPassword(t, other, u.ID, "newbie-secret-pass")
	if _, err := other.SetStatus(local, []uint64{u.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr)
	if err := c.Bind(userDN("newbie"), "newbie-secret-pass"); err != nil {
		t.Fatalf("bind right after activation: %v", err)
	}
	if got := search(t, c, userDN("newbie"), goldap.ScopeBaseObject, "(objectClass=*)", "memberOf"); len(got) != 1 || got[0].GetAttributeValue("memberOf") != groupDN("staff") {
		t.Fatalf("first search after the bind: %+v", got)
	}

	// A user disabled elsewhere is refused at the very next bind.
	if _, err := other.SetStatus(local, []uint64{u.ID}, roster.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if err := dial(t, addr).Bind(userDN("newbie"), "newbie-secret-pass"); codeOf(err) != goldap.LDAPResultInvalidCredentials {
		t.Fatalf("bind right after disabling: %v", err)
	}
	// And the service account's next bind sees the entry gone.
	if err := svc.Bind(userDN("svc"), testPasswords["svc"]); err != nil {
		t.Fatal(err)
	}
	if got := search(t, svc, "ou=people,"+testBase, goldap.ScopeSingleLevel, "(uid=newbie)"); len(got) != 0 {
		t.Fatalf("disabled user still found after a fresh bind")
	}
}

// Ensure a search started after a change sees it within SearchFreshness,
// without a bind and with no periodic reload.
func TestFreshSearch(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{Refresh: time.Hour, SearchFreshness: 50 * time.Millisecond})
	svc := bindAs(t, addr, "svc")
	if _, err := otherProcess(t, db).CreateGroup(local, "fresh", ""); err != nil {
		t.Fatal(err)
	}
	committed := time.Now()
	waitFor(t, "the new group", func() bool {
		res, err := svc.Search(goldap.NewSearchRequest(groupDN("fresh"), goldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil))
		return err == nil && len(res.Entries) == 1
	})
	if d := time.Since(committed); d > time.Second {
		t.Errorf("new group seen after %v", d)
	}
}

// Ensure many concurrent sign-ins never force a reload: the directory's
// own login records are told apart from other changes.
func TestConcurrentSignInsDoNotReload(t *testing.T) {
	db := fixture(t)
	s, addr := startServer(t, db, Config{Refresh: time.Hour, SignInEvery: time.Nanosecond}) // every bind a sign-in
	before := s.dir.Load()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := goldap.DialURL("ldap://" + addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for range 5 {
				if err := c.Bind(userDN("ada"), testPasswords["ada"]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := s.refresh(false); err != nil {
		t.Fatal(err)
	}
	if s.dir.Load() != before {
		t.Error("sign-ins reloaded the snapshot")
	}
}

// Ensure an account binding again and again from one address is recorded
// as one sign-in per Config.SignInEvery (default a minute), not one write
// and audit event per bind, while another account's first bind is.
func TestRepeatedBindsRecordedOnce(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})
	c, err := goldap.DialURL("ldap://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 5 {
		if err := c.Bind(userDN("ada"), testPasswords["ada"]); err != nil {
			t.Fatal(err)
		}
	}
	logins := func(name string) int {
		u, err := db.FindUser(local, name)
		if err != nil {
			t.Fatal(err)
		}
		events, err := db.AuditEvents(local, store.AuditFilter{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			if e.Action == roster.ActionLogin {
				n++
			}
		}
		if n > 0 && u.LastLoginAt.IsZero() {
			t.Errorf("%s: a sign-in without a last login", name)
		}
		return n
	}
	if n := logins("ada"); n != 1 {
		t.Errorf("5 binds of ada from one address: %d sign-ins recorded, want 1", n)
	}
	for other := range testPasswords {
		if other == "ada" || other == "dis" {
			continue
		}
		if err := c.Bind(userDN(other), testPasswords[other]); err != nil {
			continue // not an active account with that password
		}
		if n := logins(other); n != 1 {
			t.Errorf("%s's first bind: %d sign-ins recorded, want 1", other, n)
		}
		return
	}
	t.Fatal("no second account to bind as")
}

// Ensure that while the store pushes changes (the directory's process owns
// the file, the writer is its guest) a change reaches the directory with
// no periodic reload and no look at the counter per search: the news
// wakes the reload. And a bind right after a guest's write still sees it.
func TestFreshByPush(t *testing.T) {
	db := fixture(t)
	if owns, err := db.Own(); err != nil || !owns {
		t.Fatalf("Own = %v, %v", owns, err)
	}
	t.Cleanup(func() { db.Disown() })
	_, addr := startServer(t, db, Config{Refresh: time.Hour, SearchFreshness: time.Hour})
	other := otherProcess(t, db)
	t.Cleanup(func() { other.Close() })
	if !db.Pushed() || !other.Pushed() {
		t.Fatal("changes are not pushed between an owner and its guest")
	}
	svc := bindAs(t, addr, "svc")
	if _, err := other.CreateGroup(local, "pushed", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new group, by push", func() bool {
		res, err := svc.Search(goldap.NewSearchRequest(groupDN("pushed"), goldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil))
		return err == nil && len(res.Entries) == 1
	})

	u, err := other.CreateUser(local, roster.NewUser{Username: "newbie", Name: "New Bie", Email: "newbie@example.com", Groups: []string{"pushed"}})
	if err != nil {
		t.Fatal(err)
	}
	setPassword(t, other, u.ID, "newbie-secret-pass")
	if _, err := other.SetStatus(local, []uint64{u.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr)
	if err := c.Bind(userDN("newbie"), "newbie-secret-pass"); err != nil {
		t.Fatalf("bind right after activation: %v", err)
	}
	if got := search(t, c, userDN("newbie"), goldap.ScopeBaseObject, "(objectClass=*)", "memberOf"); len(got) != 1 || got[0].GetAttributeValue("memberOf") != groupDN("pushed") {
		t.Fatalf("first search after the bind: %+v", got)
	}
}
