package transfer

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
)

// Ensure an import reads the kind column: a service account's row needs no
// e-mail address (its username says who it is), it is Active at once and in
// directory-readers; a bad kind, or a service row with neither username
// nor address, is shown with its line and field.
func TestImportKind(t *testing.T) {
	db := mustOpenDB(t)
	file := "username,name,email,kind,expires\n" +
		"ada,Ada Lovelace,ada@example.com,person,\n" +
		"nextcloud,,,service,2027-03-31\n" +
		"mailer,Mail relay,relay@example.com,Service,\n" +
		"robo,Robo,robo@example.com,robot,\n" +
		",Nobody,,service,\n"
	r, _, err := importFile(t, db, writeFile(t, "kind.csv", []byte(file)), Options{})
	if err != nil || r.Invalid != 2 || r.Create != 3 {
		t.Fatalf("%v, %s\n%s", err, r.Totals(), reportText(t, r))
	}
	text := reportText(t, r)
	for _, want := range []string{`line 5`, `unknown kind "robot"`, `line 6`, "a service account without an e-mail address needs a username"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	// The bad rows are left out; the others went in.
	nc, err := db.FindUser(local, "nextcloud")
	if err != nil {
		t.Fatal(err)
	}
	if !nc.IsService() || nc.Status != roster.StatusActive || nc.Email != "" || nc.Name != "nextcloud" ||
		roster.FormatExpiry(nc.ExpiresAt, time.Local) != "2027-03-31" {
		t.Errorf("nextcloud: %+v", nc)
	}
	if v := viewUsers(t, db)["nextcloud"]; v.Groups != roster.DirectoryReaders {
		t.Errorf("nextcloud's groups: %q", v.Groups)
	}
	if ada, _ := db.FindUser(local, "ada"); ada.IsService() || ada.Status != roster.StatusPending {
		t.Errorf("ada: %+v", ada)
	}
	// A kind does not change through an import.
	change := "username,name,email,kind\nada,Ada Lovelace,ada@example.com,service\n"
	r, _, err = importFile(t, db, writeFile(t, "change.csv", []byte(change)), Options{})
	if err == nil || !strings.Contains(reportText(t, r), "ada is a person; a kind does not change") {
		t.Errorf("kind change: %v\n%s", err, reportText(t, r))
	}
}

// Ensure export and import round-trip kind and expiry, in CSV and JSON:
// a second database reads the same kinds, statuses and dates, and reading
// the export back into the source changes nothing (the service account
// without an address is found by its username).
func TestExportImportKindRoundTrip(t *testing.T) {
	src := mustOpenDB(t)
	file := "username,name,email,kind,status,expires\n" +
		"ada,Ada Lovelace,ada@example.com,,active,2027-03-31\n" +
		"bob,Bob Byte,bob@example.com,person,pending,\n" +
		"nextcloud,Nextcloud,,service,,2026-12-31\n" +
		"relay,Mail relay,relay@example.com,service,disabled,\n"
	if r, _, err := importFile(t, src, writeFile(t, "src.csv", []byte(file)), Options{}); err != nil || r.Invalid > 0 {
		t.Fatalf("%v\n%s", err, reportText(t, r))
	}
	want := kindsOf(t, src)
	if want["nextcloud"] != "service active 2026-12-31 " || want["relay"] != "service disabled  relay@example.com" ||
		want["ada"] != "person active 2027-03-31 ada@example.com" {
		t.Fatalf("source: %v", want)
	}
	users, err := src.AllUsers(local)
	if err != nil {
		t.Fatal(err)
	}
	groups, _ := src.Groups(local)
	groupName := func(id uint64) string {
		for _, g := range groups {
			if g.ID == id {
				return g.Name
			}
		}
		return ""
	}
	for _, opts := range []ExportOptions{{Format: FormatCSV}, {Format: FormatJSON}} {
		t.Run(opts.Format.String(), func(t *testing.T) {
			path := t.TempDir() + "/export." + opts.Format.String()
			if err := WriteFile(path, func(w io.Writer) error { return Export(w, users, groupName, opts) }); err != nil {
				t.Fatal(err)
			}
			dst := mustOpenDB(t)
			if r, _, err := importFile(t, dst, path, Options{CreateGroups: true}); err != nil || r.Invalid > 0 {
				t.Fatalf("%v\n%s", err, reportText(t, r))
			}
			if got := kindsOf(t, dst); !reflect.DeepEqual(got, want) {
				t.Errorf("read back\n got %v\nwant %v", got, want)
			}
			before := stateOf(t, src)
			if r, _, err := importFile(t, src, path, Options{}); err != nil || r.Skip != len(users) {
				t.Fatalf("re-import into the source: %v, %s", err, r.Totals())
			}
			wantUntouched(t, src, before)
		})
	}
}

// kindsOf describes each user as "kind status expires email".
func kindsOf(t *testing.T, db interface {
	AllUsers(roster.Actor) ([]*roster.User, error)
}) map[string]string {
	t.Helper()
	users, err := db.AllUsers(local)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, u := range users {
		out[u.Username] = fmt.Sprintf("%s %s %s %s", u.Kind, u.Status, roster.FormatExpiry(u.ExpiresAt, time.Local), u.Email)
	}
	return out
}

// Ensure a file without a kind column updates a service account that has
// no e-mail address, found by its username, instead of refusing the row
// as a person without an address.
func TestImportWithoutKindFindsServiceAccount(t *testing.T) {
	db := mustOpenDB(t)
	seed := "username,name,email,kind\nnextcloud,Nextcloud,,service\n"
	if r, _, err := importFile(t, db, writeFile(t, "seed.csv", []byte(seed)), Options{}); err != nil || r.Invalid > 0 {
		t.Fatalf("%v\n%s", err, reportText(t, r))
	}
	file := "username,name,email,role\nnextcloud,Nextcloud Hub,,member\n"
	r, _, err := importFile(t, db, writeFile(t, "update.csv", []byte(file)), Options{OnDuplicate: DuplicateUpdate})
	if err != nil || r.Invalid > 0 || r.Create > 0 {
		t.Fatalf("%v, %s\n%s", err, r.Totals(), reportText(t, r))
	}
	nc, err := db.FindUser(local, "nextcloud")
	if err != nil || !nc.IsService() || nc.Name != "Nextcloud Hub" {
		t.Fatalf("nextcloud after the update: %+v, %v", nc, err)
	}
	// A person row without an address is still refused.
	r, _, err = importFile(t, db, writeFile(t, "person.csv", []byte("username,name,email\nbo,Bo,\n")), Options{})
	if err == nil || !strings.Contains(reportText(t, r), "email") {
		t.Errorf("a person without an e-mail: %v\n%s", err, reportText(t, r))
	}
}
