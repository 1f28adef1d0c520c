package ldap

import (
	"bufio"
	"bytes"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// Ensure Compare answers as a search would: true, false, no such
// attribute, no such object, with the same visibility.
func TestCompare(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})
	svc := bindAs(t, addr, "svc")
	cases := []struct {
		dn, attr, value string
		want            bool
		code            uint16
	}{
		{groupDN("staff"), "member", userDN("ada"), true, 0},
		{groupDN("staff"), "uniqueMember", "UID=ADA,OU=People,DC=example,DC=com", true, 0},
		{groupDN("staff"), "member", userDN("carl"), false, 0},
		{userDN("ada"), "memberOf", groupDN("admins"), true, 0},
		{userDN("ada"), "uid", "ADA", true, 0},
		{userDN("ada"), "mail", "ada.lovelace@example.com", true, 0},
		{userDN("ada"), "objectClass", "inetorgperson", true, 0},
		{userDN("ada"), "cn", "Bob", false, 0},
		{userDN("carl"), "memberOf", groupDN("staff"), false, goldap.LDAPResultNoSuchAttribute},
		{userDN("pen"), "uid", "pen", false, goldap.LDAPResultNoSuchObject},
		{userDN("ada"), "nosuchattr", "x", false, goldap.LDAPResultUndefinedAttributeType},
	}
	for _, tc := range cases {
		got, err := svc.Compare(tc.dn, tc.attr, tc.value)
		if tc.code != 0 {
			if codeOf(err) != tc.code {
				t.Errorf("compare %s %s: got %v, want code %d", tc.dn, tc.attr, err, tc.code)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("compare %s %s=%s: got %v %v, want %v", tc.dn, tc.attr, tc.value, got, err, tc.want)
		}
	}
	// An ordinary user sees only their own entry: another user is noSuchObject.
	bob := bindAs(t, addr, "bob")
	if _, err := bob.Compare(userDN("ada"), "uid", "ada"); codeOf(err) != goldap.LDAPResultNoSuchObject {
		t.Errorf("bob compares ada: %v", err)
	}
	if ok, err := bob.Compare(groupDN("staff"), "member", userDN("bob")); err != nil || !ok {
		t.Errorf("bob compares his group: %v %v", ok, err)
	}
	// Unbound: refused.
	anon := dial(t, addr)
	if _, err := anon.Compare(groupDN("staff"), "member", userDN("ada")); codeOf(err) != goldap.LDAPResultInsufficientAccessRights {
		t.Errorf("anonymous compare: %v", err)
	}
}

// Ensure every write operation is refused with its own response type, and
// the connection stays usable.
func TestWritesAnswered(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})
	c := bindAs(t, addr, "svc")
	if err := c.ModifyDN(goldap.NewModifyDNRequest(userDN("ada"), "uid=eve", true, "")); codeOf(err) != goldap.LDAPResultUnwillingToPerform {
		t.Errorf("modify DN: %v", err)
	}
	if _, err := c.Extended(goldap.NewExtendedRequest("1.2.3.4", nil)); codeOf(err) != goldap.LDAPResultProtocolError {
		t.Errorf("unknown extended operation: %v", err)
	}
	if got := uids(search(t, c, "ou=people,"+testBase, goldap.ScopeSingleLevel, "(uid=ada)")); !slices.Equal(got, []string{"ada"}) {
		t.Errorf("after the refusals: %v", got)
	}
}

// Ensure the root DSE and cn=Subschema are readable without a bind, with
// their operational attributes only when asked for, and nothing else is.
func TestRootDSEAndSubschema(t *testing.T) {
	db := fixture(t)
	_, addr := startServer(t, db, Config{})
	c := dial(t, addr)
	root := search(t, c, "", goldap.ScopeBaseObject, "(objectClass=*)")
	if len(root) != 1 || root[0].GetAttributeValue("namingContexts") != "" || root[0].GetAttributeValue("objectClass") != "top" {
		t.Fatalf("root DSE without attributes asked: %v", attrNames(root[0]))
	}
	root = search(t, c, "", goldap.ScopeBaseObject, "(objectClass=*)", "+")
	want := []string{"namingContexts", "subschemaSubentry", "supportedLDAPVersion", "supportedControl", "supportedExtension", "supportedFeatures", "vendorName"}
	if got := attrNames(root[0]); !slices.Equal(got, want) {
		t.Errorf("root DSE +: got %v, want %v", got, want)
	}
	if root[0].GetAttributeValue("namingContexts") != testBase || !slices.Contains(root[0].GetAttributeValues("supportedControl"), oidPaging) {
		t.Errorf("root DSE values: %+v", root[0])
	}
	sub := search(t, c, root[0].GetAttributeValue("subschemaSubentry"), goldap.ScopeBaseObject, "(objectClass=subschema)", "objectClasses", "attributeTypes")
	if len(sub) != 1 {
		t.Fatalf("subschema: %d entries", len(sub))
	}
	types := strings.Join(sub[0].GetAttributeValues("attributeTypes"), "\n")
	for _, want := range []string{"NAME ( 'uid' 'userid' )", "NAME 'memberOf' EQUALITY distinguishedNameMatch", "USAGE dSAOperation"} {
		if !strings.Contains(types, want) {
			t.Errorf("attributeTypes lack %q", want)
		}
	}
	classes := strings.Join(sub[0].GetAttributeValues("objectClasses"), "\n")
	for _, want := range []string{"NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL", "NAME 'posixAccount' SUP top AUXILIARY"} {
		if !strings.Contains(classes, want) {
			t.Errorf("objectClasses lack %q", want)
		}
	}
	if !strings.Contains(types, "NAME 'uidNumber' EQUALITY integerMatch ORDERING integerOrderingMatch") {
		t.Errorf("attributeTypes lack uidNumber (posix.go)")
	}
	_, err := c.Search(goldap.NewSearchRequest(testBase, goldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", nil, nil))
	if codeOf(err) != goldap.LDAPResultInsufficientAccessRights {
		t.Errorf("anonymous search of the base: %v", err)
	}
}

// rawConn speaks LDAP bytes to the server.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

// read returns the next message's id, op tag and LDAPResult code (-1 for
// an entry), or ok false when the server closed the connection.
func (rc *rawConn) read() (id int64, op byte, code int, ok bool) {
	msg, err := readMessage(rc.r, 1<<20)
	if err != nil {
		return 0, 0, 0, false
	}
	req, err := decodeRequest(msg)
	if err != nil {
		rc.t.Fatalf("undecodable answer % x", msg)
	}
	f, _ := req.op.children()
	code = -1
	if len(f) > 0 && f[0].id == berEnumerated {
		c, _ := f[0].integer()
		code = int(c)
	}
	return req.id, req.op.tag(), code, true
}

func message(id int64, body func(w *berWriter)) []byte {
	var w berWriter
	w.begin(berSequence)
	w.integer(berInteger, id)
	body(&w)
	w.end()
	return w.b
}

func bindMsg(id int64, dn, pw string) []byte {
	return message(id, func(w *berWriter) {
		w.begin(classApplication | constructed | opBindRequest)
		w.integer(berInteger, 3)
		w.octets(berOctetString, dn)
		w.octets(classContext, pw) // [0] simple
		w.end()
	})
}

func searchMsg(id int64, base string, scope int) []byte {
	return message(id, func(w *berWriter) {
		w.begin(classApplication | constructed | opSearchRequest)
		w.octets(berOctetString, base)
		w.integer(berEnumerated, int64(scope))
		w.integer(berEnumerated, 0)
		w.integer(berInteger, 0)
		w.integer(berInteger, 0)
		w.boolean(false)
		w.octets(filterPresent, "objectClass")
		w.begin(berSequence)
		w.octets(berOctetString, "*")
		w.octets(berOctetString, "+")
		w.end()
		w.end()
	})
}

// syncBuffer is a log sink tests can read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// Len returns how many bytes were written.
func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

// Since returns what was written after the first n bytes.
func (s *syncBuffer) Since(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b.Bytes()[n:])
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Ensure a request the server cannot decode, or an unknown operation, gets
// a notice of disconnection and a log line, not a silent close.
func TestUndecodableRequests(t *testing.T) {
	db := fixture(t)
	var logs syncBuffer
	_, addr := startServer(t, db, Config{Log: testLogger(&logs)})
	cases := []struct {
		name, log string
		bytes     []byte
	}{
		{"not BER", "not an LDAP message", []byte("GET / HTTP/1.0\r\n\r\n")},
		{"no operation", "undecodable request", []byte{0x30, 0x03, 0x02, 0x01, 0x01}},
		{"unknown operation", "unknown operation", message(1, func(w *berWriter) { w.octets(classApplication|30, "x") })},
		{"too large", "over the size limit", []byte{0x30, 0x84, 0x10, 0x00, 0x00, 0x00}},
	}
	for _, tc := range cases {
		rc := dialRaw(t, addr)
		if _, err := rc.c.Write(tc.bytes); err != nil {
			t.Fatal(err)
		}
		id, op, code, ok := rc.read()
		if !ok || id != 0 || op != opExtendedResp || code != resultProtocolError {
			t.Errorf("%s: got id %d op %d code %d ok %v, want a notice of disconnection", tc.name, id, op, code, ok)
		}
		if _, _, _, ok := rc.read(); ok {
			t.Errorf("%s: connection still open", tc.name)
		}
		waitFor(t, "log line for "+tc.name, func() bool { return strings.Contains(logs.String(), tc.log) })
	}
}

// Ensure an Abandon stops a running search: the rest of its entries and
// its end are never sent, and the connection goes on.
func TestAbandonStopsSearch(t *testing.T) {
	const n = 20000
	db := manyUsers(t, n)
	_, addr := startServer(t, db, Config{})
	rc := dialRaw(t, addr)
	rc.c.Write(bindMsg(1, userDN("svc"), testPasswords["svc"]))
	if _, _, code, _ := rc.read(); code != 0 {
		t.Fatalf("bind: %d", code)
	}
	abandon := message(3, func(w *berWriter) { w.integer(classApplication|opAbandonRequest, 2) })
	// Both in one write: the abandon is read while the search runs,
	// which cannot end before this test reads (8 MB of entries).
	rc.c.Write(append(searchMsg(2, "ou=people,"+testBase, scopeSub), abandon...))
	rc.c.Write(searchMsg(4, userDN("svc"), scopeBase))
	entries2 := 0
	for {
		id, op, _, ok := rc.read()
		if !ok {
			t.Fatal("connection closed")
		}
		if id == 2 && op == opSearchDone {
			t.Fatalf("the abandoned search ended normally after %d entries", entries2)
		}
		if id == 2 {
			entries2++
		}
		if id == 4 && op == opSearchDone {
			break
		}
	}
	if entries2 >= n {
		t.Errorf("all %d entries sent despite the abandon", entries2)
	}
}
