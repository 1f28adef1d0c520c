// Package store keeps Roster's data in one bbolt file.
//
// Every exported method is one transaction: it opens the file, does its work,
// writes its audit event and bumps the change counter in the same
// transaction, and closes the file again, so that several roster processes
// can share one database. Unexported helpers take the *bbolt.Tx so that
// operations compose inside one transaction.
//
// Buckets (see schema.go):
//
//	meta               schema version, change counter, last backup (backup.go)
//	users              id (8 bytes, big-endian) → user record (codec.go)
//	users_by_username  lower-case username → id
//	users_by_email     lower-case e-mail → id
//	groups             id → group record
//	groups_by_name     lower-case name → id
//	group_members      group id + user id → empty (the user record holds the other direction)
//	audit              id → JSON audit event
//	audit_by_user      user id + event id → empty
//	audit_by_users     event id → ids of the users of an event about many (audit.go)
//	tokens             sha256 of a one-time link → token record (tokens.go)
//	tokens_by_user     user id → sha256 of the user's one live token
//	outbox…            mail jobs, their compressed bodies, due times, per user (outbox.go)
//	mailbox            the built-in dev mailbox's messages (mailbox.go)
//	ssh_keys…          SSH public keys by fingerprint and by user (keys.go)
//
// Long-running processes announce themselves in a folder next to the file
// (presence.go), so that restore can name them.
package store
