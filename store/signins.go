package store

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// SignIn is one successful sign-in: when, through which door (ssh, ldap)
// and from where. The audit log already keeps every sign-in (RecordLogin),
// indexed by user, so SignIns reads them from there; nothing more is
// written on the hot path of a bind.
type SignIn struct {
	At   time.Time `json:"at"`
	Via  string    `json:"via"`
	From string    `json:"from"`
}

// SignIns returns the user's last sign-ins, newest first, at most limit
// (0: 5). It needs the power to read the user's details.
func (db *DB) SignIns(actor roster.Actor, uid uint64, limit int) ([]SignIn, error) {
	if limit <= 0 {
		limit = 5
	}
	var out []SignIn
	login := []byte(`"` + roster.ActionLogin + `"`)
	err := db.view(func(tx *bolt.Tx) error {
		if _, _, err := userForTx(tx, actor, roster.OpReadUser, uid); err != nil {
			return err
		}
		events := tx.Bucket(bucketAudit)
		for _, id := range userEventIDsTx(tx, uid) {
			data := events.Get(u64(id))
			if data == nil || !bytes.Contains(data, login) {
				continue
			}
			var ev roster.AuditEvent
			if json.Unmarshal(data, &ev) != nil || ev.Action != roster.ActionLogin {
				continue
			}
			out = append(out, parseSignIn(ev))
			if len(out) == limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// parseSignIn reads RecordLogin's details: "via DOOR from WHERE".
func parseSignIn(ev roster.AuditEvent) SignIn {
	s := SignIn{At: ev.Time}
	rest, ok := strings.CutPrefix(ev.Details, "via ")
	if !ok {
		s.From = ev.Details
		return s
	}
	s.Via, s.From, _ = strings.Cut(rest, " from ")
	return s
}
