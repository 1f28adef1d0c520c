package transfer

import (
	"strings"
	"testing"
	"unicode/utf16"
)

// utf16LE encodes s as Excel's "Unicode Text" does: UTF-16LE with a BOM.
func utf16LE(s string) []byte {
	units := utf16.Encode([]rune(s))
	b := []byte{0xff, 0xfe}
	for _, u := range units {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// Ensure each delimiter is detected from the header, quotes and all.
func TestReadSheetDelimiters(t *testing.T) {
	cases := []struct {
		name, text, format string
	}{
		{"comma", "name,email\nAda,ada@x.org\n", "CSV, comma-separated, UTF-8"},
		{"semicolon", "name;email\nLovelace, Ada;ada@x.org\n", "CSV, semicolon-separated, UTF-8"},
		{"tab", "name\temail\nAda; Lovelace\tada@x.org\n", "CSV, tab-separated, UTF-8"},
		{"quoted header with commas", "\"a,b,c\";email\nx;y\n", "CSV, semicolon-separated, UTF-8"},
		{"blank lines first", "\n\nname;email\nAda;ada@x.org\n", "CSV, semicolon-separated, UTF-8"},
		{"one column", "email\nada@x.org\n", "CSV, comma-separated, UTF-8"},
		{"sep line", "sep=;\nname;email,x\nAda;ada@x.org\n", "CSV, semicolon-separated, UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := ReadSheet([]byte(tc.text))
			if len(s.Problems) > 0 {
				t.Fatalf("problems: %v", s.Problems)
			}
			if s.Format != tc.format {
				t.Errorf("format %q, want %q", s.Format, tc.format)
			}
			if len(s.Rows) != 1 {
				t.Fatalf("rows %v, want 1", s.Rows)
			}
			if len(s.Rows[0].Fields) != len(s.Header) {
				t.Errorf("row %q does not fit header %q", s.Rows[0].Fields, s.Header)
			}
		})
	}
}

// Ensure encodings are read: UTF-8 with and without BOM, UTF-16 both ways,
// and CRLF line ends; the BOM never ends up in the first header cell.
func TestReadSheetEncodings(t *testing.T) {
	text := "Name\tE-Mail\r\nJürgen Weiß\tjuergen@example.de\r\n"
	be := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(text)) {
		be = append(be, byte(u>>8), byte(u))
	}
	cases := []struct {
		name   string
		data   []byte
		format string
	}{
		{"utf-8", []byte(text), "CSV, tab-separated, UTF-8"},
		{"utf-8 bom", append([]byte("\ufeff"), text...), "CSV, tab-separated, UTF-8 with BOM"},
		{"utf-16le", utf16LE(text), "CSV, tab-separated, UTF-16"},
		{"utf-16be", be, "CSV, tab-separated, UTF-16 (big-endian)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := ReadSheet(tc.data)
			if len(s.Problems) > 0 {
				t.Fatalf("problems: %v", s.Problems)
			}
			if s.Format != tc.format {
				t.Errorf("format %q, want %q", s.Format, tc.format)
			}
			if s.Header[0] != "Name" {
				t.Errorf("first header cell %q, want Name", s.Header[0])
			}
			if got := s.Rows[0].Fields; got[0] != "Jürgen Weiß" || got[1] != "juergen@example.de" {
				t.Errorf("row %q", got)
			}
		})
	}
}

// Ensure a quoted field may hold line breaks and quotes, and that the
// lines of the rows after it are still right.
func TestReadSheetQuotedNewlines(t *testing.T) {
	text := "name,email,notes\r\n" +
		"Ada,ada@x.org,\"first\r\nsecond\r\nthird\"\r\n" +
		"\"Grace \"\"Amazing\"\" Hopper\",grace@x.org,\r\n" +
		",,\r\n" + // a row of empty cells, as spreadsheets leave
		"Alan,alan@x.org,\"\"\r\n"
	s := ReadSheet([]byte(text))
	if len(s.Problems) > 0 {
		t.Fatalf("problems: %v", s.Problems)
	}
	if len(s.Rows) != 3 {
		t.Fatalf("rows %v, want 3", s.Rows)
	}
	wantLines := []int{2, 5, 7}
	for i, r := range s.Rows {
		if r.Line != wantLines[i] {
			t.Errorf("row %d on line %d, want %d", i, r.Line, wantLines[i])
		}
	}
	if s.Rows[0].Fields[2] != "first\nsecond\nthird" {
		t.Errorf("multi-line field %q", s.Rows[0].Fields[2])
	}
	if s.Rows[1].Fields[0] != `Grace "Amazing" Hopper` {
		t.Errorf("quoted quotes %q", s.Rows[1].Fields[0])
	}
}

// Ensure broken files end in problems that say what is wrong and where.
func TestReadSheetBroken(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want []string // substrings of the problems, in order
	}{
		{"empty", nil, []string{"the file is empty"}},
		{"only spaces and a BOM", []byte("\ufeff \r\n\n"), []string{"the file is empty"}},
		{"binary", []byte("name,email\nAda,\x00\x01\x02ada@x.org\n"), []string{"binary data (a NUL byte on line 2)"}},
		{"xlsx", []byte("PK\x03\x04\x14\x00\x06\x00"), []string{"Excel/LibreOffice workbook"}},
		{"xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), []string{"old Excel workbook"}},
		{"latin-1", []byte("name,email\nAda,ada@x.org\nJ\xfcrgen,j@x.org\nRen\xe9,r@x.org\n"),
			[]string{"line 3: not valid UTF-8 (byte 0xFC at column 2)", "line 4: not valid UTF-8 (byte 0xE9"}},
		{"ragged short", []byte("name,email,role\nAda,ada@x.org,admin\nGrace,grace@x.org\n"),
			[]string{"line 3: the row has 2 fields but the header has 3"}},
		{"ragged long", []byte("name,email\nLovelace, Ada,ada@x.org\n"),
			[]string{"line 2: the row has 3 fields but the header has 2: a value holding a comma must be put in double quotes"}},
		{"unclosed quote", []byte("name,email\n\"Ada,ada@x.org\nGrace,grace@x.org\n"),
			[]string{"a quoted value opened on line 2 is not closed"}},
		{"bare quote", []byte("name,email\nAda \"the\" Countess,ada@x.org\n"),
			[]string{"line 2: a double quote inside a value"}},
		{"utf-16 odd", []byte{0xff, 0xfe, 'a', 0, 'b'}, []string{"odd number of bytes"}},
		{"utf-16 nul", []byte{0xff, 0xfe, 'a', 0, 0, 0}, []string{"binary data"}},
		{"json cut short", []byte("[{\"name\":\"A\",\"email\":\"a@x.org\"},\n"), []string{"not valid JSON: the file ends in the middle of the array"}},
		{"json not objects", []byte("[1,\n\"x\"]"), []string{"line 1: not a user object: each user must be a JSON object", "line 2: not a user object"}},
		{"json object", []byte(`{"people": []}`), []string{"neither an array of users nor an object with \"groups\" and \"users\""}},
		{"json object without users", []byte(`{"groups": []}`), []string{"it has no \"users\""}},
		{"json object groups not a list", []byte(`{"groups": 5, "users": []}`), []string{"line 1: groups: "}},
		{"json trailing", []byte(`[{"name":"A","email":"a@x.org"}] x`), []string{"unexpected text after"}},
		{"json wrong type", []byte("[{\"name\": 5}]"), []string{"line 1: not a user object: name should be string"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := ReadSheet(tc.data)
			if len(s.Problems) != len(tc.want) {
				t.Fatalf("problems %v, want %d", s.Problems, len(tc.want))
			}
			for i, w := range tc.want {
				if got := s.Problems[i].String(); !strings.Contains(got, w) {
					t.Errorf("problem %q does not say %q", got, w)
				}
			}
		})
	}
}

// Ensure a file with thousands of broken rows reports a bounded number.
func TestReadSheetProblemLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,email\n")
	for range 1000 {
		b.WriteString("a,b,c\n")
	}
	s := ReadSheet([]byte(b.String()))
	if len(s.Problems) != maxFileProblems {
		t.Errorf("%d problems, want %d", len(s.Problems), maxFileProblems)
	}
}

// Ensure header cells match loosely and the problems of a header are clear.
func TestReadHeader(t *testing.T) {
	l, problems := readHeader([]string{" E-Mail Address ", "First Name", "last_name", "LOGIN", "Groups", "Phone", "created_at", ""})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	for c, want := range map[Column]int{ColumnEmail: 0, ColumnFirstName: 1, ColumnLastName: 2, ColumnUsername: 3, ColumnGroups: 4} {
		if l.index[c] != want {
			t.Errorf("%s at %d, want %d", c, l.index[c], want)
		}
	}
	if l.Has(ColumnName) || l.Has(ColumnRole) {
		t.Error("found columns that are not there")
	}
	if strings.Join(l.Ignored, ",") != "Phone" {
		t.Errorf("ignored %v, want Phone only (created_at is the export's own)", l.Ignored)
	}

	_, problems = readHeader([]string{"Name", "Mail", "E-mail"})
	if len(problems) != 1 || !strings.Contains(problems[0].Reason, `"Mail" and "E-mail" both look like the email column`) {
		t.Errorf("two e-mail columns: %v", problems)
	}
	_, problems = readHeader([]string{"Ada", "ada@example.com"})
	if len(problems) != 2 || !strings.Contains(problems[0].Reason, "no e-mail column") || !strings.Contains(problems[1].Reason, "no name column") {
		t.Errorf("no header: %v", problems)
	}
}

// Ensure usernames made from e-mail addresses are valid and readable.
func TestUsernameBase(t *testing.T) {
	cases := map[string]string{
		"Ada.Lovelace@example.com":         "ada.lovelace",
		"jürgen.weiß@example.de":           "juergen.weiss",
		"ada+newsletter@example.com":       "ada",
		"_x_@example.com":                  "x",
		"李@example.com":                    "user",
		"o'brien@example.com":              "obrien",
		strings.Repeat("a", 64) + "@x.org": strings.Repeat("a", 64),
		"+tag@example.com":                 "tag",
	}
	for email, want := range cases {
		if got := usernameBase(email); got != want {
			t.Errorf("usernameBase(%q) = %q, want %q", email, got, want)
		}
	}
	u := newUsernames(0)
	u.take("ada")
	long := strings.Repeat("b", 64)
	got := []string{u.unique("ada"), u.unique("ada"), u.unique(long), u.unique(long)}
	want := []string{"ada2", "ada3", long, strings.Repeat("b", 63) + "2"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("unique %d = %q, want %q", i, got[i], want[i])
		}
	}
}
