package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// startSlapd writes Roster's entries as LDIF, loads them with slapadd and
// starts slapd on a loopback port.
func (f *ldapFixture) startSlapd() (*server, error) {
	slapd, slapadd := "/usr/sbin/slapd", "/usr/sbin/slapadd"
	for _, p := range []string{slapd, slapadd} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s is missing: install the Debian package slapd", p)
		}
	}
	dir := filepath.Join(f.dir, "slapd")
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		return nil, err
	}
	src := testdata()
	for _, name := range []string{"slapd.conf", "openssh-lpk.schema"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.ReplaceAll(string(b), "@DIR@", dir)), 0o600); err != nil {
			return nil, err
		}
	}
	ldif := filepath.Join(dir, "data.ldif")
	if err := f.writeLDIF(ldif); err != nil {
		return nil, fmt.Errorf("LDIF from Roster: %w", err)
	}
	conf := filepath.Join(dir, "slapd.conf")
	if out, err := exec.Command(slapadd, "-q", "-f", conf, "-l", ldif).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("slapadd: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	cmd := exec.Command(slapd, "-d", "0", "-f", conf, "-h", "ldap://"+addr)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{addr: addr, cmd: cmd}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("slapd does not listen")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testdata finds internal/benchpeers/testdata from the working folder
// (the repository root under `make`, or this folder).
func testdata() string {
	for _, p := range []string{"internal/benchpeers/testdata", "testdata"} {
		if _, err := os.Stat(filepath.Join(p, "slapd.conf")); err == nil {
			return p
		}
	}
	return "internal/benchpeers/testdata"
}

// writeLDIF reads every entry of Roster's directory as the service
// account (paged) and writes it for slapadd: user attributes and memberOf
// (which slapd's memberof overlay would keep), without what slapd's
// schema lacks (mailAccount) or what a group cannot hold beside
// groupOfNames there (posixGroup, memberUid, gidNumber: nis.schema makes
// posixGroup structural). The service account gets its password in clear,
// which slapd checks as given.
func (f *ldapFixture) writeLDIF(path string) error {
	c, err := goldap.DialURL("ldap://" + f.roster.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Bind(svcDN, svcPW); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	skipClass := []string{"mailAccount", "groupOfUniqueNames", "posixGroup"}
	skipGroupAttr := []string{"uniquemember", "memberuid", "gidnumber", "displayname"}
	err = pagedWalk(c, goldap.NewSearchRequest(baseDN, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"*", "memberOf"}, nil), func(e *goldap.Entry) {
		isGroup := strings.HasSuffix(strings.ToLower(e.DN), ",ou=groups,"+baseDN)
		fmt.Fprintf(w, "dn:: %s\n", base64.StdEncoding.EncodeToString([]byte(e.DN)))
		for _, a := range e.Attributes {
			name := strings.ToLower(a.Name)
			if isGroup && slices.Contains(skipGroupAttr, name) {
				continue
			}
			for _, v := range a.Values {
				if name == "objectclass" && slices.Contains(skipClass, v) {
					continue
				}
				fmt.Fprintf(w, "%s:: %s\n", a.Name, base64.StdEncoding.EncodeToString([]byte(v)))
			}
		}
		if e.DN == svcDN {
			fmt.Fprintf(w, "userPassword: %s\n", svcPW)
		}
		w.WriteString("\n")
	})
	if err != nil {
		out.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// pagedWalk runs a search 1,000 entries a page and hands each entry to fn
// as its page comes, keeping no more than a page (a million entries held
// at once by the client take gigabytes).
func pagedWalk(c *goldap.Conn, req *goldap.SearchRequest, fn func(*goldap.Entry)) error {
	paging := goldap.NewControlPaging(1000)
	req.Controls = append(req.Controls, paging)
	for {
		res, err := c.Search(req)
		if err != nil {
			return err
		}
		for _, e := range res.Entries {
			fn(e)
		}
		next, ok := goldap.FindControl(res.Controls, goldap.ControlTypePaging).(*goldap.ControlPaging)
		if !ok || len(next.Cookie) == 0 {
			return nil
		}
		paging.SetCookie(next.Cookie)
	}
}
