package store

import (
	"os"
	"path/filepath"
	"testing"
)

// Ensure the identity is made once, kept in the file, differs between
// databases and follows a copy of the file.
func TestID(t *testing.T) {
	db := MustOpenDB(t)
	id, err := db.ID()
	if err != nil || len(id) != 32 {
		t.Fatalf("ID() = %q, %v", id, err)
	}
	before, _ := db.Changes()
	again, err := db.ID()
	if err != nil || again != id {
		t.Fatalf("second ID() = %q, %v; want %q", again, err, id)
	}
	if after, _ := db.Changes(); after != before {
		t.Error("asking for the identity moved the change counter")
	}
	reopened, err := Open(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := reopened.ID(); got != id {
		t.Fatalf("reopened ID() = %q, want %q", got, id)
	}
	other := MustOpenDB(t)
	if got, _ := other.ID(); got == id {
		t.Fatal("two databases share an identity")
	}
	b, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(cp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	copied, err := Open(cp)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := copied.ID(); got != id {
		t.Fatalf("a copy's ID() = %q, want %q", got, id)
	}
	if v, err := db.SchemaVersionOf(); err != nil || v != SchemaVersion {
		t.Fatalf("SchemaVersionOf() = %d, %v; want %d", v, err, SchemaVersion)
	}
}
