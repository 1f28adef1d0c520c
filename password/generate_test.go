package password

import (
	"strings"
	"testing"
)

// Ensure generated passwords are long, from the unambiguous alphabet,
// pass the policy, and differ.
func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		pw, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != GeneratedLength || strings.ContainsAny(pw, "0Oo1lI") {
			t.Fatalf("generated %q", pw)
		}
		if err := Check(pw, "ada", "ada@example.com"); err != nil {
			t.Fatalf("%q fails the policy: %v", pw, err)
		}
		if seen[pw] {
			t.Fatalf("%q came twice", pw)
		}
		seen[pw] = true
	}
}
