package mail

import (
	"sync"
	"sync/atomic"
)

// halt stops a batch after the relay refused Roster itself (its
// greeting, sender, credentials: verdictSettings). Trying the other
// messages would only repeat the refusal, and with a wrong password each
// try is one more failed login towards the provider's lockout. Until the
// worker next runs out of due jobs, every job it is handed fails with the
// first refusal's words, untried; the next batch tries again.
//
// It also lets one connection log in at a time until a login has worked,
// so a wrong password costs one failed login per batch, not one per
// connection.
type halt struct {
	mu     sync.Mutex
	reason string // the first refusal's detail; "" when not halted

	loginMu  sync.Mutex
	loggedIn atomic.Bool // a login worked since the last halt
}

// trip halts the batch with the first refusal's words.
func (h *halt) trip(reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.reason == "" {
		h.reason = reason
	}
	h.loggedIn.Store(false)
}

// halted returns the reason the batch stopped, or "".
func (h *halt) halted() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.reason
}

// clear ends the halt: the worker has no more due jobs, the batch is over.
func (h *halt) clear() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reason = ""
}

// dial opens a session through d unless the batch is halted; until a
// login has worked, one connection dials at a time.
func (h *halt) dial(d *dialer) (*session, error) {
	if !h.loggedIn.Load() {
		h.loginMu.Lock()
		defer h.loginMu.Unlock()
	}
	if r := h.halted(); r != "" {
		return nil, &haltedError{reason: r}
	}
	s, err := d.dial()
	if err == nil {
		h.loggedIn.Store(true)
	} else if classify(err) == verdictSettings {
		// Halt before the next connection may try: it waits on loginMu.
		h.trip(failureDetail(err))
	}
	return s, err
}

// haltedError fails a job that was not tried because its batch stopped.
type haltedError struct{ reason string }

func (e *haltedError) Error() string {
	return "not sent: the relay refused an earlier message of this batch: " + e.reason
}
