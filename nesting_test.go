package roster

import (
	"slices"
	"testing"
)

// tree: 1 ∋ 2 ∋ 3, 1 ∋ 4, 5 alone, 6 ∋ 3.
func testNesting() *Nesting {
	return NewNesting([]*Group{
		{ID: 1, Name: "staff", Children: []uint64{2, 4}},
		{ID: 2, Name: "dev", Children: []uint64{3}},
		{ID: 3, Name: "backend"},
		{ID: 4, Name: "ops", Children: []uint64{99}}, // 99: no such group, ignored
		{ID: 5, Name: "alone"},
		{ID: 6, Name: "oncall", Children: []uint64{3}},
	})
}

// Ensure effective groups, Within and Containing follow the tree.
func TestNestingClosure(t *testing.T) {
	n := testNesting()
	for _, c := range []struct{ direct, want []uint64 }{
		{nil, []uint64{}},
		{[]uint64{5}, []uint64{5}},
		{[]uint64{3}, []uint64{1, 2, 3, 6}},
		{[]uint64{3, 4}, []uint64{1, 2, 3, 4, 6}},
		{[]uint64{1, 5}, []uint64{1, 5}},
	} {
		if got := n.Effective(c.direct); !slices.Equal(got, c.want) {
			t.Errorf("Effective(%v) = %v, want %v", c.direct, got, c.want)
		}
	}
	if got := n.Within(1); !slices.Equal(got, []uint64{1, 2, 3, 4}) {
		t.Errorf("Within(staff) = %v", got)
	}
	if got := n.Containing(3); !slices.Equal(got, []uint64{1, 2, 3, 6}) {
		t.Errorf("Containing(backend) = %v", got)
	}
	// A caller may change what it gets.
	n.Containing(3)[0] = 42
	if got := n.Effective([]uint64{3}); got[0] != 1 {
		t.Errorf("Containing shares its memory: %v", got)
	}
}

// Ensure a link that would close a cycle is named along the tree, and
// links that would not are not.
func TestNestingCycle(t *testing.T) {
	n := testNesting()
	for _, c := range []struct {
		child, parent uint64
		want          string
	}{
		{1, 3, "backend → staff → dev → backend"},
		{2, 2, "dev → dev"},
		{1, 4, "ops → staff → ops"},
		{5, 3, ""},
		{3, 4, ""}, // a second way down is no cycle
	} {
		got := ""
		if cyc := n.Cycle(c.child, c.parent); cyc != nil {
			got = n.Path(cyc)
		}
		if got != c.want {
			t.Errorf("Cycle(%d in %d) = %q, want %q", c.child, c.parent, got, c.want)
		}
	}
	if cyc := n.FindCycle(); cyc != nil {
		t.Errorf("FindCycle on a tree: %v", cyc)
	}
	bad := NewNesting([]*Group{{ID: 1, Name: "a", Children: []uint64{2}}, {ID: 2, Name: "b", Children: []uint64{1}}})
	if cyc := bad.FindCycle(); bad.Path(cyc) != "a → b → a" {
		t.Errorf("FindCycle = %q", bad.Path(cyc))
	}
}
