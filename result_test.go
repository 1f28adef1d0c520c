package roster

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestBulkResultSummary(t *testing.T) {
	var r BulkResult
	if got := r.Summary("activated"); got != "0 activated" {
		t.Errorf("empty: %q", got)
	}
	r.Changed = []string{"a", "b"}
	if got := r.Summary("activated"); got != "2 activated" {
		t.Errorf("no skips: %q", got)
	}
	r.Skip("c", "needs the owner role")
	r.Skip("d", "already active")
	r.Skip("e", "already active")
	r.Skip("f", "is the last active owner")
	// Most frequent reason first; equal counts alphabetically.
	want := "2 activated; 4 skipped: 2 already active, 1 is the last active owner, 1 needs the owner role"
	if got := r.Summary("activated"); got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if r.Skipped[0] != (Skipped{Target: "c", Reason: "needs the owner role"}) {
		t.Errorf("skips keep their order: %+v", r.Skipped)
	}
	b, _ := json.Marshal(r)
	if string(b) != `{"changed":["a","b"],"skipped":[{"target":"c","reason":"needs the owner role"},{"target":"d","reason":"already active"},{"target":"e","reason":"already active"},{"target":"f","reason":"is the last active owner"}]}` {
		t.Errorf("JSON %s", b)
	}
}

func ExampleBulkResult_Summary() {
	r := BulkResult{Changed: []string{"ada", "bob", "carl"}}
	r.Skip("dora", "already disabled")
	r.Skip("olga", "is the last active owner")
	fmt.Println(r.Summary("disabled"))
	// Output: 3 disabled; 2 skipped: 1 already disabled, 1 is the last active owner
}
