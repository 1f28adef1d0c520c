package ssh

// SessionObserver hears each signed-in session open and close.
type SessionObserver interface {
	SessionOpened()
	SessionClosed()
}

// observeSession tells the Observer a session opened and returns what
// tells it the session closed.
func (s *Server) observeSession() func() {
	o := s.cfg.Observer
	if o == nil {
		return func() {}
	}
	o.SessionOpened()
	return o.SessionClosed
}
