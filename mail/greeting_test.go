package mail

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestGreetingBeforeSTARTTLS checks the name a relay sees in the EHLO that
// comes before STARTTLS: Roster's greeting name, never go-smtp's "localhost".
func TestGreetingBeforeSTARTTLS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	greeted := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		conn.Write([]byte("220 relay.example ESMTP\r\n"))
		line, _ := r.ReadString('\n')
		greeted <- strings.TrimSpace(line)
		// No STARTTLS offered: the client gives up, which ends the exchange.
		conn.Write([]byte("250 relay.example\r\n"))
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClientStartTLS(&greetingConn{Conn: conn, helo: "roster.office.example"}, &tls.Config{ServerName: "relay.example"})
	if err == nil {
		c.Close()
	}
	if got := <-greeted; got != "EHLO roster.office.example" {
		t.Fatalf("the relay was greeted with %q, want EHLO roster.office.example", got)
	}
}
