package ldap

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

func TestPagedResultsOverThousandUsers(t *testing.T) {
	db := mustOpenDB(t)
	const n = 1200
	var users []roster.NewUser
	for i := range n {
		users = append(users, roster.NewUser{Username: fmt.Sprintf("user%04d", i), Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%04d@example.com", i)})
	}
	users = append(users, roster.NewUser{Username: "svc", Name: "Service", Email: "svc@example.com", Groups: []string{roster.DirectoryReaders}})
	created, err := db.CreateUsers(local, users)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, u := range created {
		ids = append(ids, u.ID)
	}
	if _, err := db.SetStatus(local, ids, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	setPassword(t, db, created[n].ID, testPasswords["svc"])
	_, addr := startServer(t, db, Config{SizeLimit: 500})
	c := bindAs(t, addr, "svc")

	// Ensure every user comes back exactly once, in pages.
	req := goldap.NewSearchRequest("ou=people,"+testBase, goldap.ScopeWholeSubtree, 0, 0, 0, false, "(objectClass=person)", []string{"uid"}, nil)
	res, err := c.SearchWithPaging(req, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range res.Entries {
		uid := e.GetAttributeValue("uid")
		if seen[uid] {
			t.Fatalf("%s returned twice", uid)
		}
		seen[uid] = true
	}
	if len(seen) != n+1 {
		t.Fatalf("paged search returned %d users, want %d", len(seen), n+1)
	}

	// Pages are what was asked for, with a cookie until the last one.
	paging := goldap.NewControlPaging(250)
	req = goldap.NewSearchRequest("ou=people,"+testBase, goldap.ScopeSingleLevel, 0, 0, 0, false, "(uid=user*)", []string{"uid"}, []goldap.Control{paging})
	var sizes []int
	for {
		r, err := c.Search(req)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(r.Entries))
		ctrl := goldap.FindControl(r.Controls, goldap.ControlTypePaging)
		if ctrl == nil {
			t.Fatal("no paging control in the answer")
		}
		cookie := ctrl.(*goldap.ControlPaging).Cookie
		if len(cookie) == 0 {
			break
		}
		paging.SetCookie(cookie)
	}
	if fmt.Sprint(sizes) != "[250 250 250 250 200]" {
		t.Errorf("page sizes %v", sizes)
	}

	// A cookie from another search is refused.
	other := goldap.NewControlPaging(10)
	other.SetCookie(paging.Cookie)
	first, err := c.Search(goldap.NewSearchRequest("ou=people,"+testBase, goldap.ScopeSingleLevel, 0, 0, 0, false, "(uid=user*)", []string{"uid"}, []goldap.Control{goldap.NewControlPaging(10)}))
	if err != nil {
		t.Fatal(err)
	}
	other.SetCookie(goldap.FindControl(first.Controls, goldap.ControlTypePaging).(*goldap.ControlPaging).Cookie)
	_, err = c.Search(goldap.NewSearchRequest("ou=people,"+testBase, goldap.ScopeSingleLevel, 0, 0, 0, false, "(cn=*)", []string{"uid"}, []goldap.Control{other}))
	if codeOf(err) != goldap.LDAPResultUnwillingToPerform {
		t.Errorf("foreign cookie: %v", err)
	}

	// Size limits: the client's, and the server's for searches not paged.
	r, err := c.Search(goldap.NewSearchRequest("ou=people,"+testBase, goldap.ScopeSingleLevel, 0, 7, 0, false, "(objectClass=*)", []string{"uid"}, nil))
	if codeOf(err) != goldap.LDAPResultSizeLimitExceeded || r == nil || len(r.Entries) != 7 {
		t.Errorf("client size limit: %v, %d entries", err, len(r.Entries))
	}
	r, err = c.Search(goldap.NewSearchRequest("ou=people,"+testBase, goldap.ScopeSingleLevel, 0, 0, 0, false, "(objectClass=*)", []string{"uid"}, nil))
	if codeOf(err) != goldap.LDAPResultSizeLimitExceeded || r == nil || len(r.Entries) != 500 {
		t.Errorf("server size limit: %v, %d entries", err, len(r.Entries))
	}
}

func TestRateLimits(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{MaxFailuresPerAccount: 3, MaxFailuresPerAddr: 7, FailureWindow: time.Hour})
	c := dial(t, addr)
	for range 3 {
		if err := c.Bind(userDN("ada"), "wrong-password"); codeOf(err) != 49 {
			t.Fatalf("wrong password: %v", err)
		}
	}
	// Ensure the right password no longer works for the account...
	if err := c.Bind(userDN("ada"), testPasswords["ada"]); err == nil {
		t.Fatal("bind accepted after too many failures")
	}
	// ...and an unknown account behaves exactly the same way.
	var unknownErr error
	for range 4 {
		unknownErr = c.Bind(userDN("ghost"), "wrong-password")
	}
	blocked := c.Bind(userDN("ada"), testPasswords["ada"])
	if unknownErr == nil || blocked == nil || unknownErr.Error() != blocked.Error() {
		t.Errorf("unknown account blocked as %v, known as %v", unknownErr, blocked)
	}
	// Another account still binds: 6 failures counted for this address
	// (attempts refused as blocked do not count), the limit is 7.
	if err := c.Bind(userDN("bob"), testPasswords["bob"]); err != nil {
		t.Fatalf("bob: %v", err)
	}
	// Failures from this address now reach the per-address limit.
	if err := c.Bind(userDN("carl"), "wrong-password"); codeOf(err) != 49 {
		t.Fatal(err)
	}
	if err := c.Bind(userDN("carl"), testPasswords["carl"]); err == nil {
		t.Error("bind accepted from an address over its limit")
	}
}

func TestStartTLSAndLDAPS(t *testing.T) {
	db := fixture(t)
	serverTLS, clientTLS := testCert(t)
	s, addr := startServer(t, db, Config{TLS: serverTLS})

	c := dial(t, addr)
	if err := c.StartTLS(clientTLS); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if _, ok := c.TLSConnectionState(); !ok {
		t.Fatal("no TLS after StartTLS")
	}
	if err := c.Bind(userDN("svc"), testPasswords["svc"]); err != nil {
		t.Fatal(err)
	}
	if got := search(t, c, "ou=people,"+testBase, goldap.ScopeSingleLevel, "(uid=ada)"); len(got) != 1 {
		t.Errorf("search over StartTLS: %d entries", len(got))
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.ServeTLS(ln)
	lc, err := goldap.DialURL("ldaps://"+ln.Addr().String(), goldap.DialWithTLSConfig(clientTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	if err := lc.Bind(userDN("ada"), testPasswords["ada"]); err != nil {
		t.Fatal(err)
	}
	if got := search(t, lc, userDN("ada"), goldap.ScopeBaseObject, "(objectClass=*)", "uid"); len(got) != 1 {
		t.Errorf("search over LDAPS: %d entries", len(got))
	}

	// Without a certificate StartTLS is refused. (go-ldap v3.4.15 stops
	// reading a connection whose StartTLS failed, so go on with a new one.)
	_, plain := startServer(t, db, Config{})
	if err := dial(t, plain).StartTLS(clientTLS); codeOf(err) != goldap.LDAPResultProtocolError {
		t.Errorf("StartTLS without a certificate: %v", err)
	}
	if err := dial(t, plain).Bind(userDN("ada"), testPasswords["ada"]); err != nil {
		t.Errorf("bind after refused StartTLS: %v", err)
	}
}

func TestPasswordModify(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})

	// Unbound: refused.
	anon := dial(t, addr)
	if _, err := anon.PasswordModify(goldap.NewPasswordModifyRequest("", "", "brand-new-password-1")); err == nil {
		t.Error("password modify without a bind accepted")
	}

	c := bindAs(t, addr, "ada")
	// Someone else's password: refused.
	_, err := c.PasswordModify(goldap.NewPasswordModifyRequest(userDN("bob"), "", "brand-new-password-1"))
	if codeOf(err) != goldap.LDAPResultInsufficientAccessRights {
		t.Errorf("changing bob's password: %v", err)
	}
	// A weak password: refused with the invitation page's reason.
	_, err = c.PasswordModify(goldap.NewPasswordModifyRequest("", "", "short"))
	if codeOf(err) != goldap.LDAPResultConstraintViolation || !strings.Contains(err.Error(), "at least") {
		t.Errorf("weak password: %v", err)
	}
	// A wrong old password: refused.
	_, err = c.PasswordModify(goldap.NewPasswordModifyRequest("", "not-the-old-one", "brand-new-password-1"))
	if codeOf(err) != goldap.LDAPResultInvalidCredentials {
		t.Errorf("wrong old password: %v", err)
	}
	// The real change.
	if _, err := c.PasswordModify(goldap.NewPasswordModifyRequest(userDN("ada"), testPasswords["ada"], "brand-new-password-1")); err != nil {
		t.Fatalf("password modify: %v", err)
	}
	c2 := dial(t, addr)
	if err := c2.Bind(userDN("ada"), testPasswords["ada"]); err == nil {
		t.Error("old password still works")
	}
	if err := c2.Bind(userDN("ada"), "brand-new-password-1"); err != nil {
		t.Errorf("new password: %v", err)
	}
	ada, _ := db.FindUser(local, "ada")
	events, _ := db.AuditEvents(local, store.AuditFilter{UserID: ada.ID, Search: roster.ActionPasswordSet})
	if len(events) == 0 {
		t.Error("password change not audited")
	}
}

func TestSnapshotFollowsDatabase(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{Refresh: 50 * time.Millisecond})
	c := bindAs(t, addr, "svc")
	u, err := db.CreateUser(local, roster.NewUser{Username: "newbie", Name: "New Bie", Email: "newbie@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if got := search(t, c, testBase, goldap.ScopeWholeSubtree, "(uid=newbie)"); len(got) != 0 {
		t.Fatal("a Pending user is visible")
	}
	if _, err := db.SetStatus(local, []uint64{u.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new Active user to appear", func() bool {
		return len(search(t, c, testBase, goldap.ScopeWholeSubtree, "(uid=newbie)")) == 1
	})
}

func TestBoundedPasswordChecks(t *testing.T) {
	db := fixture(t)
	s, addr := startServer(t, db, Config{MaxConcurrentChecks: 1})
	// Hold the only slot: a bind must wait, then succeed once it is free.
	s.checks <- struct{}{}
	done := make(chan error, 1)
	go func() {
		c, err := goldap.DialURL("ldap://" + addr)
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- c.Bind(userDN("ada"), testPasswords["ada"])
	}()
	select {
	case err := <-done:
		t.Fatalf("bind finished while no check slot was free: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	<-s.checks
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestSignInDoesNotReloadSnapshot(t *testing.T) {
	db := fixture(t)
	s, addr := startServer(t, db, Config{Refresh: time.Hour})
	before := s.dir.Load()
	bindAs(t, addr, "ada")
	if err := s.refresh(false); err != nil {
		t.Fatal(err)
	}
	if s.dir.Load() != before {
		t.Error("a sign-in reloaded the snapshot")
	}
	// Any other change still does.
	if _, err := db.CreateGroup(local, "newgroup", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.refresh(false); err != nil {
		t.Fatal(err)
	}
	if s.dir.Load() == before || s.dir.Load().groupByName["newgroup"] == nil {
		t.Error("a new group did not reload the snapshot")
	}
}

func TestCloseWithOpenConnections(t *testing.T) {
	db := fixture(t)
	s, err := New(db, Config{BaseDN: testBase})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	c := bindAs(t, ln.Addr().String(), "ada")
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close hangs with a client connected")
	}
	if err := <-served; err != nil {
		t.Errorf("Serve after Close: %v", err)
	}
	if _, err := c.WhoAmI(nil); err == nil {
		t.Error("the connection still answers after Close")
	}
}

func TestMaxConns(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{MaxConns: 2})
	a, b := bindAs(t, addr, "ada"), bindAs(t, addr, "bob")
	c, err := goldap.DialURL("ldap://" + addr)
	if err == nil {
		defer c.Close()
		c.SetTimeout(10 * time.Second)
		if err := c.Bind(userDN("carl"), testPasswords["carl"]); err == nil {
			t.Error("a third connection was served")
		}
	}
	a.Close()
	b.Close()
	waitFor(t, "a free connection slot", func() bool {
		c, err := goldap.DialURL("ldap://" + addr)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetTimeout(10 * time.Second)
		return c.Bind(userDN("carl"), testPasswords["carl"]) == nil
	})
}

func TestRequireTLS(t *testing.T) {
	db := fixture(t)
	serverTLS, clientTLS := testCert(t)
	_, addr := startServer(t, db, Config{TLS: serverTLS, RequireTLS: true})
	c := dial(t, addr)
	if err := c.Bind(userDN("ada"), testPasswords["ada"]); codeOf(err) != goldap.LDAPResultConfidentialityRequired {
		t.Errorf("plain bind with RequireTLS: %v", err)
	}
	c = dial(t, addr)
	if err := c.StartTLS(clientTLS); err != nil {
		t.Fatal(err)
	}
	if err := c.Bind(userDN("ada"), testPasswords["ada"]); err != nil {
		t.Errorf("bind after StartTLS: %v", err)
	}
	if _, err := New(db, Config{BaseDN: testBase, RequireTLS: true}); err == nil {
		t.Error("RequireTLS without a certificate accepted")
	}
}
