package ldap

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/internal/e2e"
	"github.com/roster-dev/roster/store"
)

// The client checks: independently written LDAP clients (OpenLDAP's tools,
// python3-ldap3) run against Roster, and the same checks against OpenLDAP's
// slapd holding the same entries (testdata/slapd-clients), so that any difference
// is seen and explained. Each check logs "CHECK client | check | result",
// the rows of the closing note's table.

// target is a directory server the checks run against.
type target struct {
	name string // "roster" or "slapd"
	host string
	port string
}

func (tg target) url() string { return "ldap://" + net.JoinHostPort(tg.host, tg.port) }

// clientFixture is Roster holding what testdata/slapd-clients/entries.ldif holds:
// svc (directory-readers), ada (staff, Admins), bob (staff), carl.
func clientFixture(t *testing.T) *store.DB {
	t.Helper()
	db := mustOpenDB(t)
	for _, g := range []string{"staff", "Admins"} {
		desc := ""
		if g == "staff" {
			desc = "Everyone at the office"
		}
		if _, err := db.CreateGroup(local, g, desc); err != nil {
			t.Fatal(err)
		}
	}
	created, err := db.CreateUsers(local, []roster.NewUser{
		{Username: "svc", Name: "Nextcloud Service", Email: "svc@example.com", Groups: []string{roster.DirectoryReaders}},
		{Username: "ada", Name: "Ada King Lovelace", Email: "Ada.Lovelace@Example.com", Groups: []string{"staff", "admins"}},
		{Username: "bob", Name: "Bob Builder", Email: "bob@example.org", Groups: []string{"staff"}},
		{Username: "carl", Name: "Carl", Email: "carl@example.net"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, u := range created {
		ids = append(ids, u.ID)
		setPassword(t, db, u.ID, testPasswords[u.Username])
	}
	if _, err := db.SetStatus(local, ids, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	return db
}

// startRosterTarget runs Roster on the client fixture.
func startRosterTarget(t *testing.T, cfg Config) (target, *syncBuffer) {
	var logs syncBuffer
	cfg.Log = testLogger(&logs)
	_, addr := startServer(t, clientFixture(t), cfg)
	host, port, _ := net.SplitHostPort(addr)
	return target{name: "roster", host: host, port: port}, &logs
}

// startSlapd runs OpenLDAP's slapd in a temporary folder with the
// configuration and entries under testdata/slapd-clients.
func startSlapd(t *testing.T) target {
	t.Helper()
	slapd := e2e.Need(t, "Debian package slapd", "slapd", "/usr/sbin/slapd")
	e2e.Need(t, "Debian package ldap-utils", "ldapadd")
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	conf, err := os.ReadFile("testdata/slapd-clients/slapd.conf")
	if err != nil {
		t.Fatal(err)
	}
	confFile := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(confFile, []byte(strings.ReplaceAll(string(conf), "@DIR@", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "ldap://127.0.0.1:" + port
	cmd := exec.Command(slapd, "-d", "0", "-f", confFile, "-h", url)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitFor(t, "slapd to listen", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	// ldapadd through the server, so that the memberof overlay sees the
	// groups being added.
	if out, err := ldapTool(t, nil, "ldapadd", "-x", "-H", url, "-D", "cn=admin,"+testBase, "-w", "admin-secret-pass",
		"-f", "testdata/slapd-clients/entries.ldif"); err != nil {
		t.Fatalf("ldapadd: %v\n%s\n%s", err, out, logs.String())
	}
	return target{name: "slapd", host: "127.0.0.1", port: port}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// exitCode returns a finished command's exit status.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// toolCheck is one run of an OpenLDAP client tool and what it must give.
type toolCheck struct {
	name   string
	args   func(tg target) []string // after the tool's name
	tool   string
	code   int      // exit status
	has    []string // lines the output must hold
	hasNot []string
	// onSlapd, when set, is what slapd gives instead, on purpose; the
	// reason is in the closing note.
	onSlapd *toolCheck
}

func svcArgs(tg target) []string {
	return []string{"-x", "-H", tg.url(), "-D", userDN("svc"), "-w", testPasswords["svc"]}
}

func searchArgs(base, scope, filter string, attrs ...string) func(tg target) []string {
	return func(tg target) []string {
		return append(append(svcArgs(tg), "-LLL", "-b", base, "-s", scope, filter), attrs...)
	}
}

var people4 = []string{"dn: " + userDN("ada"), "dn: " + userDN("bob"), "dn: " + userDN("carl"), "dn: " + userDN("svc")}

var toolChecks = []toolCheck{
	{name: "ldapcompare member (ldap-group)", tool: "ldapcompare", code: 6, has: []string{"TRUE"},
		args: func(tg target) []string { return append(svcArgs(tg), groupDN("staff"), "member:"+userDN("ada")) }},
	{name: "ldapcompare non-member", tool: "ldapcompare", code: 5, has: []string{"FALSE"},
		args: func(tg target) []string { return append(svcArgs(tg), groupDN("staff"), "member:"+userDN("carl")) }},
	{name: "ldapcompare memberOf", tool: "ldapcompare", code: 6, has: []string{"TRUE"},
		args: func(tg target) []string { return append(svcArgs(tg), userDN("ada"), "memberOf:"+groupDN("admins")) }},
	{name: "ldapcompare uid, other case", tool: "ldapcompare", code: 6, has: []string{"TRUE"},
		args: func(tg target) []string { return append(svcArgs(tg), userDN("ada"), "uid:ADA") }},
	{name: "ldapcompare attribute the entry lacks", tool: "ldapcompare", code: 16,
		args: func(tg target) []string { return append(svcArgs(tg), userDN("carl"), "memberOf:"+groupDN("staff")) }},
	{name: "ldapcompare no such entry", tool: "ldapcompare", code: 32,
		args: func(tg target) []string { return append(svcArgs(tg), userDN("nobody"), "uid:nobody") }},
	{name: "ldapcompare as a user, another user's entry", tool: "ldapcompare", code: 32,
		args: func(tg target) []string {
			return []string{"-x", "-H", tg.url(), "-D", userDN("bob"), "-w", testPasswords["bob"], userDN("ada"), "uid:ada"}
		}},
	{name: "ldapsearch (ou:dn:=people)", tool: "ldapsearch", has: people4,
		args: searchArgs(testBase, "sub", "(ou:dn:=people)", "1.1")},
	{name: "ldapsearch (uid:caseExactMatch:=ada)", tool: "ldapsearch", has: []string{"dn: " + userDN("ada")},
		args: searchArgs("ou=people,"+testBase, "one", "(uid:caseExactMatch:=ada)", "1.1")},
	{name: "ldapsearch (uid:caseExactMatch:=ADA)", tool: "ldapsearch", hasNot: []string{"dn: "},
		args: searchArgs("ou=people,"+testBase, "one", "(uid:caseExactMatch:=ADA)", "1.1")},
	{name: "ldapsearch (cn:caseIgnoreMatch:=CARL)", tool: "ldapsearch", has: []string{"dn: " + userDN("carl")},
		args: searchArgs("ou=people,"+testBase, "one", "(cn:caseIgnoreMatch:=CARL)", "1.1")},
	{name: "ldapsearch unknown rule in one OR branch", tool: "ldapsearch", has: []string{"dn: " + userDN("bob")}, hasNot: []string{"dn: " + userDN("ada")},
		args: searchArgs("ou=people,"+testBase, "one", "(|(uid:1.2.3.4:=ada)(uid=bob))", "1.1")},
	{name: "ldapsearch in-chain memberOf (1.2.840.113556.1.4.1941)", tool: "ldapsearch", has: []string{"dn: " + userDN("ada"), "dn: " + userDN("bob")},
		args:    searchArgs("ou=people,"+testBase, "one", "(memberOf:1.2.840.113556.1.4.1941:="+groupDN("staff")+")", "1.1"),
		onSlapd: &toolCheck{hasNot: []string{"dn: "}}}, // slapd 2.5 does not know the rule: Undefined
	{name: "ldapsearch root DSE without a bind (+)", tool: "ldapsearch",
		has: []string{"namingContexts: " + testBase, "supportedControl: 1.2.840.113556.1.4.319", "supportedLDAPVersion: 3",
			"subschemaSubentry: cn=Subschema", "supportedExtension: 1.3.6.1.4.1.4203.1.11.3", "supportedFeatures: 1.3.6.1.4.1.4203.1.5.1"},
		args: func(tg target) []string { return []string{"-x", "-LLL", "-H", tg.url(), "-b", "", "-s", "base", "+"} }},
	{name: "ldapsearch root DSE, no attributes asked", tool: "ldapsearch", has: []string{"objectClass: top"}, hasNot: []string{"namingContexts"},
		args: func(tg target) []string { return []string{"-x", "-LLL", "-H", tg.url(), "-b", "", "-s", "base"} }},
	{name: "ldapsearch cn=Subschema without a bind", tool: "ldapsearch",
		has: []string{"objectClasses: ( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson'", "attributeTypes: ( 0.9.2342.19200300.100.1.1 NAME ( 'uid' 'userid' )"},
		args: func(tg target) []string {
			return []string{"-x", "-LLL", "-o", "ldif-wrap=no", "-H", tg.url(), "-b", "cn=Subschema", "-s", "base", "(objectClass=subschema)", "objectClasses", "attributeTypes"}
		}},
	{name: "ldapsearch user entry: no operational attributes unasked", tool: "ldapsearch", has: []string{"uid: ada", "mail: Ada.Lovelace@Example.com"},
		hasNot: []string{"memberOf", "entryUUID", "createTimestamp"},
		args:   searchArgs(userDN("ada"), "base", "(objectClass=*)")},
	{name: "ldapsearch user entry with +", tool: "ldapsearch", has: []string{"memberOf: " + groupDN("staff"), "entryUUID: ", "entryDN: " + userDN("ada")},
		hasNot: []string{"uid: ada"},
		args:   searchArgs(userDN("ada"), "base", "(objectClass=*)", "+")},
	{name: "ldapsearch names in the schema's spelling", tool: "ldapsearch", has: []string{"mail: ", "memberOf: "},
		hasNot: []string{"MAIL:", "memberof:"},
		args:   searchArgs(userDN("ada"), "base", "(objectClass=*)", "MAIL", "memberof")},
	{name: "ldapsearch paged, 2 a page", tool: "ldapsearch", has: people4,
		args: func(tg target) []string {
			return append(svcArgs(tg), "-LLL", "-E", "pr=2/noprompt", "-b", "ou=people,"+testBase, "(objectClass=person)", "1.1")
		}},
	{name: "ldapmodrdn refused", tool: "ldapmodrdn", code: 53,
		args:    func(tg target) []string { return append(svcArgs(tg), userDN("carl"), "uid=carla") },
		onSlapd: &toolCheck{code: 50}},
	{name: "ldapdelete refused", tool: "ldapdelete", code: 53,
		args:    func(tg target) []string { return append(svcArgs(tg), userDN("carl")) },
		onSlapd: &toolCheck{code: 50}},
}

// runToolChecks runs every tool check against tg.
func runToolChecks(t *testing.T, tg target) {
	for _, c := range toolChecks {
		want := c
		if tg.name == "slapd" && c.onSlapd != nil {
			want = *c.onSlapd
			want.tool = c.tool
		}
		out, err := ldapTool(t, nil, c.tool, c.args(tg)...)
		code := exitCode(err)
		var problems []string
		if code != want.code {
			problems = append(problems, fmt.Sprintf("exit %d, want %d", code, want.code))
		}
		for _, h := range want.has {
			if !strings.Contains(out, h) {
				problems = append(problems, "lacks "+h)
			}
		}
		for _, h := range want.hasNot {
			if strings.Contains(out, h) {
				problems = append(problems, "holds "+h)
			}
		}
		res := fmt.Sprintf("pass (exit %d)", code)
		if len(problems) > 0 {
			res = "FAIL: " + strings.Join(problems, "; ")
			t.Errorf("%s on %s: %s\n%s", c.name, tg.name, res, out)
		}
		t.Logf("CHECK %s | %s | %s", tg.name, c.name, res)
	}
}

// runLDAP3Checks runs testdata/ldap3/client.py against tg.
func runLDAP3Checks(t *testing.T, tg target) {
	py := e2e.Need(t, "Debian package python3-ldap3", "/usr/bin/python3")
	if err := exec.Command(py, "-c", "import ldap3").Run(); err != nil {
		if e2e.Required() {
			t.Fatal("python3-ldap3 is not installed (Debian package python3-ldap3)")
		}
		t.Skip("python3-ldap3 is not installed")
	}
	cmd := exec.Command(py, "testdata/ldap3/client.py", tg.host, tg.port, userDN("svc"), testPasswords["svc"], testBase)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("client.py: %v\n%s", err, out)
	}
	seen := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		name, res, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			t.Errorf("client.py: %s", sc.Text())
			continue
		}
		seen++
		if res != "ok" {
			t.Errorf("python3-ldap3 %s on %s: %s", name, tg.name, res)
		}
		t.Logf("CHECK %s | python3-ldap3 %s | %s", tg.name, name, res)
	}
	if seen != 6 {
		t.Errorf("client.py reported %d checks, want 6:\n%s", seen, out)
	}
}

// TestClientsAgainstRoster runs OpenLDAP's tools and python3-ldap3 against
// Roster.
func TestClientsAgainstRoster(t *testing.T) {
	e2e.NeedAll(t, "Debian package ldap-utils", "ldapsearch", "ldapcompare", "ldapmodrdn", "ldapdelete")
	tg, logs := startRosterTarget(t, Config{})
	runToolChecks(t, tg)
	runLDAP3Checks(t, tg)
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("server log:\n%s", logs.String())
	}
}

// TestClientsAgainstSlapd runs the same checks against slapd holding the
// same entries; where the answers differ on purpose, the check says what
// slapd gives (onSlapd).
func TestClientsAgainstSlapd(t *testing.T) {
	e2e.NeedAll(t, "Debian package ldap-utils", "ldapsearch", "ldapcompare", "ldapmodrdn", "ldapdelete")
	tg := startSlapd(t)
	runToolChecks(t, tg)
	runLDAP3Checks(t, tg)
}
