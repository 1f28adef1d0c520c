// Package transfer moves users in and out of Roster as files.
//
// Import reads a CSV file the way an office has it: written by a
// spreadsheet program with comma, semicolon or tab between the fields
// (detected), in UTF-8 with or without a byte-order mark (or UTF-16 as
// "Unicode text"), with quoted fields that may hold line breaks, and a header
// row whose column names are matched loosely ("E-Mail", "Full name",
// "First name" + "Last name", "Groups"…). A JSON array as written by
// Export is read too. Reading and planning never write: Preview returns a
// Report that lists, per problem row, the line, the field and the reason,
// and what would be created, updated and skipped. Commit then writes the
// valid rows with store.Import in one transaction: all of them or none.
//
// Every row is checked with the form's rules (roster.NewUser Normalize and
// Validate), so an import never writes a user the form would refuse.
//
// Export writes users as CSV or JSON with exactly the fields of
// roster.UserRecord (what `roster users list --json` prints), never
// password hashes or tokens. An export read back by Import gives the same
// users: usernames, names, e-mail addresses, roles, groups and statuses.
package transfer
