package tui

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
)

// Ensure the import preview shows each row's kind of account: the file's
// for a new user, the existing account's for an update (a kind never
// changes by import), nothing when the file's kind is not one.
func TestImportPreviewShowsKind(t *testing.T) {
	db := mustOpenDB(t)
	pw, err := password.Approve("plum orchard lantern 7", "gitea", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateService(testActor, roster.NewUser{Username: "gitea", Name: "Gitea"}, pw); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	csv := "username,name,email,kind\n" +
		"mia,Mia Member,mia@example.com,\n" +
		"ci-bot,,,service\n" +
		"gitea,Gitea Two,,service\n" +
		"rob,Rob Robot,rob@example.com,robot\n"
	if err := os.WriteFile(filepath.Join(dir, "people.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	h := start(t, db, 140, 30)
	h.waitText("gitea")
	h.keys("I")
	h.waitText("Import users", "people.csv")
	h.keys("enter")
	s := h.waitText("KIND", "ci-bot", "rob")
	for _, want := range []string{
		`(?m)^\s*2\s+\+\s+mia\s.*\sperson\s+member\b`,
		`(?m)^\s*3\s+\+\s+ci-bot\s.*\sservice\s+member\b`,
		`(?m)^\s*4\s+[~–]\s+gitea\s.*\sservice\s`,
		`(?m)^\s*5\s+✗\s+rob\s+Rob Robot\s+rob@example.com\s+kind: `,
	} {
		if !regexp.MustCompile(want).MatchString(s) {
			t.Errorf("no row matches %s:\n%s", want, s)
		}
	}
	if regexp.MustCompile(`(?m)^\s*5\s.*\s(person|service)\s`).MatchString(s) {
		t.Errorf("the row with an unknown kind shows one:\n%s", s)
	}
}
