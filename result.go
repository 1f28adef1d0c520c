package roster

import (
	"fmt"
	"sort"
	"strings"
)

// Skipped names a target a bulk operation left alone, and why.
type Skipped struct {
	Target string `json:"target"`
	Reason string `json:"reason"`
}

// BulkResult says what a bulk operation changed and what it skipped.
type BulkResult struct {
	Changed []string  `json:"changed"`
	Skipped []Skipped `json:"skipped"`
}

// Skip records that target was left alone for reason.
func (r *BulkResult) Skip(target, reason string) {
	r.Skipped = append(r.Skipped, Skipped{Target: target, Reason: reason})
}

// Summary reads the result as one line: "3 disabled; 2 skipped: 1 already
// disabled, 1 needs the owner role". verb is the past tense of the action.
func (r BulkResult) Summary(verb string) string {
	s := fmt.Sprintf("%d %s", len(r.Changed), verb)
	if len(r.Skipped) == 0 {
		return s
	}
	counts := map[string]int{}
	for _, sk := range r.Skipped {
		counts[sk.Reason]++
	}
	reasons := make([]string, 0, len(counts))
	for reason := range counts {
		reasons = append(reasons, reason)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if counts[reasons[i]] != counts[reasons[j]] {
			return counts[reasons[i]] > counts[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	parts := make([]string, len(reasons))
	for i, reason := range reasons {
		parts[i] = fmt.Sprintf("%d %s", counts[reason], reason)
	}
	return fmt.Sprintf("%s; %d skipped: %s", s, len(r.Skipped), strings.Join(parts, ", "))
}
