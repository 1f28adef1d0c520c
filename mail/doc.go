// Package mail composes and sends Roster's mail: invitations, password
// resets and test messages.
//
// Composer builds a message from templates that ship embedded and can be
// overridden by files in the config folder. Worker sends the store's
// outbox over SMTP (go-smtp), with connections reused and run in parallel,
// a rate limit, retries with backoff and jitter, bounces that block the
// address, and TLS required whenever credentials are sent. With no SMTP
// server configured, the Worker starts Mailbox, an SMTP server on loopback
// that keeps what it receives in the database for the TUI and
// `roster mailbox` to show.
package mail
