package store

import (
	"time"

	"github.com/roster-dev/roster"
)

// strDecoder reads a record kept in a string, as decoder reads one in
// bbolt's memory, but its strings are slices of the record: no copies.
type strDecoder struct {
	s   string
	err error
}

func (d *strDecoder) uvarint() uint64 {
	var x uint64
	var shift uint
	for i := 0; i < len(d.s) && i < 10; i++ {
		c := d.s[i]
		if c < 0x80 {
			if i == 9 && c > 1 {
				break // overflows 64 bits
			}
			d.s = d.s[i+1:]
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	d.err = errCorrupt
	d.s = ""
	return 0
}

func (d *strDecoder) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *strDecoder) byte() byte {
	if len(d.s) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.s[0]
	d.s = d.s[1:]
	return c
}

func (d *strDecoder) str() string {
	n := d.uvarint()
	if uint64(len(d.s)) < n {
		d.err = errCorrupt
		d.s = ""
		return ""
	}
	s := d.s[:n]
	d.s = d.s[n:]
	return s
}

func (d *strDecoder) time() time.Time {
	if n := d.varint(); n != 0 {
		return time.Unix(0, n).UTC()
	}
	return time.Time{}
}

func (d *strDecoder) uint32() uint32 {
	n := d.uvarint()
	if n > 1<<32-1 {
		d.err = errCorrupt
	}
	return uint32(n)
}

// decodeListed decodes a user record as decodeUser does, into u (its
// group ids appended to u.GroupIDs[:0]) with strings sharing rec.
func decodeListed(rec string, u *roster.User) error {
	d := strDecoder{s: rec}
	version := d.byte()
	if version < userRecordV1 || version > userRecordV4 {
		return errCorrupt
	}
	groups := u.GroupIDs[:0]
	*u = roster.User{}
	u.ID = d.uvarint()
	u.Username = d.str()
	u.Name = d.str()
	u.Email = d.str()
	u.Role = roster.Role(d.byte())
	u.Status = roster.Status(d.byte())
	if n := d.uvarint(); n > uint64(len(d.s)) {
		d.err = errCorrupt
	} else {
		for range n {
			groups = append(groups, d.uvarint())
		}
	}
	if len(groups) > 0 {
		u.GroupIDs = groups
	}
	u.CreatedAt = d.time()
	u.UpdatedAt = d.time()
	u.InvitedAt = d.time()
	u.ActivatedAt = d.time()
	u.LastLoginAt = d.time()
	u.PasswordHash = d.str()
	u.PasswordSetAt = d.time()
	u.Delivery = roster.DeliveryState(d.byte())
	u.DeliveryDetail = d.str()
	u.DeliveryAt = d.time()
	u.InviteExpires = d.time()
	u.Suppressed = d.byte() != 0
	u.SuppressReason = d.str()
	if version >= userRecordV2 {
		u.UIDNumber = d.uint32()
		u.Shell = d.str()
	}
	if version >= userRecordV3 {
		u.Kind = roster.Kind(d.byte())
		u.ExpiresAt = d.time()
	}
	if version >= userRecordV4 {
		u.GivenName = d.str()
		u.Surname = d.str()
	}
	return d.err
}
