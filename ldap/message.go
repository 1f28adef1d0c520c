package ldap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Protocol operations (RFC 4511 section 4.2 to 4.14): the application tag
// of each request, and of the response that answers it.
const (
	opBindRequest     = 0
	opBindResponse    = 1
	opUnbindRequest   = 2
	opSearchRequest   = 3
	opSearchEntry     = 4
	opSearchDone      = 5
	opModifyRequest   = 6
	opModifyResponse  = 7
	opAddRequest      = 8
	opAddResponse     = 9
	opDelRequest      = 10
	opDelResponse     = 11
	opModDNRequest    = 12
	opModDNResponse   = 13
	opCompareRequest  = 14
	opCompareResponse = 15
	opAbandonRequest  = 16
	opExtendedRequest = 23
	opExtendedResp    = 24
)

// Result codes the directory answers with (RFC 4511 appendix A).
const (
	resultSuccess                    = 0
	resultOperationsError            = 1
	resultProtocolError              = 2
	resultSizeLimitExceeded          = 4
	resultCompareFalse               = 5
	resultCompareTrue                = 6
	resultAuthMethodNotSupported     = 7
	resultConfidentialityRequired    = 13
	resultUnavailableCritical        = 12
	resultNoSuchAttribute            = 16
	resultUndefinedAttributeType     = 17
	resultInvalidAttributeSyntax     = 21
	resultNoSuchObject               = 32
	resultInvalidDNSyntax            = 34
	resultInappropriateAuthenticaton = 48
	resultInvalidCredentials         = 49
	resultInsufficientAccessRights   = 50
	resultBusy                       = 51
	resultUnwillingToPerform         = 53
	resultConstraintViolation        = 19
	resultOther                      = 80
)

// oidNoticeOfDisconnection names the unsolicited notification a server
// sends before it closes a connection it cannot go on with (RFC 4511
// section 4.4.1).
const oidNoticeOfDisconnection = "1.3.6.1.4.1.1466.20036"

// request is one decoded LDAP message from a client.
type request struct {
	id       int64
	op       berElem
	controls []control
}

// control is a request control (RFC 4511 section 4.1.11).
type control struct {
	oid      string
	critical bool
	value    []byte
	hasValue bool
}

// errTooLarge and errNotLDAP end a connection: the first for a message
// announced larger than the limit (its body is never read), the second for
// bytes that are not an LDAP message at all.
var (
	errTooLarge = errors.New("request larger than the size limit")
	errNotLDAP  = errors.New("not an LDAP message")
)

// readMessage reads one LDAP message (a SEQUENCE with a definite length)
// whole. The size is checked from the length header before any of the body
// is read, and the body's buffer grows only as bytes arrive, so a client
// announcing a large message costs nothing until it sends it.
func readMessage(r *bufio.Reader, limit int) ([]byte, error) {
	first, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	if first != berSequence {
		return nil, errNotLDAP
	}
	l, err := r.ReadByte()
	if err != nil {
		return nil, unexpected(err)
	}
	hdr := []byte{first, l}
	n := int(l)
	if l&0x80 != 0 {
		k := int(l & 0x7f)
		if k == 0 || k > 4 {
			return nil, errNotLDAP
		}
		n = 0
		for range k {
			c, err := r.ReadByte()
			if err != nil {
				return nil, unexpected(err)
			}
			hdr = append(hdr, c)
			n = n<<8 | int(c)
		}
	}
	if n > limit {
		return nil, fmt.Errorf("%w: %d bytes announced, limit %d", errTooLarge, n, limit)
	}
	msg := make([]byte, len(hdr), len(hdr)+min(n, 4096))
	copy(msg, hdr)
	for len(msg) < len(hdr)+n {
		chunk := min(len(hdr)+n-len(msg), max(cap(msg)-len(msg), 4096))
		if cap(msg)-len(msg) < chunk {
			msg = append(msg, make([]byte, chunk)...)[:len(msg)]
		}
		got, err := io.ReadFull(r, msg[len(msg):len(msg)+chunk])
		msg = msg[:len(msg)+got]
		if err != nil {
			return nil, unexpected(err)
		}
	}
	return msg, nil
}

// unexpected turns an EOF in the middle of a message into ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decodeRequest parses a message's envelope: its id, its operation and its
// controls. The operation's own contents are parsed by its handler.
func decodeRequest(msg []byte) (request, error) {
	seq, rest, err := readElem(msg)
	if err != nil || seq.id != berSequence || len(rest) != 0 {
		return request{}, errBER
	}
	parts, err := seq.children()
	if err != nil || len(parts) < 2 || len(parts) > 3 || parts[0].id != berInteger {
		return request{}, errBER
	}
	id, err := parts[0].integer()
	if err != nil || id < 0 || id > 1<<31-1 {
		return request{}, errBER
	}
	req := request{id: id, op: parts[1]}
	if req.op.class() != classApplication {
		return request{}, errBER
	}
	if len(parts) == 3 {
		if parts[2].id != ctxC0 {
			return request{}, errBER
		}
		if req.controls, err = decodeControls(parts[2]); err != nil {
			return request{}, err
		}
	}
	return req, nil
}

func decodeControls(e berElem) ([]control, error) {
	list, err := e.children()
	if err != nil {
		return nil, err
	}
	out := make([]control, 0, len(list))
	for _, c := range list {
		f, err := c.children()
		if err != nil || c.id != berSequence || len(f) == 0 || f[0].id != berOctetString {
			return nil, errBER
		}
		ctl := control{oid: f[0].str()}
		for _, x := range f[1:] {
			switch x.id {
			case berBoolean:
				if ctl.critical, err = x.boolean(); err != nil {
					return nil, err
				}
			case berOctetString:
				ctl.value, ctl.hasValue = x.content, true
			default:
				return nil, errBER
			}
		}
		out = append(out, ctl)
	}
	return out, nil
}

// result is an LDAPResult to send: the code, a message for people, and
// what an operation adds after it (a response name and value for extended
// operations) and the response's controls.
type result struct {
	code    int
	diag    string
	matched string
	extra   func(w *berWriter)
	ctrls   func(w *berWriter)
}

// encodeResult encodes a whole response message carrying an LDAPResult as
// application op.
func encodeResult(id int64, op byte, r result) []byte {
	var w berWriter
	w.begin(berSequence)
	w.integer(berInteger, id)
	w.begin(classApplication | constructed | op)
	w.integer(berEnumerated, int64(r.code))
	w.octets(berOctetString, r.matched)
	w.octets(berOctetString, r.diag)
	if r.extra != nil {
		r.extra(&w)
	}
	w.end()
	if r.ctrls != nil {
		w.begin(ctxC0)
		r.ctrls(&w)
		w.end()
	}
	w.end()
	return w.b
}

// extendedResult encodes an ExtendedResponse (RFC 4511 section 4.12).
func extendedResult(id int64, code int, diag, name string, value []byte, withValue bool) []byte {
	return encodeResult(id, opExtendedResp, result{code: code, diag: diag, extra: func(w *berWriter) {
		if name != "" {
			w.octets(classContext|10, name)
		}
		if withValue {
			w.octets(classContext|11, string(value))
		}
	}})
}

// noticeOfDisconnection encodes the unsolicited notification sent before
// the server closes a connection on a request it cannot answer.
func noticeOfDisconnection(code int, diag string) []byte {
	return extendedResult(0, code, diag, oidNoticeOfDisconnection, nil, false)
}

// responseFor returns the response tag that answers request tag op, and
// false for an operation that gets none (unbind, abandon) or is unknown.
func responseFor(op byte) (byte, bool) {
	switch op {
	case opSearchRequest:
		return opSearchDone, true
	case opBindRequest, opModifyRequest, opAddRequest, opDelRequest, opModDNRequest, opCompareRequest:
		return op + 1, true
	case opExtendedRequest:
		return opExtendedResp, true
	}
	return 0, false
}
