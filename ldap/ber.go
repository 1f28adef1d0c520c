package ldap

import (
	"errors"
)

// The directory reads and writes LDAP's BER itself (RFC 4511 section 5.1):
// a request is parsed in place, without copying, by walking its elements;
// an answer is appended to a byte slice. Only what LDAP uses is supported:
// definite lengths, tags below 31 (one byte), integers of up to 8 bytes.

// BER identifier bytes the directory reads or writes.
const (
	berBoolean     = 0x01
	berInteger     = 0x02
	berOctetString = 0x04
	berEnumerated  = 0x0a
	berSequence    = 0x30
	berSet         = 0x31

	classApplication = 0x40
	classContext     = 0x80
	constructed      = 0x20
)

// Context-specific identifiers [0], [1]…: primitive (ctx0…) and
// constructed (ctxC0…).
const (
	ctx0 byte = classContext + iota
	ctx1
	ctx2
	ctx3
)

const (
	ctxC0 byte = classContext | constructed + iota
	ctxC1
)

var errBER = errors.New("malformed BER")

// berElem is one element of a message: its identifier byte (class,
// constructed bit and tag) and its contents, which point into the message.
type berElem struct {
	id      byte
	content []byte
}

// tag returns the element's tag number.
func (e berElem) tag() byte { return e.id & 0x1f }

// class returns the element's class bits.
func (e berElem) class() byte { return e.id & 0xc0 }

// readElem parses the element at the start of b and returns it with the
// bytes after it.
func readElem(b []byte) (berElem, []byte, error) {
	if len(b) < 2 {
		return berElem{}, nil, errBER
	}
	id := b[0]
	if id&0x1f == 0x1f {
		return berElem{}, nil, errBER // multi-byte tags: not used by LDAP
	}
	n, hdr, err := readLength(b[1:])
	if err != nil {
		return berElem{}, nil, err
	}
	start := 1 + hdr
	if n > len(b)-start {
		return berElem{}, nil, errBER
	}
	return berElem{id: id, content: b[start : start+n]}, b[start+n:], nil
}

// readLength reads a definite length at the start of b: the length and the
// number of bytes it took.
func readLength(b []byte) (n, size int, err error) {
	if len(b) == 0 {
		return 0, 0, errBER
	}
	l := b[0]
	if l&0x80 == 0 {
		return int(l), 1, nil
	}
	k := int(l & 0x7f)
	if k == 0 || k > 4 || len(b) < 1+k {
		return 0, 0, errBER // indefinite lengths are not allowed in LDAP
	}
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	if n < 0 {
		return 0, 0, errBER
	}
	return n, 1 + k, nil
}

// children parses the contents of a constructed element as a list of
// elements.
func (e berElem) children() ([]berElem, error) {
	if e.id&constructed == 0 {
		return nil, errBER
	}
	var out []berElem
	rest := e.content
	for len(rest) > 0 {
		c, r, err := readElem(rest)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		rest = r
	}
	return out, nil
}

// integer reads the element as a two's-complement INTEGER or ENUMERATED.
func (e berElem) integer() (int64, error) {
	if len(e.content) == 0 || len(e.content) > 8 || e.id&constructed != 0 {
		return 0, errBER
	}
	v := int64(int8(e.content[0]))
	for _, c := range e.content[1:] {
		v = v<<8 | int64(c)
	}
	return v, nil
}

// boolean reads the element as a BOOLEAN.
func (e berElem) boolean() (bool, error) {
	if len(e.content) != 1 {
		return false, errBER
	}
	return e.content[0] != 0, nil
}

// str returns the element's contents as a string (an OCTET STRING).
func (e berElem) str() string { return string(e.content) }

// berWriter appends BER to a byte slice. begin and end bracket a
// constructed element; its length is filled in at end.
type berWriter struct {
	b     []byte
	stack []int
}

// begin starts a constructed element with identifier id.
func (w *berWriter) begin(id byte) {
	w.b = append(w.b, id, 0)
	w.stack = append(w.stack, len(w.b))
}

// end closes the element begin opened last, writing its length in the
// shortest form.
func (w *berWriter) end() {
	start := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	n := len(w.b) - start
	if n < 0x80 {
		w.b[start-1] = byte(n)
		return
	}
	k := 1
	for m := n >> 8; m > 0; m >>= 8 {
		k++
	}
	w.b = append(w.b, make([]byte, k)...)
	copy(w.b[start+k:], w.b[start:start+n])
	w.b[start-1] = 0x80 | byte(k)
	for i := k - 1; i >= 0; i-- {
		w.b[start+i] = byte(n)
		n >>= 8
	}
}

// header appends an identifier and a length.
func (w *berWriter) header(id byte, n int) {
	w.b = append(w.b, id)
	switch {
	case n < 0x80:
		w.b = append(w.b, byte(n))
	case n < 0x100:
		w.b = append(w.b, 0x81, byte(n))
	case n < 0x10000:
		w.b = append(w.b, 0x82, byte(n>>8), byte(n))
	case n < 0x1000000:
		w.b = append(w.b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		w.b = append(w.b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// octets appends a primitive element holding s.
func (w *berWriter) octets(id byte, s string) {
	w.header(id, len(s))
	w.b = append(w.b, s...)
}

// integer appends an INTEGER (or, with id berEnumerated, an ENUMERATED).
func (w *berWriter) integer(id byte, v int64) {
	n := 1
	for m := v; m > 127 || m < -128; m >>= 8 {
		n++
	}
	w.header(id, n)
	for i := n - 1; i >= 0; i-- {
		w.b = append(w.b, byte(v>>(8*i)))
	}
}

// boolean appends a BOOLEAN.
func (w *berWriter) boolean(v bool) {
	if v {
		w.b = append(w.b, berBoolean, 1, 0xff)
	} else {
		w.b = append(w.b, berBoolean, 1, 0)
	}
}
