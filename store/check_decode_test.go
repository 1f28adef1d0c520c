package store

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/roster-dev/roster"
)

// Ensure the check's decoder reads every record version as decodeUser
// does and fails where it fails: on every truncation and on random damage.
// Were a field added to decodeUser and not to decodeUserFact, this fails.
func TestDecodeUserFactAgrees(t *testing.T) {
	plain := &roster.User{ID: 9, Username: "bo", Email: " Bo@Ex.COM ", UIDNumber: 10001}
	nonASCII := fullUser()
	nonASCII.Email = "ÉMILE@Exämple.org"
	records := [][]byte{
		encodeUser(fullUser()), encodeUser(plain), encodeUser(nonASCII),
		encodeUserV3(fullUser()), encodeUserV2(fullUser()), encodeUserV1(fullUser()),
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for r, rec := range records {
		agree(t, rec)
		for i := range len(rec) {
			agree(t, rec[:i])
		}
		for range 2000 {
			bad := slices.Clone(rec)
			for range 1 + rnd.IntN(3) {
				bad[rnd.IntN(len(bad))] = byte(rnd.Uint32())
			}
			agree(t, bad)
		}
		if t.Failed() {
			t.Fatalf("record %d", r)
		}
	}
}

func agree(t *testing.T, rec []byte) {
	t.Helper()
	u, err := decodeUser(rec)
	start := []uint64{77}
	f, groups, ferr := decodeUserFact(rec, start)
	if (err == nil) != (ferr == nil) {
		t.Errorf("%x: decodeUser %v, decodeUserFact %v", rec, err, ferr)
		return
	}
	if err != nil {
		if !slices.Equal(groups, start) {
			t.Errorf("%x: a failed decode left groups %v", rec, groups)
		}
		return
	}
	got := []any{f.id, string(f.username), string(appendNormalEmail(nil, f.email)), f.uidNumber, f.expires, groups}
	want := []any{u.ID, u.Username, roster.NormalizeEmail(u.Email), u.UIDNumber, !u.ExpiresAt.IsZero(), append([]uint64{77}, u.GroupIDs...)}
	for i := range got {
		if !equalAny(got[i], want[i]) {
			t.Errorf("%x: field %d is %v, decodeUser says %v", rec, i, got[i], want[i])
		}
	}
}

func equalAny(a, b any) bool {
	if x, ok := a.([]uint64); ok {
		return slices.Equal(x, b.([]uint64))
	}
	return a == b
}
