package store

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster"
)

func fullUser() *roster.User {
	at := func(s int) time.Time { return time.Date(2026, 3, 4, 5, 6, s, 789, time.UTC) }
	return &roster.User{
		ID: 1<<40 + 7, Username: "ada.lovelace", Name: "Ada 👩‍💻 Lovelace", Email: "Ada@Example.com",
		Role: roster.RoleOwner, Status: roster.StatusDisabled, GroupIDs: []uint64{1, 300, 1 << 33},
		CreatedAt: at(1), UpdatedAt: at(2), InvitedAt: at(3), ActivatedAt: at(4), LastLoginAt: at(5),
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", PasswordSetAt: at(6),
		Delivery: roster.DeliveryBounced, DeliveryDetail: "550 no such user", DeliveryAt: at(7),
		InviteExpires: at(8), Suppressed: true, SuppressReason: "bounced",
		UIDNumber: 1<<32 - 3, Shell: "/usr/bin/fish",
		Kind: roster.KindService, ExpiresAt: at(9),
		GivenName: "Augusta Ada", Surname: "King-Noël",
	}
}

// Ensure every field of a user survives encoding, zero times included.
func TestUserCodecRoundTrip(t *testing.T) {
	for _, u := range []*roster.User{fullUser(), {ID: 1, Username: "a", Name: "A", Email: "a@b.c", Role: roster.RoleMember, Status: roster.StatusPending}} {
		got, err := decodeUser(encodeUser(u))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, u) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, u)
		}
	}
	// Times before 1970 and far ahead survive too.
	u := fullUser()
	u.CreatedAt = time.Date(1950, 1, 1, 0, 0, 0, 1, time.UTC)
	u.LastLoginAt = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	if got, _ := decodeUser(encodeUser(u)); !got.CreatedAt.Equal(u.CreatedAt) || !got.LastLoginAt.Equal(u.LastLoginAt) {
		t.Errorf("times %v %v", got.CreatedAt, got.LastLoginAt)
	}
}

// Ensure every truncation and a wrong version byte is reported as corrupt,
// never a panic or a half-decoded user.
func TestUserCodecCorrupt(t *testing.T) {
	b := encodeUser(fullUser())
	for i := range len(b) {
		if u, err := decodeUser(b[:i]); err == nil {
			t.Errorf("truncated to %d bytes decoded as %+v", i, u)
		}
	}
	bad := append([]byte{}, b...)
	bad[0] = userRecordV4 + 1
	if _, err := decodeUser(bad); err != errCorrupt {
		t.Errorf("version %d: %v", bad[0], err)
	}
	// A group count far beyond the record's size must not allocate it.
	e := encoder{}
	e.byte(userRecordV1)
	e.uvarint(1)
	e.str("a")
	e.str("A")
	e.str("a@b.c")
	e.byte(1)
	e.byte(1)
	e.uvarint(1 << 60)
	if _, err := decodeUser(e.b); err == nil {
		t.Error("a huge group count decoded")
	}
}

func TestGroupCodec(t *testing.T) {
	g := &roster.Group{ID: 9, Name: "Équipe", Description: "the team", CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 5, time.UTC), GIDNumber: 10042, Children: []uint64{3, 1 << 40}}
	got, err := decodeGroup(encodeGroup(g))
	if err != nil || !reflect.DeepEqual(got, g) {
		t.Errorf("round trip %+v, %v", got, err)
	}
	b := encodeGroup(g)
	for i := range len(b) {
		if _, err := decodeGroup(b[:i]); err == nil {
			t.Errorf("truncated group to %d bytes decoded", i)
		}
	}
}

// Ensure the list's raw prefilter rules out only what the filter would.
func TestMayMatchRaw(t *testing.T) {
	u := fullUser() // ada.lovelace, "Ada 👩‍💻 Lovelace", Ada@Example.com, disabled, groups 1, 300, 2^33
	b := encodeUser(u)
	for _, c := range []struct {
		status roster.Status
		gid    uint64
		q      string
		want   bool
	}{
		{0, 0, "", true},
		{roster.StatusDisabled, 0, "", true},
		{roster.StatusActive, 0, "", false},
		{0, 300, "", true},
		{0, 1 << 33, "", true},
		{0, 2, "", false},
		{roster.StatusDisabled, 1, "", true},
		{roster.StatusPending, 1, "", false},
		{0, 0, "lovelace", true},
		{0, 0, "ada@example", true},
		{0, 0, "a.l", true},
		{0, 0, "ada lovelace", false},
		{0, 0, "zed", false},
		{0, 0, "👩", true}, // not ASCII: decided after decoding
		{roster.StatusActive, 0, "lovelace", false},
		{roster.StatusDisabled, 2, "lovelace", false},
		{roster.StatusDisabled, 300, "example.com", true},
	} {
		if got := mayMatchRaw(b, c.status, in(c.gid), c.q); got != c.want {
			t.Errorf("status %v group %d text %q: %v, want %v", c.status, c.gid, c.q, got, c.want)
		}
	}
	// Damaged records say "maybe", so that decoding reports them.
	for i := range len(b) {
		_ = mayMatchRaw(b[:i], roster.StatusActive, in(5), "x")
	}
	if !mayMatchRaw([]byte{9}, roster.StatusActive, nil, "x") || !mayMatchRaw(b[:3], roster.StatusActive, nil, "") {
		t.Error("a damaged record was ruled out")
	}
}

// Ensure the prefilter never rules out a user FilterUsers keeps, runes
// that lower-case to ASCII (Kelvin sign, capital I with a dot) included.
func TestMayMatchRawAgreesWithFilter(t *testing.T) {
	names := []string{"Ada Lovelace", "\u212aarl Kelvin", "\u0130smail", "ÉMILE zola", "Zoë", "O'Brien", "ǅemal"}
	queries := []string{"", "a", "ada", "karl", "kelvin", "ismail", "smail", "émile", "emile", "zola", "oë", "o'b", "ǆ", "dž", "@", ".com", "x"}
	for i, name := range names {
		u := &roster.User{ID: uint64(i + 1), Username: fmt.Sprintf("user%d", i), Name: name, Email: fmt.Sprintf("U%d@Example.COM", i),
			Role: roster.RoleMember, Status: roster.Statuses[i%3], GroupIDs: []uint64{uint64(i%2 + 1)}}
		b := encodeUser(u)
		for _, q := range queries {
			for _, st := range append([]roster.Status{0}, roster.Statuses...) {
				for _, gid := range []uint64{0, 1, 2} {
					f := roster.UserFilter{Status: st, GroupID: gid, Search: q}
					kept := len(FilterUsers([]*roster.User{u}, f)) == 1
					if kept && !mayMatchRaw(b, st, in(gid), strings.ToLower(q)) {
						t.Errorf("%q ruled out for %+v, which the filter keeps", name, f)
					}
				}
			}
		}
	}
}

// FuzzDecodeUser feeds the decoder damaged records: it may refuse them, but
// must not panic, and what it accepts must encode back to the same bytes.
func FuzzDecodeUser(f *testing.F) {
	f.Add(encodeUser(fullUser()))
	f.Add(encodeUser(&roster.User{ID: 1, Username: "a"}))
	f.Add([]byte{userRecordV1})
	f.Add([]byte(strings.Repeat("\xff", 40)))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = mayMatchRaw(b, roster.StatusActive, in(3), "ad")
		u, err := decodeUser(b)
		if err != nil {
			return
		}
		again, err := decodeUser(encodeUser(u))
		if err != nil || !reflect.DeepEqual(again, u) {
			t.Errorf("re-encoding %+v gave %+v, %v", u, again, err)
		}
	})
}

// Ensure records written before schema 3 (version 1, without the Linux
// fields) still decode, with no numbers, and that a uid beyond 32 bits is
// refused as corrupt.
func TestCodecVersion1(t *testing.T) {
	u := fullUser()
	u.Kind, u.ExpiresAt, u.GivenName, u.Surname = 0, time.Time{}, "", ""
	v2 := encodeUserV2(u)
	u.UIDNumber, u.Shell = 0, ""
	v1 := encodeUserV1(u)
	got, err := decodeUser(v1)
	if err != nil || !reflect.DeepEqual(got, u) {
		t.Errorf("version 1 record: %+v, %v", got, err)
	}
	// Before the uid: all but its 5 bytes and the shell's 1+13.
	prefix := slices.Clone(v2[:len(v2)-5-1-len("/usr/bin/fish")])
	huge := append(binary.AppendUvarint(prefix, 1<<33), 0)
	if _, err := decodeUser(huge); err != errCorrupt {
		t.Errorf("uid of 33 bits: %v", err)
	}
	g := &roster.Group{ID: 9, Name: "g", GIDNumber: 10000}
	gv1 := encodeGroup(&roster.Group{ID: 9, Name: "g"})
	gv1 = append([]byte{groupRecordV1}, gv1[1:len(gv1)-2]...) // no gid, no children
	if got, err := decodeGroup(gv1); err != nil || got.GIDNumber != 0 || got.Name != g.Name {
		t.Errorf("version 1 group: %+v, %v", got, err)
	}
}

// in is the within list of a filter on group gid without nesting.
func in(gid uint64) []uint64 {
	if gid == 0 {
		return nil
	}
	return []uint64{gid}
}

// encodeUserV3 writes a record as builds before the given name and
// surname did: version 4 without its last two fields.
func encodeUserV3(u *roster.User) []byte {
	b := encodeUser(u)
	b[0] = userRecordV3
	e := encoder{}
	e.str(u.GivenName)
	e.str(u.Surname)
	return b[:len(b)-len(e.b)]
}

// encodeUserV2 writes a record as builds before the account kinds and
// expiry did: version 3 without its last two fields.
func encodeUserV2(u *roster.User) []byte {
	b := encodeUserV3(u)
	b[0] = userRecordV2
	e := encoder{}
	e.time(u.ExpiresAt)
	return b[:len(b)-1-len(e.b)]
}

// Ensure records written before version 4 read without given name and
// surname, every other field intact.
func TestCodecVersion3(t *testing.T) {
	u := fullUser()
	u.GivenName, u.Surname = "", ""
	got, err := decodeUser(encodeUserV3(u))
	if err != nil || !reflect.DeepEqual(got, u) {
		t.Errorf("version 3 record: %+v, %v", got, err)
	}
}

// Ensure records written before version 3 read as persons without expiry.
func TestCodecVersion2(t *testing.T) {
	u := fullUser()
	u.Kind, u.ExpiresAt, u.GivenName, u.Surname = roster.KindPerson, time.Time{}, "", ""
	got, err := decodeUser(encodeUserV2(u))
	if err != nil || !reflect.DeepEqual(got, u) {
		t.Errorf("version 2 record: %+v, %v", got, err)
	}
}
