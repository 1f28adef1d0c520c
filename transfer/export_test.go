package transfer

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
)

// Ensure the hand-written JSON is byte for byte what encoding/json writes
// for the same records, whatever the strings hold.
func TestExportJSONMatchesEncodingJSON(t *testing.T) {
	strs := []string{
		"", "Ada", `quo"te`, `back\slash`, "<script>&amp;", "line\nbreak\r\t", "\b\f\x00\x01\x1f\x7f",
		"\u2028\u2029", "Jürgen Weiß", "李小龙", "👩‍💻", "bad\xffutf8\xc3", "\u202eevil",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		strs = append(strs, string(b))
	}
	names := map[uint64]string{}
	var users []*roster.User
	when := time.Date(2026, 3, 4, 5, 6, 7, 890, time.FixedZone("x", 3600))
	for i, s := range strs {
		u := &roster.User{ID: uint64(i + 1), Username: s, Name: s, Email: s, Role: roster.Role(i % 4), Status: roster.Status(i % 4)}
		for g := range i % 3 {
			id := uint64(100 + i + g)
			names[id] = strs[(i+g)%len(strs)]
			u.GroupIDs = append(u.GroupIDs, id)
		}
		if i%2 == 0 {
			u.CreatedAt = when.Add(time.Duration(i) * time.Hour)
		}
		if i%3 == 0 {
			u.LastLoginAt, u.InvitedAt, u.ActivatedAt = when, when.Truncate(time.Second), when
		}
		users = append(users, u)
	}
	groupName := func(id uint64) string { return names[id] }
	for _, n := range []int{0, 1, len(users)} {
		var want bytes.Buffer
		records := make([]roster.UserRecord, n)
		for i, u := range users[:n] {
			records[i] = u.Record(groupName)
		}
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(records); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := Export(&got, users[:n], groupName, ExportOptions{Format: FormatJSON}); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			g, w := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
			for i := range min(len(g), len(w)) {
				if g[i] != w[i] {
					t.Fatalf("%d users: line %d\n got %q\nwant %q", n, i+1, g[i], w[i])
				}
			}
			t.Fatalf("%d users: %d lines, want %d", n, len(g), len(w))
		}
	}
}

// Ensure exports carry exactly the fields of roster.UserRecord, in its
// order, and never a password hash or a token.
func TestExportFields(t *testing.T) {
	db := mustOpenDB(t)
	u, err := db.CreateUser(local, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@example.com", Groups: []string{roster.DirectoryReaders},
		GivenName: "Ada", Surname: "Lovelace"})
	if err != nil {
		t.Fatal(err)
	}
	const hash = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
	approved, err := password.Approve("a long enough password", u.Username, u.Email, func(string) (string, error) { return hash, nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetPassword(local, u.ID, approved); err != nil {
		t.Fatal(err)
	}
	shell := "/bin/zsh" // so that the optional fields are written too
	expires := time.Date(2027, 3, 31, 0, 0, 0, 0, time.Local)
	if _, err := db.UpdateUser(local, u.ID, roster.UserUpdate{Shell: &shell, ExpiresAt: &expires}); err != nil {
		t.Fatal(err)
	}
	raw, _, err := db.IssueLink(local, u.ID, roster.TokenReset, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	users, err := db.AllUsers(local)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	rt := reflect.TypeFor[roster.UserRecord]()
	for i := range rt.NumField() {
		tags = append(tags, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
	}
	if !reflect.DeepEqual(CSVHeader, tags) {
		t.Errorf("CSV header %v, want the UserRecord fields %v", CSVHeader, tags)
	}
	groupName := func(uint64) string { return roster.DirectoryReaders }
	for _, f := range []Format{FormatCSV, FormatJSON} {
		var out bytes.Buffer
		if err := Export(&out, users, groupName, ExportOptions{Format: f}); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{hash, "argon2", raw, "c2FsdHNhbHQ"} {
			if strings.Contains(out.String(), secret) {
				t.Errorf("%s export holds %q", f, secret)
			}
		}
		var keys []string
		if f == FormatJSON {
			var recs []map[string]json.RawMessage
			if err := json.Unmarshal(out.Bytes(), &recs); err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(recs[0]["groups"]))
			var groups []string
			if err := dec.Decode(&groups); err != nil || len(groups) != 1 {
				t.Errorf("groups %s", recs[0]["groups"])
			}
			for k := range recs[0] {
				keys = append(keys, k)
			}
			if len(keys) != len(tags) {
				t.Errorf("JSON keys %v, want %v", keys, tags)
			}
		} else {
			rows, err := csv.NewReader(&out).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || !reflect.DeepEqual(rows[0], tags) || rows[1][1] != "ada" || rows[1][6] != "pending" {
				t.Errorf("CSV rows %q", rows)
			}
		}
	}
}

// Ensure a CSV cell a spreadsheet would run as a formula gets a quote in
// front, and that a BOM comes first when asked for.
func TestExportCSVCells(t *testing.T) {
	users := []*roster.User{
		{ID: 1, Username: "a", Name: "=HYPERLINK(\"http://evil\")", Email: "+1@example.com", Role: roster.RoleMember, Status: roster.StatusPending},
		{ID: 2, Username: "b", Name: "'=already", Email: "b@example.com", Role: roster.RoleMember, Status: roster.StatusPending},
		{ID: 3, Username: "c", Name: "O'Brien", Email: "c@example.com", Role: roster.RoleMember, Status: roster.StatusPending},
	}
	var out bytes.Buffer
	if err := Export(&out, users, func(uint64) string { return "" }, ExportOptions{BOM: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out.Bytes(), []byte("\ufeffid,")) {
		t.Errorf("no BOM: %q", out.String()[:10])
	}
	rows, err := csv.NewReader(bytes.NewReader(out.Bytes()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{`'=HYPERLINK("http://evil")`, "'+1@example.com"}, {"''=already", "b@example.com"}, {"O'Brien", "c@example.com"}}
	for i, w := range want {
		if rows[i+1][2] != w[0] || rows[i+1][3] != w[1] {
			t.Errorf("row %d: %q, %q; want %q, %q", i+1, rows[i+1][2], rows[i+1][3], w[0], w[1])
		}
		if got := unescapeCell(rows[i+1][2]); got != users[i].Name {
			t.Errorf("unescape(%q) = %q, want %q", rows[i+1][2], got, users[i].Name)
		}
	}
}

// Ensure WriteFile writes 0600 through a temporary file: a failure leaves
// the old file as it was and no temporary file behind.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFile(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "old" {
		t.Errorf("a failed write changed the file to %q", data)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left behind: %v", entries)
	}
	if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "new" || fi.Mode().Perm() != 0o600 {
		t.Errorf("file %q mode %o, want \"new\" 600", data, fi.Mode().Perm())
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir.csv"), func(io.Writer) error { return nil }); roster.ErrorCode(err) != roster.EINVALID {
		t.Errorf("into a missing folder: %v, want an invalid error", err)
	}
}
