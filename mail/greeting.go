package mail

import (
	"bytes"
	"net"
)

// greetingConn puts Roster's greeting name into the EHLO that go-smtp sends
// before STARTTLS. go-smtp's NewClientStartTLS greets as "localhost" there
// and offers no way to name the client until after the upgrade; a relay that
// checks the greeting at once (reject_non_fqdn_helo_hostname with
// smtpd_delay_reject = no) would refuse every message. Only that one line
// is rewritten; everything after it, and everything over TLS, passes as is.
type greetingConn struct {
	net.Conn
	helo string
	done bool
}

var defaultGreetings = [][]byte{[]byte("EHLO localhost\r\n"), []byte("HELO localhost\r\n")}

func (c *greetingConn) Write(p []byte) (int, error) {
	if c.done || c.helo == "" || c.helo == "localhost" {
		return c.Conn.Write(p)
	}
	for _, g := range defaultGreetings {
		if bytes.Equal(p, g) {
			c.done = true
			line := append(append(append([]byte{}, p[:5]...), c.helo...), "\r\n"...)
			if _, err := c.Conn.Write(line); err != nil {
				return 0, err
			}
			return len(p), nil
		}
	}
	return c.Conn.Write(p)
}
