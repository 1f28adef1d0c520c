package transfer

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/store"
)

const benchUsers = 100_000

// BenchmarkImport100k reads, plans and writes a 100,000-row spreadsheet
// file (BOM, CRLF, semicolons, quoted names, two groups a row) into an
// empty database, in one transaction. The goal is at most 5 s.
func BenchmarkImport100k(b *testing.B) {
	data := genCSV(benchUsers, ";")
	b.SetBytes(int64(len(data)))
	var preview, commit time.Duration
	for b.Loop() {
		b.StopTimer()
		db, err := store.Open(filepath.Join(b.TempDir(), "roster.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		r, err := Preview(db, local, data, Options{CreateGroups: true, Source: "bench.csv"})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		res, err := Commit(db, local, r, nil)
		if err != nil {
			b.Fatal(err)
		}
		preview, commit = preview+t1.Sub(t0), commit+time.Since(t1)
		if len(res.Created) != benchUsers {
			b.Fatalf("created %d", len(res.Created))
		}
	}
	b.ReportMetric(float64(preview.Milliseconds())/float64(b.N), "preview-ms/op")
	b.ReportMetric(float64(commit.Milliseconds())/float64(b.N), "commit-ms/op")
}

// BenchmarkExport100k loads 100,000 users from the file, sorts them by name
// and writes them out, as `roster export` does. The goal is at most 1 s.
func BenchmarkExport100k(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "roster.db"))
	if err != nil {
		b.Fatal(err)
	}
	r, err := Preview(db, local, genCSV(benchUsers, ","), Options{CreateGroups: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Commit(db, local, r, nil); err != nil {
		b.Fatal(err)
	}
	for _, format := range []Format{FormatCSV, FormatJSON} {
		b.Run(format.String(), func(b *testing.B) {
			var n countWriter
			for b.Loop() {
				n = 0
				users, err := db.ListUsers(local, roster.UserFilter{})
				if err != nil {
					b.Fatal(err)
				}
				groups, err := db.Groups(local)
				if err != nil {
					b.Fatal(err)
				}
				names := make(map[uint64]string, len(groups))
				for _, g := range groups {
					names[g.ID] = g.Name
				}
				if err := Export(&n, users, func(id uint64) string { return names[id] }, ExportOptions{Format: format}); err != nil {
					b.Fatal(err)
				}
				if len(users) != benchUsers {
					b.Fatalf("%d users", len(users))
				}
			}
			b.SetBytes(int64(n))
		})
	}
}

// countWriter counts bytes and keeps none.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)
