// Package roster holds Roster's domain: users, groups, roles, statuses,
// actors and audit events, the validation rules every adapter shares, and
// the one application error type that the TUI, the CLI, the web site and the
// directory all render.
//
// It imports only the standard library. Storage lives in store/, and each
// adapter (tui/, web/, ssh/, ldap/, mail/) in its own package.
package roster
