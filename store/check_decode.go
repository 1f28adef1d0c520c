package store

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// userFact is what the check reads of one user record. Its byte slices
// point into the record: valid only inside the transaction.
type userFact struct {
	id              uint64
	username, email []byte
	uidNumber       uint32
	expires         bool
}

// decodeUserFact reads a user record as decodeUser does, field by field,
// failing exactly where decodeUser fails (TestDecodeUserFactAgrees holds
// them together), but copies nothing: the strings it does not need are
// skipped, the two it needs are returned in place, and the record's group
// ids are appended to groups. On a failure groups comes back as it went
// in. At a million users the check spent most of its time allocating the
// users decodeUser makes and collecting them again.
func decodeUserFact(b []byte, groups []uint64) (userFact, []uint64, error) {
	d := decoder{b: b}
	var f userFact
	version := d.byte()
	if version < userRecordV1 || version > userRecordV4 {
		return f, groups, errCorrupt
	}
	had := len(groups)
	f.id = d.uvarint()
	f.username = d.raw()
	d.raw() // name
	f.email = d.raw()
	d.byte() // role
	d.byte() // status
	if n := d.uvarint(); n > 0 && n <= uint64(len(d.b)) {
		for range n {
			groups = append(groups, d.uvarint())
		}
	} else if n > 0 {
		d.err = errCorrupt
	}
	for range 5 { // created, updated, invited, activated, last login
		d.time()
	}
	d.raw()  // password hash
	d.time() // password set
	d.byte() // delivery
	d.raw()  // delivery detail
	d.time() // delivery at
	d.time() // invitation expires
	d.bool() // suppressed
	d.raw()  // suppress reason
	if version >= userRecordV2 {
		f.uidNumber = d.uint32()
		d.raw() // shell
	}
	if version >= userRecordV3 {
		d.byte() // kind
		f.expires = !d.time().IsZero()
	}
	if version >= userRecordV4 {
		d.raw() // given name
		d.raw() // surname
	}
	if d.err != nil {
		return userFact{}, groups[:had], d.err
	}
	return f, groups, nil
}

// raw is str without the copy.
func (d *decoder) raw() []byte {
	n := d.uvarint()
	if d.err != nil || uint64(len(d.b)) < n {
		d.err = errCorrupt
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

// appendNormalEmail appends roster.NormalizeEmail(email) to dst, without
// allocating for ASCII addresses.
func appendNormalEmail(dst, email []byte) []byte {
	email = bytes.TrimSpace(email)
	for i, c := range email {
		if c >= utf8.RuneSelf {
			return append(dst, strings.ToLower(string(email[i:]))...)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
