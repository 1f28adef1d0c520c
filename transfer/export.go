package transfer

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/roster-dev/roster"
)

// Format is a file format an export writes.
type Format uint8

// Export formats.
const (
	FormatCSV Format = iota
	FormatJSON
)

// String returns the format's name as the CLI spells it.
func (f Format) String() string {
	if f == FormatJSON {
		return "json"
	}
	return "csv"
}

// ParseFormat reads csv or json, in any letter case.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "csv":
		return FormatCSV, nil
	case "json":
		return FormatJSON, nil
	}
	return 0, roster.FieldErrorf(roster.EINVALID, "format", "unknown format %q (want csv or json)", s)
}

// FormatForPath guesses the format from a file name: .json is JSON,
// anything else CSV.
func FormatForPath(path string) Format {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return FormatJSON
	}
	return FormatCSV
}

// CSVHeader is the header row of a CSV export: the JSON names of the
// fields of roster.UserRecord, in its order.
var CSVHeader = []string{"id", "username", "name", "email", "role", "groups", "status",
	"created_at", "invited_at", "activated_at", "last_login_at", "uid_number", "shell", "kind", "expires",
	"given_name", "surname"}

// ExportOptions shape an export's bytes.
type ExportOptions struct {
	Format Format
	// BOM starts a CSV export with a UTF-8 byte-order mark, which Excel
	// needs to read accented letters right.
	BOM bool
	// Groups, when not nil, makes a JSON export the object form with the
	// groups section (groups.go); CSV has none and refuses it.
	Groups []roster.GroupRecord
}

// Export writes users with exactly the fields of roster.UserRecord (what
// `roster users list --json` prints): never a password hash or a token.
// groupName maps group ids to names. CSV joins groups with ';' and leaves
// empty times empty; a value a spreadsheet would run as a formula gets a
// leading quote (which Import takes off again).
func Export(w io.Writer, users []*roster.User, groupName func(uint64) string, opts ExportOptions) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var err error
	switch {
	case opts.Groups != nil && opts.Format != FormatJSON:
		return roster.FieldErrorf(roster.EINVALID, "format", "the groups section needs the JSON format")
	case opts.Groups != nil:
		err = writeJSONWithGroups(bw, opts.Groups, users, groupName)
	case opts.Format == FormatJSON:
		err = writeJSON(bw, users, groupName)
	default:
		err = writeCSV(bw, users, groupName, opts.BOM)
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

func writeCSV(w *bufio.Writer, users []*roster.User, groupName func(uint64) string, bom bool) error {
	if bom {
		if _, err := w.WriteString("\ufeff"); err != nil {
			return err
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	rec := make([]string, len(CSVHeader))
	var num []byte
	for _, u := range users {
		r := u.Record(groupName)
		num = strconv.AppendUint(num[:0], r.ID, 10)
		rec[0] = string(num)
		rec[1] = escapeCell(r.Username)
		rec[2] = escapeCell(r.Name)
		rec[3] = escapeCell(r.Email)
		rec[4] = r.Role
		rec[5] = escapeCell(strings.Join(r.Groups, ";"))
		rec[6] = r.Status
		rec[7] = formatTime(r.CreatedAt)
		rec[8] = formatTime(r.InvitedAt)
		rec[9] = formatTime(r.ActivatedAt)
		rec[10] = formatTime(r.LastLoginAt)
		rec[11] = ""
		if r.UIDNumber != 0 {
			rec[11] = strconv.FormatUint(uint64(r.UIDNumber), 10)
		}
		rec[12] = escapeCell(r.Shell)
		rec[13] = r.Kind
		rec[14] = r.Expires
		rec[15] = escapeCell(r.GivenName)
		rec[16] = escapeCell(r.Surname)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// formatTime writes a time as JSON does (RFC 3339 with nanoseconds when
// there are any), or "" for none.
func formatTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// escapeCell puts a quote before a value a spreadsheet would run as a
// formula (one starting with = + - @, tab or CR), and before one that
// already looks escaped, so that unescapeCell gives back the value.
func escapeCell(s string) string {
	if startsFormula(s) || isEscapedFormula(s) {
		return "'" + s
	}
	return s
}

// WriteFile writes a file through fn, readable only by its owner (0600):
// into a temporary file in the same folder, then renamed over path, so a
// reader never sees half a file and a failure leaves any old file as it was.
func WriteFile(path string, fn func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return roster.Errorf(roster.EINVALID, "write %s: %v", path, unwrapPathError(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fn(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return roster.Errorf(roster.EINVALID, "write %s: %v", path, unwrapLinkError(err))
	}
	return nil
}

func unwrapLinkError(err error) error {
	if le, ok := err.(*os.LinkError); ok {
		return le.Err
	}
	return err
}
