package ldap

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// FuzzRequest sends any bytes to a running directory: each input ends in
// answers and a close the server logs, never a panic (the connection's
// recovery would log "panic") and never a hang.
func FuzzRequest(f *testing.F) {
	bind := bindMsg(1, userDN("svc"), testPasswords["svc"])
	compare := message(3, func(w *berWriter) {
		w.begin(classApplication | constructed | opCompareRequest)
		w.octets(berOctetString, groupDN("staff"))
		w.begin(berSequence)
		w.octets(berOctetString, "member")
		w.octets(berOctetString, userDN("ada"))
		w.end()
		w.end()
	})
	abandon := message(4, func(w *berWriter) { w.integer(classApplication|opAbandonRequest, 2) })
	unbind := message(5, func(w *berWriter) { w.octets(classApplication|opUnbindRequest, "") })
	whoami := message(6, func(w *berWriter) {
		w.begin(classApplication | constructed | opExtendedRequest)
		w.octets(ctx0, oidWhoAmI)
		w.end()
	})
	for _, seed := range [][]byte{
		bind, searchMsg(2, testBase, scopeSub), compare, abandon, unbind, whoami,
		append(append(append([]byte{}, bind...), searchMsg(2, "", scopeBase)...), abandon...),
		append(append([]byte{}, bind...), compare...),
		{0x30}, {0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, {0x30, 0x80, 0x00, 0x00}, []byte("\x30\x05\x02\x01\x01\x42\x00"),
	} {
		f.Add(seed)
	}
	db := fixture(f)
	var logs syncBuffer
	_, addr := startServer(f, db, Config{Log: testLogger(&logs), MaxRequestSize: 4096})
	n := 0
	f.Fuzz(func(t *testing.T, in []byte) {
		before := logs.Len()
		// A source address of its own for each input: thousands of
		// connections a minute would use up one address's ports in
		// TIME-WAIT.
		n++
		c, err := dialFrom(fmt.Sprintf("127.%d.%d.%d", 1+n>>16&0xff, n>>8&0xff, 1+n&0xfe), addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Write(in); err != nil {
			return // the server already closed: it read enough to refuse
		}
		_ = c.(*net.TCPConn).CloseWrite()
		if _, err := io.Copy(io.Discard, c); err != nil {
			var ne net.Error
			if ok := asNetError(err, &ne); ok && ne.Timeout() {
				t.Fatalf("no close within 20 s for % x", in)
			}
		}
		waitFor(t, "a log line for the connection", func() bool { return logs.Len() > before })
		if got := logs.Since(before); strings.Contains(got, "panic") {
			t.Fatalf("panic for % x:\n%s", in, got)
		}
	})
}

func asNetError(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}

// FuzzFilterBER decodes any bytes as a BER filter and evaluates what
// decodes on every sample entry: never a panic.
func FuzzFilterBER(f *testing.F) {
	for _, s := range filterSeeds {
		if p, err := compileForFuzz(s); err == nil {
			f.Add(p)
		}
	}
	d := sampleDirectory()
	entries := allEntries(d)
	f.Fuzz(func(t *testing.T, in []byte) {
		el, _, err := readElem(in)
		if err != nil {
			return
		}
		flt, err := decodeFilter(el, 0)
		if err != nil {
			return
		}
		for _, e := range entries {
			_ = flt.match(e)
		}
		_ = d.run(query{base: d.base, scope: scopeSub, filter: flt, reader: true}, func(entry) bool { return true })
	})
}
