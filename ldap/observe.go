package ldap

import "time"

// Observer hears what the directory does, for metrics: each simple bind
// with a password (accepted or refused) and each search with how long it
// took to answer.
type Observer interface {
	Bind(ok bool)
	Search(took time.Duration)
}

func (s *Server) observeBind(ok bool) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.Bind(ok)
	}
}

// observeSearch starts timing a search; call what it returns when the
// search is answered.
func (s *Server) observeSearch() func() {
	o := s.cfg.Observer
	if o == nil {
		return func() {}
	}
	start := time.Now()
	return func() { o.Search(time.Since(start)) }
}
