package store

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/roster-dev/roster"
)

// User records are hand-encoded: decoding 100k of them must take well under
// the 150 ms a full list load may cost, which rules out encoding/json and gob.
// The first byte is the record version; decodeUser reads every version ever
// written, so a migration can rewrite old records or simply leave them.
//
// Version 2 appends the Linux account fields: uidNumber and shell.
// Version 3 appends the account's kind and expiry.
// Version 4 appends the given name and surname.
const (
	userRecordV1 = 1
	userRecordV2 = 2
	userRecordV3 = 3
	userRecordV4 = 4
)

var errCorrupt = errors.New("corrupt record")

type encoder struct{ b []byte }

func (e *encoder) uvarint(n uint64) { e.b = binary.AppendUvarint(e.b, n) }
func (e *encoder) byte(c byte)      { e.b = append(e.b, c) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.b = binary.AppendVarint(e.b, 0)
		return
	}
	e.b = binary.AppendVarint(e.b, t.UnixNano())
}
func (e *encoder) bool(v bool) {
	if v {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// str copies the bytes out: bbolt's memory is only valid inside the transaction.
func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil || uint64(len(d.b)) < n {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) time() time.Time {
	if d.err != nil {
		return time.Time{}
	}
	n, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errCorrupt
		return time.Time{}
	}
	d.b = d.b[k:]
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (d *decoder) bool() bool { return d.byte() != 0 }

func (d *decoder) uint32() uint32 {
	n := d.uvarint()
	if n > 1<<32-1 {
		d.err = errCorrupt
	}
	return uint32(n)
}

func encodeUser(u *roster.User) []byte {
	e := encoder{b: make([]byte, 0, 128+len(u.Name)+len(u.GivenName)+len(u.Surname)+len(u.Email)+len(u.PasswordHash))}
	e.byte(userRecordV4)
	e.uvarint(u.ID)
	e.str(u.Username)
	e.str(u.Name)
	e.str(u.Email)
	e.byte(byte(u.Role))
	e.byte(byte(u.Status))
	e.uvarint(uint64(len(u.GroupIDs)))
	for _, g := range u.GroupIDs {
		e.uvarint(g)
	}
	e.time(u.CreatedAt)
	e.time(u.UpdatedAt)
	e.time(u.InvitedAt)
	e.time(u.ActivatedAt)
	e.time(u.LastLoginAt)
	e.str(u.PasswordHash)
	e.time(u.PasswordSetAt)
	e.byte(byte(u.Delivery))
	e.str(u.DeliveryDetail)
	e.time(u.DeliveryAt)
	e.time(u.InviteExpires)
	e.bool(u.Suppressed)
	e.str(u.SuppressReason)
	e.uvarint(uint64(u.UIDNumber))
	e.str(u.Shell)
	e.byte(byte(u.Kind))
	e.time(u.ExpiresAt)
	e.str(u.GivenName)
	e.str(u.Surname)
	return e.b
}

func decodeUser(b []byte) (*roster.User, error) {
	d := decoder{b: b}
	version := d.byte()
	if version < userRecordV1 || version > userRecordV4 {
		return nil, errCorrupt
	}
	u := &roster.User{}
	u.ID = d.uvarint()
	u.Username = d.str()
	u.Name = d.str()
	u.Email = d.str()
	u.Role = roster.Role(d.byte())
	u.Status = roster.Status(d.byte())
	if n := d.uvarint(); n > 0 && n <= uint64(len(d.b)) {
		u.GroupIDs = make([]uint64, n)
		for i := range u.GroupIDs {
			u.GroupIDs[i] = d.uvarint()
		}
	} else if n > 0 {
		d.err = errCorrupt
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
	u.Suppressed = d.bool()
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
	if d.err != nil {
		return nil, d.err
	}
	return u, nil
}

// Group record versions: 2 appends the gidNumber, 3 the ids of the groups
// nested in it.
const (
	groupRecordV1 = 1
	groupRecordV2 = 2
	groupRecordV3 = 3
)

func encodeGroup(g *roster.Group) []byte {
	e := encoder{}
	e.byte(groupRecordV3)
	e.uvarint(g.ID)
	e.str(g.Name)
	e.str(g.Description)
	e.time(g.CreatedAt)
	e.uvarint(uint64(g.GIDNumber))
	e.uvarint(uint64(len(g.Children)))
	for _, c := range g.Children {
		e.uvarint(c)
	}
	return e.b
}

func decodeGroup(b []byte) (*roster.Group, error) {
	d := decoder{b: b}
	version := d.byte()
	if version < groupRecordV1 || version > groupRecordV3 {
		return nil, errCorrupt
	}
	g := &roster.Group{}
	g.ID = d.uvarint()
	g.Name = d.str()
	g.Description = d.str()
	g.CreatedAt = d.time()
	if version >= groupRecordV2 {
		g.GIDNumber = d.uint32()
	}
	if version >= groupRecordV3 {
		if n := d.uvarint(); n > 0 && n <= uint64(len(d.b)) {
			g.Children = make([]uint64, n)
			for i := range g.Children {
				g.Children[i] = d.uvarint()
			}
		} else if n > 0 {
			d.err = errCorrupt
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	return g, nil
}
