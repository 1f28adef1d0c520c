package transfer

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// nameParts maps username to "name|given|surname".
func nameParts(t testing.TB, db *store.DB) map[string]string {
	t.Helper()
	users, err := db.AllUsers(local)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, u := range users {
		out[u.Username] = u.Name + "|" + u.GivenName + "|" + u.Surname
	}
	return out
}

// Ensure an import reads first and last name columns into the given name
// and surname (and the name when the file has none), refuses a part that
// breaks a rule on its own line, and that a CSV and a JSON export read
// back into another database give the same parts, formula-like ones too.
func TestNamePartsImportExportRoundTrip(t *testing.T) {
	src := mustOpenDB(t)
	file := "username,Full name,First name,Last name,email\n" +
		"ludwig,Ludwig van Beethoven,Ludwig,van Beethoven,lvb@example.com\n" +
		"ada,,Ada,Lovelace,ada@example.com\n" +
		"carl,Carl,,,carl@example.com\n" +
		"eve,Eve,'=cmd,\"Hopper, Grace\",eve@example.com\n" +
		"mal,Mal,Mal,\u202elaM,mal@example.com\n"
	r, _, err := importFile(t, src, writeFile(t, "names.csv", []byte(file)), Options{})
	if err != nil || r.Invalid != 1 || r.Create != 4 {
		t.Fatalf("want four rows written and one invalid: %v\n%s", err, reportText(t, r))
	}
	text := reportText(t, r)
	if !strings.Contains(text, "line 6") || !strings.Contains(text, "surname contains a text-direction control character") {
		t.Errorf("the report does not name line 6's surname:\n%s", text)
	}
	want := map[string]string{
		"ludwig": "Ludwig van Beethoven|Ludwig|van Beethoven",
		"ada":    "Ada Lovelace|Ada|Lovelace",
		"carl":   "Carl||",
		"eve":    "Eve|=cmd|Hopper, Grace",
	}
	if got := nameParts(t, src); !reflect.DeepEqual(got, want) {
		t.Fatalf("imported\n got %v\nwant %v", got, want)
	}

	users, err := src.AllUsers(local)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{FormatCSV, FormatJSON} {
		t.Run(f.String(), func(t *testing.T) {
			path := t.TempDir() + "/export." + f.String()
			if err := WriteFile(path, func(w io.Writer) error {
				return Export(w, users, func(uint64) string { return "" }, ExportOptions{Format: f})
			}); err != nil {
				t.Fatal(err)
			}
			data, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if f == FormatCSV && !strings.Contains(string(data), "'=cmd") {
				t.Errorf("the CSV export does not escape a formula-like given name:\n%s", data)
			}
			dst := mustOpenDB(t)
			r, _, err := importFile(t, dst, path, Options{})
			if err != nil || r.Invalid > 0 {
				t.Fatalf("%v\n%s", err, reportText(t, r))
			}
			if got := nameParts(t, dst); !reflect.DeepEqual(got, want) {
				t.Errorf("read back\n got %v\nwant %v", got, want)
			}
		})
	}
}

// Ensure an update through an import sets the parts when the file has
// their columns (an empty cell removes one) and keeps them when it has not.
func TestNamePartsImportUpdates(t *testing.T) {
	db := mustOpenDB(t)
	if _, err := db.CreateUser(local, roster.NewUser{Username: "ludwig", Name: "Ludwig van Beethoven",
		GivenName: "Ludwig", Surname: "van Beethoven", Email: "lvb@example.com"}); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ file, want string }{
		{"name,email\nLudwig v. Beethoven,lvb@example.com\n", "Ludwig v. Beethoven|Ludwig|van Beethoven"},
		{"name,given name,surname,email\nLudwig v. Beethoven,,Beethoven,lvb@example.com\n", "Ludwig v. Beethoven||Beethoven"},
		{`[{"email": "lvb@example.com", "name": "L. v. B.", "given_name": "Louis"}]`, "L. v. B.|Louis|Beethoven"},
	} {
		r, _, err := importFile(t, db, writeFile(t, fmt.Sprintf("f%d", i), []byte(c.file)), Options{OnDuplicate: DuplicateUpdate})
		if err != nil || r.Update != 1 {
			t.Fatalf("file %d: %v\n%s", i, err, reportText(t, r))
		}
		if got := nameParts(t, db)["ludwig"]; got != c.want {
			t.Errorf("file %d: %q, want %q", i, got, c.want)
		}
	}
}
