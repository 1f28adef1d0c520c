package store

import (
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure accented names sort among their base letters, not after z.
func TestSortUsersByNameIgnoresAccents(t *testing.T) {
	names := []string{"Zola", "Émile", "Øvergaard", "Adam", "Ångström", "ebba", "Łukasz", "Oscar", "伟"}
	users := make([]*roster.User, len(names))
	for i, n := range names {
		users[i] = &roster.User{Name: n, Username: string(rune('a' + i))}
	}
	SortUsers(users, roster.SortName, false)
	want := []string{"Adam", "Ångström", "ebba", "Émile", "Łukasz", "Oscar", "Øvergaard", "Zola", "伟"}
	got := make([]string, len(users))
	for i, u := range users {
		got[i] = u.Name
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %q, want %q", got, want)
		}
	}
}

func TestSortKey(t *testing.T) {
	for in, want := range map[string]string{
		"Alice":      "alice",
		"Émile":      "emile",
		"Straße":     "strasse",
		"Øvergaard":  "overgaard",
		"Nguyễn":     "nguyen",
		"Ayşe":       "ayse",
		"Δημήτρης":   "δημητρης",
		"ALICE@X.IO": "alice@x.io",
	} {
		if got := SortKey(in); got != want {
			t.Errorf("SortKey(%q) = %q, want %q", in, got, want)
		}
	}
}
