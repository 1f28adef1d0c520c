package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster/store"
	"github.com/roster-dev/roster/web"
)

// Ensure the terminal app tells Roster on its own database from anything
// else holding the site's address (issue 16 bug 6): another program, or
// Roster on another database, would answer every link with 404.
func TestCheckSite(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) *store.DB {
		db, err := store.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	ours, theirs := open("ours.db"), open("theirs.db")
	serve := func(h http.Handler) string {
		ts := httptest.NewServer(h)
		t.Cleanup(ts.Close)
		return strings.TrimPrefix(ts.URL, "http://")
	}
	site := func(db *store.DB) http.Handler {
		h, err := web.New(db).Handler()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	other := serve(http.NotFoundHandler())
	for _, c := range []struct {
		addr, want string
	}{
		{serve(site(ours)), ""},
		{serve(site(theirs)), "is roster on another database"},
		{other, "is another program"},
	} {
		if got := checkSite(c.addr, ours); got != c.want {
			t.Errorf("checkSite(%s) = %q, want %q", c.addr, got, c.want)
		}
	}
}
