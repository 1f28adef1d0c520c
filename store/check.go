package store

import (
	"errors"
	"fmt"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Check verifies the file: bbolt's own consistency check, then Roster's
// invariants: every record decodes, every index entry points at a record
// that carries that value, every record has its index entries, and the two
// directions of group membership agree. It returns every problem found.
//
// It needs OpCheck; a refusal is the one error returned.
func (db *DB) Check(actor roster.Actor) []error {
	// A local or system actor's powers need no read of the file, which
	// may be the damaged one; a signed-in user's role comes from it.
	err := actor.May(roster.OpCheck, nil)
	if err == nil && !actor.IsLocal() {
		err = db.view(func(tx *bolt.Tx) error {
			_, err := mayTx(tx, actor, roster.OpCheck, nil)
			return err
		})
	}
	if err != nil {
		return []error{err}
	}
	var problems []error
	db.whileLetGo(func() { problems = db.check() }) // its child opens the file
	return problems
}

// check is Check without the power: for copies that are no one's
// database. Everything runs in a child process (see childCheck): bbolt's
// check of the pages beside Roster's invariants.
func (db *DB) check() []error {
	problems, _ := childCheck(db.path, true)
	return problems
}

// fileCounts are the users and groups a check read.
type fileCounts struct{ Users, Groups int }

// checkInvariantsTx checks Roster's invariants and returns the problems
// found, at most 100, and what it counted.
func checkInvariantsTx(tx *bolt.Tx) ([]string, fileCounts) {
	var problems []string
	report := func(format string, args ...any) {
		if len(problems) < 100 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			report("bucket %s is missing", name)
		}
	}
	if len(problems) > 0 {
		return problems, fileCounts{}
	}
	counts := checkRecordsTx(tx, report)
	checkNestingTx(tx, report)
	checkManagersTx(tx, report)
	return problems, counts
}

// ErrCheckFailed is wrapped by callers that turn Check's problems into one error.
var ErrCheckFailed = errors.New("database check failed")
