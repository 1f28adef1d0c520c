package transfer

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

// ReadFile reads an import file, refusing one larger than MaxFileSize
// before reading it all.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, roster.Errorf(roster.EINVALID, "open %s: %v", path, unwrapPathError(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, roster.Errorf(roster.EINVALID, "%s is a folder, not a file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, roster.Errorf(roster.EINVALID, "read %s: %v", path, unwrapPathError(err))
	}
	return data, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Preview reads data and plans its import into db without writing
// anything, as actor, whose powers the plan checks (opts.Actor is set to
// it). The error is for the database only; everything wrong with the
// file is in the report.
func Preview(db *store.DB, actor roster.Actor, data []byte, opts Options) (*Report, error) {
	opts.Actor = actor
	if opts.Source != "" {
		opts.Source = filepath.Base(opts.Source)
	}
	sheet := ReadSheet(data)
	if len(sheet.Problems) > 0 {
		return Plan(sheet, Existing{}, opts), nil
	}
	users, err := db.AllUsers(actor)
	if err != nil {
		return nil, err
	}
	groups, err := db.Groups(actor)
	if err != nil {
		return nil, err
	}
	return Plan(sheet, Existing{Users: users, Groups: groups}, opts), nil
}

// Result is what an import wrote, with the report's counts of the rows it
// left alone.
type Result struct {
	store.ImportResult
	Skipped int // rows whose users exist already
	Invalid int // rows left out for their problems
}

// Summary reads the result as one line: "created 78, updated 0, skipped 2,
// left out 2 invalid rows; created groups sales, ops".
func (r Result) Summary() string {
	s := fmt.Sprintf("created %d, updated %d", len(r.Created), len(r.Updated))
	if len(r.Unchanged) > 0 {
		s += fmt.Sprintf(" (%d unchanged)", len(r.Unchanged))
	}
	s += fmt.Sprintf(", skipped %d", r.Skipped)
	if r.Invalid > 0 {
		s += fmt.Sprintf(", left out %s", plural(r.Invalid, "invalid row"))
	}
	if len(r.GroupsCreated) > 0 {
		s += "; created groups " + strings.Join(r.GroupsCreated, ", ")
	}
	return s
}

// CreatedIDs returns the ids of the users the import created.
func (r Result) CreatedIDs() []uint64 {
	ids := make([]uint64, len(r.Created))
	for i, u := range r.Created {
		ids[i] = u.ID
	}
	return ids
}

// Commit writes the valid rows of a report in one transaction: all of them
// or none. It refuses a report that is Blocked. progress, when set, hears
// how many rows are written so far (from inside the transaction).
func Commit(db *store.DB, actor roster.Actor, r *Report, progress func(done, total int)) (Result, error) {
	if err := r.Blocked(); err != nil {
		return Result{}, err
	}
	res := Result{Skipped: r.Skip, Invalid: r.Invalid}
	rows := r.StoreRows()
	if len(rows) == 0 {
		return res, nil
	}
	ir, err := db.Import(actor, rows, store.ImportOptions{
		CreateGroups: r.Options.CreateGroups, Source: r.Source, Progress: progress, Groups: r.Groups,
	})
	if err != nil {
		return Result{}, fmt.Errorf("nothing was written: %w", err)
	}
	res.ImportResult = ir
	return res, nil
}
