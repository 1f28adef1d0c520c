package main

import (
	"log/slog"

	"github.com/roster-dev/roster/store"
)

// announce tells other roster processes that this one uses the database
// until the returned function is called (see store.DB.Announce), so that
// `roster restore` refuses to pull the file from under it. A failure to
// announce is logged, not fatal: the process works as before.
func announce(db *store.DB, what string, log *slog.Logger) (release func()) {
	release, err := db.Announce(what)
	if err != nil {
		log.Warn("cannot announce this process; roster restore will not know it runs", "err", err)
		return func() {}
	}
	return release
}
