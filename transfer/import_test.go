package transfer

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// The users every spreadsheet file below holds, however it spells them.
var spreadsheetUsers = map[string]userView{
	"ada":           {"ada", "Ada Lovelace", "ada@example.com", "admin", "pending", "Staff;Engineering"},
	"grace.hopper":  {"grace.hopper", "Grace Hopper", "Grace.Hopper@example.com", "member", "pending", "Staff"},
	"juergen.weiss": {"juergen.weiss", "Jürgen Weiß", "jürgen.weiß@example.de", "member", "pending", ""},
}

// spreadsheetFiles are the same three users as spreadsheet programs save
// them: Excel's "CSV UTF-8" (BOM, CRLF, comma), Excel in a German locale
// (semicolon, CRLF, no BOM), Excel's "Unicode Text" (UTF-16LE, tab),
// LibreOffice with "quote all text cells" (LF), Google Sheets (comma, CRLF,
// first and last name), and a tab-separated UTF-8 file with a BOM. The
// notes column holds line breaks and delimiters in quotes; the second and
// third users have no username, so it comes from the e-mail address.
var spreadsheetFiles = map[string][]byte{
	"excel-utf8.csv": []byte("\ufeffUsername,Full name,E-mail,Role,Groups,Notes\r\n" +
		"ada,Ada Lovelace,ada@example.com,admin,Staff;Engineering,\"First programmer, 1843\nAnalytical Engine\"\r\n" +
		",Grace Hopper,Grace.Hopper@example.com,,Staff,\"COBOL; \"\"bugs\"\"\"\r\n" +
		",Jürgen Weiß,jürgen.weiß@example.de,member,,\r\n"),
	"excel-de.csv": []byte("Username;Name;E-Mail;Role;Groups;Notes\r\n" +
		"ada;Ada Lovelace;ada@example.com;Admin;\"Staff; Engineering\";\"First programmer; 1843\r\nAnalytical Engine\"\r\n" +
		";Grace Hopper;Grace.Hopper@example.com;;Staff;\"COBOL, bugs\"\r\n" +
		";Jürgen Weiß;jürgen.weiß@example.de;;;\r\n" +
		";;;;;\r\n"),
	"excel-unicode.txt": utf16LE("Login\tDisplay Name\tMail\tRole\tGroup\tNotes\r\n" +
		"ada\tAda Lovelace\tada@example.com\tadmin\tStaff|Engineering\t\"First programmer\r\n1843\"\r\n" +
		"\tGrace Hopper\tGrace.Hopper@example.com\t\tStaff\t\r\n" +
		"\tJürgen Weiß\tjürgen.weiß@example.de\t\t\t\r\n"),
	"libreoffice.csv": []byte(`"username","name","email","role","groups","notes"` + "\n" +
		`"ada","Ada Lovelace","ada@example.com","admin","Staff|Engineering","First programmer` + "\n" + `1843"` + "\n" +
		`"","Grace Hopper","Grace.Hopper@example.com","","Staff",""` + "\n" +
		`"","Jürgen Weiß","jürgen.weiß@example.de","","",""` + "\n"),
	"google-sheets.csv": []byte("First name,Last name,Email address,Username,Role,Groups\r\n" +
		"Ada,Lovelace,ada@example.com,ada,admin,\"Staff, Engineering\"\r\n" +
		"Grace,Hopper,Grace.Hopper@example.com,,,Staff\r\n" +
		"Jürgen,Weiß,jürgen.weiß@example.de,,,"),
	"numbers.tsv": []byte("\ufeffuser\tname\te-mail\trole\tgroups\r\n" +
		"ada\tAda Lovelace\tada@example.com\tadmin\tstaff;engineering\r\n" +
		"\tGrace Hopper\tGrace.Hopper@example.com\tmember\tstaff\r\n" +
		"\tJürgen Weiß\tjürgen.weiß@example.de\tmember\t\r\n"),
}

// Ensure a file as each spreadsheet program saves it imports the same users.
func TestImportSpreadsheetFiles(t *testing.T) {
	for name, data := range spreadsheetFiles {
		t.Run(name, func(t *testing.T) {
			db := mustOpenDB(t)
			if _, err := db.CreateGroup(local, "staff", ""); err != nil {
				t.Fatal(err)
			}
			path := writeFile(t, name, data)
			r, res, err := importFile(t, db, path, Options{CreateGroups: true})
			if err != nil {
				t.Fatalf("import: %v\n%s", err, reportText(t, r))
			}
			if r.Create != 3 || r.Invalid != 0 || len(res.Created) != 3 {
				t.Fatalf("report %s, created %d\n%s", r.Totals(), len(res.Created), reportText(t, r))
			}
			got := viewUsers(t, db)
			for _, u := range got { // the groups' own spelling: the file's or the database's
				u.Groups = strings.ReplaceAll(strings.ReplaceAll(u.Groups, "engineering", "Engineering"), "staff", "Staff")
				got[u.Username] = u
			}
			if !reflect.DeepEqual(got, spreadsheetUsers) {
				t.Errorf("users\n got %v\nwant %v", got, spreadsheetUsers)
			}
			if !r.Rows[1].DerivedUsername || r.Rows[0].DerivedUsername {
				t.Error("the report does not say which usernames came from e-mail addresses")
			}
		})
	}
}

// Ensure each broken file ends in a report that says what is wrong and
// where, and leaves the database exactly as it was.
func TestImportBrokenFiles(t *testing.T) {
	db := mustOpenDB(t)
	seed := writeFile(t, "seed.csv", []byte("username,name,email,groups\nada,Ada,ada@example.com,staff\n"))
	if _, _, err := importFile(t, db, seed, Options{CreateGroups: true}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string // in the report
	}{
		{"ragged.csv", []byte("name,email,role\nBob,bob@example.com,member\nCy,cy@example.com\nDi,di@example.com,member\n"),
			"line 3: the row has 2 fields but the header has 3"},
		{"comma-in-name.csv", []byte("name,email\nLovelace, Ada,ada2@example.com\n"),
			"line 2: the row has 3 fields but the header has 2: a value holding a comma must be put in double quotes"},
		{"latin1.csv", []byte("name;email\nBob;bob@example.com\nJ\xfcrgen;j@example.de\n"),
			"line 3: not valid UTF-8 (byte 0xFC at column 2)"},
		{"binary.csv", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00"), "binary data (a NUL byte on line 1)"},
		{"photo.csv", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...), "binary data"},
		{"workbook.xlsx", []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"), "save it as \"CSV UTF-8\""},
		{"empty.csv", nil, "the file is empty"},
		{"blank.csv", []byte("\ufeff\r\n\r\n"), "the file is empty"},
		{"header-only.csv", []byte("name,email\r\n"), "has a header but no rows"},
		{"no-header.csv", []byte("Bob,bob@example.com\n"), "no e-mail column"},
		{"unclosed.csv", []byte("name,email\n\"Bob,bob@example.com\nCy,cy@example.com\n"), "opened on line 2 is not closed"},
		{"all-invalid.csv", []byte("name,email\nBob,bob-at-example.com\n,cy@example.com\n"), "line 3: name: name is required"},
		{"bad-json.json", []byte("[\n{\"name\": \"Bob\", \"email\": \"bob@example.com\"},\n{\"name\": 7}\n]"), "line 3: not a user object: name should be string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := stateOf(t, db)
			r, _, err := importFile(t, db, writeFile(t, tc.name, tc.data), Options{CreateGroups: true})
			if err == nil {
				t.Fatalf("the import went through\n%s", reportText(t, r))
			}
			if code := roster.ErrorCode(err); code != roster.EINVALID {
				t.Errorf("error %v has code %s, want invalid", err, code)
			}
			if text := reportText(t, r); !strings.Contains(text, tc.want) {
				t.Errorf("the report does not say %q:\n%s", tc.want, text)
			}
			if _, err := Commit(db, local, r, nil); err == nil {
				t.Error("Commit wrote a blocked report")
			}
			wantUntouched(t, db, before)
		})
	}
	// A file that is not there, or a folder, is an error before any report.
	for _, path := range []string{t.TempDir() + "/missing.csv", t.TempDir()} {
		if _, err := ReadFile(path); roster.ErrorCode(err) != roster.EINVALID {
			t.Errorf("ReadFile(%s): %v, want an invalid error", path, err)
		}
	}
}

// Ensure 10,000 rows import in one go, and importing them again skips them
// all without writing anything.
func TestImport10000Rows(t *testing.T) {
	db := mustOpenDB(t)
	path := writeFile(t, "big.csv", genCSV(10000, ";"))
	r, res, err := importFile(t, db, path, Options{CreateGroups: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, reportText(t, r))
	}
	if len(res.Created) != 10000 || r.Invalid != 0 {
		t.Fatalf("created %d, %s", len(res.Created), r.Totals())
	}
	users := viewUsers(t, db)
	if u := users["user10"]; u.Name != `Person; "No. 10"` || u.Groups != "staff;team0" || u.Role != "member" {
		t.Errorf("user10: %+v", u)
	}
	if u := users["user9999"]; u.Email != "user9999@example.com" || u.Groups != "staff;team4" {
		t.Errorf("user9999: %+v", u)
	}
	before := stateOf(t, db)
	r, res, err = importFile(t, db, path, Options{})
	if err != nil || r.Skip != 10000 || len(res.Created) != 0 {
		t.Fatalf("second import: %v, %s", err, r.Totals())
	}
	wantUntouched(t, db, before)
}

// Ensure the report names every problem row with its line, field and
// reason, gives the totals, and that the valid rows are written while the
// others are left out.
func TestImportReportsProblems(t *testing.T) {
	db := mustOpenDB(t)
	if _, err := db.CreateUser(local, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	file := "username,name,email,role,status\n" +
		"bob,Bob,bob@example.com,,\n" + // 2 ok
		"Cy!,Cy,cy@example.com,,\n" + // 3 username
		"di,,di@example.com,,\n" + // 4 name
		"ed,Ed,ed@@example.com,,\n" + // 5 email
		"fay,Fay,fay@example.com,boss,\n" + // 6 role
		"gus,Gus,gus@example.com,,gone\n" + // 7 status
		"hal,Hal,BOB@example.com,,\n" + // 8 duplicate e-mail in the file
		"bob,Bobby,bobby@example.com,,\n" + // 9 duplicate username in the file
		"ada,Ada Two,ada2@example.com,,\n" + // 10 username of another user
		",Ada,ADA@example.com,,\n" + // 11 exists: skipped
		"\"iv\",\"Ivy\u202eevil\",ivy@example.com,,\n" + // 12 bidi override in the name
		"jo,Jo,jo@example.com,Admin,active\n" // 13 ok
	r, res, err := importFile(t, db, writeFile(t, "problems.csv", []byte(file)), Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, reportText(t, r))
	}
	want := []string{
		"line 3: username: username may hold only a–z, 0–9, '.', '_' and '-' (found '!')",
		"line 4: name: name is required",
		"line 5: email: e-mail may not contain '@' before the @",
		"line 6: role: unknown role \"boss\" (want owner, admin or member)",
		"line 7: status: unknown status \"gone\" (want pending, active or disabled)",
		"line 8: email: the same e-mail address as line 2",
		"line 9: username: the same username as line 2",
		"line 10: username: username ada belongs to another user (ada@example.com)",
		"line 12: name: name contains a text-direction control character",
	}
	var got []string
	for _, p := range r.Problems() {
		got = append(got, p.String())
	}
	if len(got) != len(want) {
		t.Fatalf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	if r.Create != 2 || r.Update != 0 || r.Skip != 1 || r.Invalid != 9 {
		t.Errorf("totals: %s", r.Totals())
	}
	text := reportText(t, r)
	for _, w := range []string{"Totals: to create 2, to update 0, to skip 1, invalid 9", "line 11: ADA@example.com exists already as ada"} {
		if !strings.Contains(text, w) {
			t.Errorf("report lacks %q:\n%s", w, text)
		}
	}
	if len(res.Created) != 2 || res.Invalid != 9 || res.Skipped != 1 {
		t.Errorf("result: %s", res.Summary())
	}
	users := viewUsers(t, db)
	if len(users) != 3 || users["jo"].Role != "admin" || users["jo"].Status != "active" || users["bob"].Name != "Bob" {
		t.Errorf("users after import: %v", users)
	}
}

// Ensure the three duplicate choices: skip leaves the user, update changes
// what the row gives, fail writes nothing at all.
func TestImportOnDuplicate(t *testing.T) {
	db := mustOpenDB(t)
	seed := "username,name,email,role,groups\nada,Ada,ada@example.com,admin,staff\nbob,Bob,bob@example.com,member,\n"
	if _, _, err := importFile(t, db, writeFile(t, "seed.csv", []byte(seed)), Options{CreateGroups: true}); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "again.csv", []byte("name,email,role,groups\n"+
		"Ada Lovelace,ADA@example.com,,ops\n"+ // update: name, groups; role kept (empty)
		"Bob,bob@example.com,,\n"+ // update: nothing changes
		"Cy,cy@example.com,,\n")) // new

	before := stateOf(t, db)
	r, _, err := importFile(t, db, file, Options{OnDuplicate: DuplicateFail, CreateGroups: true})
	if roster.ErrorCode(err) != roster.ECONFLICT || r.Invalid != 2 {
		t.Fatalf("fail: %v, %s", err, r.Totals())
	}
	if text := reportText(t, r); !strings.Contains(text, "line 2: email: ADA@example.com exists already as ada (--on-duplicate fail)") {
		t.Errorf("report:\n%s", text)
	}
	wantUntouched(t, db, before)

	// A skipped row's missing group does not matter.
	r, res, err := importFile(t, db, file, Options{OnDuplicate: DuplicateSkip})
	if err != nil || r.Skip != 2 || len(res.Created) != 1 || len(r.GroupsToCreate)+len(r.MissingGroups) != 0 {
		t.Fatalf("skip: %v, %s, groups to create %v, missing %v", err, r.Totals(), r.GroupsToCreate, r.MissingGroups)
	}
	if u := viewUsers(t, db)["ada"]; u.Name != "Ada" {
		t.Errorf("skip changed ada: %+v", u)
	}

	r, res, err = importFile(t, db, file, Options{OnDuplicate: DuplicateUpdate, CreateGroups: true, Groups: []string{"all"}})
	if err != nil || r.Update != 3 || len(res.Updated) != 3 {
		t.Fatalf("update: %v, %s, updated %d\n%s", err, r.Totals(), len(res.Updated), reportText(t, r))
	}
	users := viewUsers(t, db)
	want := map[string]userView{
		"ada": {"ada", "Ada Lovelace", "ADA@example.com", "admin", "pending", "ops;all"},
		"bob": {"bob", "Bob", "bob@example.com", "member", "pending", "all"},
		"cy":  {"cy", "Cy", "cy@example.com", "member", "pending", "all"},
	}
	if !reflect.DeepEqual(users, want) {
		t.Errorf("after update\n got %v\nwant %v", users, want)
	}
}

// Ensure usernames made from e-mail addresses are unique against the
// database, the file's own usernames, and each other.
func TestImportDerivedUsernames(t *testing.T) {
	db := mustOpenDB(t)
	if _, err := db.CreateUser(local, roster.NewUser{Username: "ada", Name: "Ada", Email: "ada@old.example.com"}); err != nil {
		t.Fatal(err)
	}
	file := "name,email,username\n" +
		"Ada,ada@example.com,\n" + // ada is taken in the database
		"Ada,ada@example.org,\n" + // and ada2 by the row below, which names it
		"Ada,ada@example.net,ada2\n" +
		"Ada,Ada+news@example.de,\n" +
		"Li,李@example.com,\n"
	r, _, err := importFile(t, db, writeFile(t, "derived.csv", []byte(file)), Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, reportText(t, r))
	}
	var got []string
	for _, row := range r.Rows {
		got = append(got, row.User.Username)
	}
	if want := "ada3,ada4,ada2,ada5,user"; strings.Join(got, ",") != want {
		t.Errorf("usernames %s, want %s", strings.Join(got, ","), want)
	}
}

// Ensure groups: a missing group is a problem of its row unless the import
// may create it; --group adds a group to every row; a bad --group stops
// the import.
func TestImportGroups(t *testing.T) {
	db := mustOpenDB(t)
	if _, err := db.CreateGroup(local, "Staff", ""); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "groups.csv", []byte("name,email,groups\nAda,ada@example.com,staff | Ops\nBob,bob@example.com,\"ops\nsales\"\n"))
	before := stateOf(t, db)
	r, _, err := importFile(t, db, path, Options{})
	if err == nil {
		t.Fatal("an import into missing groups went through")
	}
	text := reportText(t, r)
	for _, w := range []string{`line 2: groups: there is no group "Ops"`, `line 3: groups: there is no group "sales"`, "Missing groups: Ops, sales"} {
		if !strings.Contains(text, w) {
			t.Errorf("report lacks %q:\n%s", w, text)
		}
	}
	wantUntouched(t, db, before)

	r, _, err = importFile(t, db, path, Options{Groups: []string{"Bad|Name"}, CreateGroups: true})
	if err == nil || !strings.Contains(reportText(t, r), `groups: --group "Bad|Name"`) {
		t.Errorf("a bad --group: %v\n%s", err, reportText(t, r))
	}
	wantUntouched(t, db, before)

	r, res, err := importFile(t, db, path, Options{Groups: []string{"new hires"}, CreateGroups: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, reportText(t, r))
	}
	if got := strings.Join(res.GroupsCreated, ","); got != "Ops,new hires,sales" {
		t.Errorf("groups created %s", got)
	}
	users := viewUsers(t, db)
	if users["ada"].Groups != "Staff;Ops;new hires" || users["bob"].Groups != "Ops;new hires;sales" {
		t.Errorf("memberships: %v", users)
	}
}

// Ensure the preview shows rows the actor may not write as problems.
func TestImportPreviewPowers(t *testing.T) {
	db := mustOpenDB(t)
	admin, err := db.CreateUser(local, roster.NewUser{Username: "adam", Name: "Adam", Email: "adam@example.com", Role: roster.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetStatus(local, []uint64{admin.ID}, roster.StatusActive); err != nil {
		t.Fatal(err)
	}
	actor := roster.Actor{Name: "adam", UserID: admin.ID, Role: roster.RoleAdmin}
	data := []byte("name,email,role\nOlga,olga@example.com,owner\nMia,mia@example.com,member\nAdam,adam@example.com,member\n")
	r, err := Preview(db, actor, data, Options{OnDuplicate: DuplicateUpdate})
	if err != nil {
		t.Fatal(err)
	}
	if r.Create != 1 || r.Invalid != 2 {
		t.Fatalf("totals %s\n%s", r.Totals(), reportText(t, r))
	}
	if p := r.Rows[0].Problems; len(p) != 1 || !strings.Contains(p[0].Reason, "needs the owner role") {
		t.Errorf("owner row: %v", p)
	}
	if _, err := Commit(db, actor, r, nil); err != nil {
		t.Fatalf("the valid row: %v", err)
	}
}

// Ensure a JSON export and a CSV export, read back into an empty database,
// give the same users: usernames, names, e-mails, roles, groups, statuses,
// whatever characters the names hold.
func TestExportImportRoundTrip(t *testing.T) {
	src := mustOpenDB(t)
	names := []string{
		"Ada Lovelace", "=SUM(A1:A9)", "+44 Desk", "-minus", "@handle", "'=quoted", "''=twice", "'plain",
		"Lovelace, Ada", "semi;colon", `Grace "Amazing" Hopper`, "Jürgen Weiß", "李小龙", "👩‍💻 Dev", "tab\tless",
	}
	var file strings.Builder
	file.WriteString("username,name,email,role,groups,status,expires\n")
	for i, n := range names {
		if strings.Contains(n, "\t") {
			n = "Tab Less"
		}
		role := []string{"member", "admin", "owner"}[i%3]
		status := []string{"pending", "active", "disabled"}[i%3]
		groups := []string{"", "staff", "staff;ops team"}[i%3]
		email := fmt.Sprintf("u%d@example.com", i)
		if i == 3 {
			email = "-x@example.com"
		}
		expires := []string{"", "2027-03-31", "none"}[i%3]
		fmt.Fprintf(&file, "u%d,\"%s\",%s,%s,%s,%s,%s\n", i, strings.ReplaceAll(n, `"`, `""`), email, role, groups, status, expires)
	}
	if r, _, err := importFile(t, src, writeFile(t, "src.csv", []byte(file.String())), Options{CreateGroups: true}); err != nil || r.Invalid > 0 {
		t.Fatalf("%v\n%s", err, reportText(t, r))
	}
	want := viewUsers(t, src)
	wantExpiry := expiries(t, src)
	if wantExpiry["u1"] != "2027-03-31" || wantExpiry["u0"] != "" || len(wantExpiry) != len(names) {
		t.Fatalf("source expiries: %v", wantExpiry)
	}
	if want["u1"].Name != "=SUM(A1:A9)" || want["u3"].Email != "-x@example.com" || want["u4"].Status != "active" {
		t.Fatalf("source users: %v", want)
	}
	users, err := src.ListUsers(local, roster.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	groupName := func(id uint64) string {
		gs, _ := src.Groups(local)
		for _, g := range gs {
			if g.ID == id {
				return g.Name
			}
		}
		return ""
	}
	for _, opts := range []ExportOptions{{Format: FormatCSV}, {Format: FormatCSV, BOM: true}, {Format: FormatJSON}} {
		t.Run(fmt.Sprintf("%s bom=%v", opts.Format, opts.BOM), func(t *testing.T) {
			path := t.TempDir() + "/export." + opts.Format.String()
			if err := WriteFile(path, func(w io.Writer) error { return Export(w, users, groupName, opts) }); err != nil {
				t.Fatal(err)
			}
			dst := mustOpenDB(t)
			r, _, err := importFile(t, dst, path, Options{CreateGroups: true})
			if err != nil || r.Invalid > 0 {
				t.Fatalf("%v\n%s", err, reportText(t, r))
			}
			if got := viewUsers(t, dst); !reflect.DeepEqual(got, want) {
				t.Errorf("read back\n got %v\nwant %v", got, want)
			}
			if got := expiries(t, dst); !reflect.DeepEqual(got, wantExpiry) {
				t.Errorf("expiries read back\n got %v\nwant %v", got, wantExpiry)
			}
			// Reading the same export again into the source changes nothing.
			before := stateOf(t, src)
			if r, _, err := importFile(t, src, path, Options{}); err != nil || r.Skip != len(names) {
				t.Fatalf("re-import into the source: %v, %s", err, r.Totals())
			}
			wantUntouched(t, src, before)
		})
	}
}

// Ensure a change between the preview and the commit (another process adds
// a user with an e-mail of the file) fails the whole import with the line,
// and writes none of its rows.
func TestImportChangedSincePreview(t *testing.T) {
	db := mustOpenDB(t)
	data := []byte("name,email\nAda,ada@example.com\nBob,bob@example.com\nCy,cy@example.com\n")
	r, err := Preview(db, local, data, Options{})
	if err != nil || r.Create != 3 {
		t.Fatalf("preview: %v, %s", err, r.Totals())
	}
	if _, err := db.CreateUser(local, roster.NewUser{Username: "robert", Name: "Robert", Email: "BOB@example.com"}); err != nil {
		t.Fatal(err)
	}
	before := stateOf(t, db)
	_, err = Commit(db, local, r, nil)
	if roster.ErrorCode(err) != roster.ECONFLICT || !strings.Contains(err.Error(), "nothing was written: line 3: email:") {
		t.Errorf("commit after a change: %v", err)
	}
	wantUntouched(t, db, before)
}

// expiries maps each username to the user's expiry date ("" for none).
func expiries(t testing.TB, db *store.DB) map[string]string {
	t.Helper()
	users, err := db.AllUsers(local)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, u := range users {
		out[u.Username] = roster.FormatExpiry(u.ExpiresAt, time.Local)
	}
	return out
}

// Ensure the report shortens what it echoes from the file (issue 13,
// break 11: a 100,000-column header came back as 800 KB of text), and
// still says how much it left out.
func TestReportShortensEchoes(t *testing.T) {
	db := mustOpenDB(t)
	var header strings.Builder
	header.WriteString("name,email")
	for i := range 100000 {
		fmt.Fprintf(&header, ",extra column number %d", i)
	}
	long := strings.Repeat("x", 5000)
	pad := strings.Repeat(",", 100000)
	data := []byte(header.String() + "\nAda,ada@example.com" + pad + "\n" + long + ",not an address" + pad + "\n")
	r, err := Preview(db, local, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := reportText(t, r)
	if len(text) > 8<<10 {
		t.Fatalf("the report is %d bytes long", len(text))
	}
	for _, want := range []string{"Ignored columns: extra column number 0, ", "… and 99980 more", "Totals: to create 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, long) {
		t.Error("the report echoes a 5,000-character value in full")
	}
}
