package transfer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/roster-dev/roster"
)

// MaxFileSize is the largest file Import reads (64 MiB: several hundred
// thousand users).
const MaxFileSize = 64 << 20

// maxFileProblems is how many structural problems reading collects before
// it stops: a file that wrong needs fixing, not a longer list.
const maxFileProblems = 20

// Problem is one thing wrong with the file or with one of its rows.
type Problem struct {
	Line   int    // 1-based line in the file; 0 for the file as a whole
	Field  string // username, name, email, role, groups, status; "" for the row or file
	Reason string
}

// String renders the problem as "line 7: email: e-mail needs an @".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// Sheet is a file read into rows of text, before any meaning is given to
// the columns.
type Sheet struct {
	Format string // how the file was read, for display: "CSV, semicolon-separated, UTF-8 with BOM"
	Header []string
	Rows   []Record
	// Problems are structural: a file with any cannot be imported.
	Problems []Problem

	// JSON files arrive as records already; Header and Rows stay empty.
	records []jsonRow
	isJSON  bool
	groups  []roster.GroupRecord // a JSON file's groups section
}

// Record is one data row of a sheet and the line it starts on.
type Record struct {
	Line   int
	Fields []string
}

// ReadSheet reads a file's bytes into a Sheet. It never fails: whatever is
// wrong with the file ends up in Sheet.Problems with a line number where
// there is one.
func ReadSheet(data []byte) *Sheet {
	s := &Sheet{}
	if len(data) > MaxFileSize {
		s.fail(0, "the file is larger than %d MiB; split it into smaller files", MaxFileSize>>20)
		return s
	}
	if kind := binaryKind(data); kind != "" {
		s.fail(0, "%s", kind)
		return s
	}
	text, encoding, ok := s.decode(data)
	if !ok {
		return s
	}
	if strings.TrimSpace(text) == "" {
		s.fail(0, "the file is empty")
		return s
	}
	if t := strings.TrimLeft(text, " \t\r\n"); strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
		s.Format = "JSON, " + encoding
		s.readJSON(text)
		return s
	}
	s.readCSV(text, encoding)
	return s
}

func (s *Sheet) fail(line int, format string, args ...any) {
	s.Problems = append(s.Problems, Problem{Line: line, Reason: fmt.Sprintf(format, args...)})
}

func (s *Sheet) full() bool { return len(s.Problems) >= maxFileProblems }

// binaryKind names what a binary file is, or returns "" for text.
func binaryKind(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return "this is a zip archive or an Excel/LibreOffice workbook (.xlsx, .ods), not a CSV file: save it as \"CSV UTF-8\" and import that"
	case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0")):
		return "this is an old Excel workbook (.xls), not a CSV file: save it as \"CSV UTF-8\" and import that"
	case bytes.HasPrefix(data, []byte("%PDF")):
		return "this is a PDF document, not a CSV file"
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return "" // UTF-16 text holds NUL bytes; decode checks it
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return fmt.Sprintf("this is not a text file: it holds binary data (a NUL byte on line %d)", lineAt(data, i))
	}
	return ""
}

// decode turns the bytes into UTF-8 text without a byte-order mark.
func (s *Sheet) decode(data []byte) (text, encoding string, ok bool) {
	switch {
	case bytes.HasPrefix(data, []byte{0xef, 0xbb, 0xbf}):
		data, encoding = data[3:], "UTF-8 with BOM"
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		return s.decodeUTF16(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return s.decodeUTF16(data[2:], true)
	default:
		encoding = "UTF-8"
	}
	if utf8.Valid(data) {
		return string(data), encoding, true
	}
	// Report each line with bad bytes, up to the limit.
	line := 1
	for len(data) > 0 && !s.full() {
		end := bytes.IndexByte(data, '\n')
		if end < 0 {
			end = len(data)
		}
		if l := data[:end]; !utf8.Valid(l) {
			col, b := firstInvalid(l)
			s.fail(line, "not valid UTF-8 (byte 0x%02X at column %d): the file was probably saved as Latin-1 or Windows-1252; save it as \"CSV UTF-8\"", b, col)
		}
		if end == len(data) {
			break
		}
		data, line = data[end+1:], line+1
	}
	return "", "", false
}

func (s *Sheet) decodeUTF16(data []byte, bigEndian bool) (string, string, bool) {
	if len(data)%2 != 0 {
		s.fail(0, "the file says it is UTF-16 but has an odd number of bytes: it is cut short or damaged")
		return "", "", false
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
		} else {
			units[i] = uint16(data[2*i+1])<<8 | uint16(data[2*i])
		}
	}
	var b strings.Builder
	b.Grow(len(units))
	line := 1
	for i := 0; i < len(units); i++ {
		u := units[i]
		switch {
		case u == 0:
			s.fail(line, "this is not a text file: it holds binary data (a NUL character)")
			return "", "", false
		case utf16.IsSurrogate(rune(u)):
			if i+1 < len(units) {
				if r := utf16.DecodeRune(rune(u), rune(units[i+1])); r != utf8.RuneError {
					b.WriteRune(r)
					i++
					continue
				}
			}
			s.fail(line, "not valid UTF-16 (a broken surrogate pair)")
			return "", "", false
		default:
			if u == '\n' {
				line++
			}
			b.WriteRune(rune(u))
		}
	}
	if bigEndian {
		return b.String(), "UTF-16 (big-endian)", true
	}
	return b.String(), "UTF-16", true
}

func firstInvalid(b []byte) (col int, c byte) {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return utf8.RuneCount(b[:i]) + 1, b[i]
		}
		i += size
	}
	return 0, 0
}

func lineAt(data []byte, offset int) int {
	return bytes.Count(data[:offset], []byte{'\n'}) + 1
}

// readCSV detects the delimiter and reads the header and the records.
func (s *Sheet) readCSV(text, encoding string) {
	firstLine := 1
	delim, named := rune(0), false
	// Excel understands (and sometimes writes) a first line "sep=;".
	if line, rest, _ := strings.Cut(text, "\n"); len(strings.TrimSpace(line)) == 5 && strings.HasPrefix(strings.ToLower(line), "sep=") {
		if d := []rune(strings.TrimSpace(line))[4]; d == ',' || d == ';' || d == '\t' || d == '|' {
			delim, named, text, firstLine = d, true, rest, 2
		}
	}
	if !named {
		delim = detectDelimiter(text)
	}
	s.Format = fmt.Sprintf("CSV, %s-separated, %s", delimName(delim), encoding)

	r := csv.NewReader(strings.NewReader(text))
	r.Comma = delim
	r.FieldsPerRecord = -1 // checked here, so every ragged row is reported
	r.ReuseRecord = false
	for !s.full() {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				s.Problems = append(s.Problems, Problem{Line: pe.Line + firstLine - 1, Reason: csvReason(pe, delim)})
				continue
			}
			s.fail(0, "%v", err)
			break
		}
		// FieldPos is valid only after a record read without error.
		line, _ := r.FieldPos(0)
		line += firstLine - 1
		if s.Header == nil {
			s.Header = rec
			continue
		}
		if blank(rec) {
			continue // spreadsheets leave rows of empty cells at the end
		}
		if len(rec) != len(s.Header) {
			if reason := raggedReason(rec, len(s.Header), delim); reason != "" {
				s.fail(line, "%s", reason)
				continue
			}
			rec = fitRecord(rec, len(s.Header))
		}
		s.Rows = append(s.Rows, Record{Line: line, Fields: rec})
	}
	if s.Header == nil && len(s.Problems) == 0 {
		s.fail(0, "the file is empty")
	}
}

// detectDelimiter picks the separator the header line uses most, counting
// only outside quotes. Ties go to tab, then semicolon, then comma; a header
// of one column is comma-separated.
func detectDelimiter(text string) rune {
	counts := map[rune]int{}
	quoted, content := false, false
	for _, c := range text {
		if c == '"' {
			quoted, content = !quoted, true
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' {
			if content {
				break // the end of the header line
			}
			continue // leading blank lines
		}
		if c != ' ' && c != '\r' {
			content = true
		}
		counts[c]++
	}
	best := ','
	for _, d := range []rune{';', '\t'} {
		if counts[d] >= counts[best] && counts[d] > 0 {
			best = d
		}
	}
	return best
}

func delimName(d rune) string {
	switch d {
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	case '|':
		return "bar"
	}
	return "comma"
}

func csvReason(pe *csv.ParseError, delim rune) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf("a double quote inside a value that does not start with one (column %d): put the whole value in double quotes and double the quote inside (\"Ada \"\"Countess\"\" Lovelace\")", pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		if pe.StartLine != pe.Line {
			return fmt.Sprintf("a quoted value opened on line %d is not closed properly (column %d)", pe.StartLine, pe.Column)
		}
		return fmt.Sprintf("a quoted value is not closed properly (column %d): after the closing quote must come a %s or the end of the line", pe.Column, delimName(delim))
	}
	return pe.Err.Error()
}

// raggedReason explains a row whose field count differs from the header's,
// or returns "" when the only difference is empty cells at the end.
func raggedReason(rec []string, want int, delim rune) string {
	if len(rec) > want {
		if blank(rec[want:]) {
			return ""
		}
		return fmt.Sprintf("the row has %d fields but the header has %d: a value holding a %s must be put in double quotes",
			len(rec), want, delimName(delim))
	}
	return fmt.Sprintf("the row has %d fields but the header has %d", len(rec), want)
}

func fitRecord(rec []string, n int) []string {
	if len(rec) > n {
		return rec[:n]
	}
	return rec
}

func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
