package store

import (
	"bytes"
	"crypto/rsa"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
	gossh "golang.org/x/crypto/ssh"
)

// SSH public keys let users sign in to Roster over SSH. A key belongs to
// exactly one user; its SHA-256 fingerprint is unique across the database.
//
//	ssh_keys          fingerprint ("SHA256:…") → key record
//	ssh_keys_by_user  user id + fingerprint → empty
var (
	bucketSSHKeys       = []byte("ssh_keys")
	bucketSSHKeysByUser = []byte("ssh_keys_by_user")
)

func init() { allBuckets = append(allBuckets, bucketSSHKeys, bucketSSHKeysByUser) }

// maxKeyComment bounds a key's comment, which is shown in lists.
const maxKeyComment = 200

// SSHKey is a public key registered on a user.
type SSHKey struct {
	Fingerprint string // "SHA256:" and the unpadded base64 of the key's SHA-256
	UserID      uint64
	Type        string // "ssh-ed25519", "ssh-rsa", …
	PublicKey   []byte // SSH wire format
	Comment     string
	AddedAt     time.Time
	LastUsedAt  time.Time // zero until the first sign-in with the key
}

// AuthorizedKey returns the key as one authorized_keys line, with its comment.
func (k *SSHKey) AuthorizedKey() string {
	pub, err := gossh.ParsePublicKey(k.PublicKey)
	if err != nil {
		return ""
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pub)))
	if k.Comment != "" {
		line += " " + k.Comment
	}
	return line
}

// ParseKey reads one public key in authorized_keys form ("ssh-ed25519 AAAA…
// comment"). It refuses, with EINVALID on field "key", a private key, a
// certificate, key options, DSA and RSA keys shorter than 2048 bits, and
// text holding more than one key.
func ParseKey(text string) (gossh.PublicKey, string, error) {
	text = strings.TrimSpace(text)
	if strings.Contains(text, "PRIVATE KEY") {
		// Never echo it back: it is a secret.
		return nil, "", roster.FieldErrorf(roster.EINVALID, "key", "this is a private key; give the public key (the .pub file) and keep the private one secret")
	}
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	switch {
	case len(lines) == 0:
		return nil, "", roster.FieldErrorf(roster.EINVALID, "key", "no public key given")
	case len(lines) > 1:
		return nil, "", roster.FieldErrorf(roster.EINVALID, "key", "%d keys given; add one key at a time", len(lines))
	}
	pub, comment, options, rest, err := gossh.ParseAuthorizedKey([]byte(lines[0]))
	if err != nil {
		return nil, "", roster.FieldErrorf(roster.EINVALID, "key", "not an SSH public key (want a line like \"ssh-ed25519 AAAA… you@host\")")
	}
	if len(options) > 0 || len(bytes.TrimSpace(rest)) > 0 {
		return nil, "", roster.FieldErrorf(roster.EINVALID, "key", "authorized_keys options are not supported; give the bare key")
	}
	if _, ok := pub.(*gossh.Certificate); ok {
		return nil, "", roster.FieldErrorf(roster.EINVALID, "key", "certificates are not supported; give the plain public key")
	}
	switch pub.Type() {
	case "ssh-dss": // gossh.KeyAlgoDSA, deprecated because DSA is weak: the reason we refuse it
		return nil, "", roster.FieldErrorf(roster.EINVALID, "key", "DSA keys are too weak; use ed25519 (ssh-keygen -t ed25519)")
	case gossh.KeyAlgoRSA:
		if ck, ok := pub.(gossh.CryptoPublicKey); ok {
			if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && rk.N.BitLen() < 2048 {
				return nil, "", roster.FieldErrorf(roster.EINVALID, "key", "RSA keys need at least 2048 bits (this one has %d); use ed25519", rk.N.BitLen())
			}
		}
	}
	comment = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(comment))
	if len([]rune(comment)) > maxKeyComment {
		comment = string([]rune(comment)[:maxKeyComment])
	}
	return pub, comment, nil
}

// NormalizeFingerprint accepts a fingerprint with or without its "SHA256:"
// prefix and returns it with.
func NormalizeFingerprint(fp string) string {
	fp = strings.TrimSpace(fp)
	if len(fp) >= 7 && strings.EqualFold(fp[:7], "SHA256:") {
		fp = fp[7:]
	}
	return "SHA256:" + fp
}

// AddKey registers a public key (one authorized_keys line, see ParseKey) on
// the user. EINVALID for a bad key, ECONFLICT when the key is registered
// already (to this or another user), ENOTFOUND for an unknown user,
// EFORBIDDEN when the actor may not manage the user's keys.
func (db *DB) AddKey(actor roster.Actor, uid uint64, line string) (*SSHKey, error) {
	pub, comment, err := ParseKey(line)
	if err != nil {
		return nil, err
	}
	var k *SSHKey
	err = db.update(func(tx *bolt.Tx) error {
		actor, u, err := userForTx(tx, actor, roster.OpAddKey, uid)
		if err != nil {
			return err
		}
		fp := gossh.FingerprintSHA256(pub)
		if v := tx.Bucket(bucketSSHKeys).Get([]byte(fp)); v != nil {
			old, err := decodeKey(fp, v)
			if err != nil {
				return err
			}
			if old.UserID == uid {
				return roster.FieldErrorf(roster.ECONFLICT, "key", "%s already has this key (%s)", u.Username, fp)
			}
			// Whose it is stays unsaid (no key oracle).
			return roster.FieldErrorf(roster.ECONFLICT, "key", "this key is registered already; each key signs in one user")
		}
		now := db.now()
		k = &SSHKey{Fingerprint: fp, UserID: uid, Type: pub.Type(), PublicKey: pub.Marshal(), Comment: comment, AddedAt: now}
		if err := tx.Bucket(bucketSSHKeys).Put([]byte(fp), encodeKey(k)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketSSHKeysByUser).Put(keyByUser(uid, fp), nil); err != nil {
			return err
		}
		details := fp + " " + k.Type
		if comment != "" {
			details += fmt.Sprintf(" %q", comment)
		}
		return writeAudit(tx, now, actor, roster.ActionKeyAdd, []string{u.Username}, []uint64{u.ID}, details)
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Keys returns the user's keys, oldest first. Members see only their own;
// admins and owners see everyone's. ENOTFOUND for an unknown user.
func (db *DB) Keys(actor roster.Actor, uid uint64) ([]*SSHKey, error) {
	var keys []*SSHKey
	err := db.view(func(tx *bolt.Tx) error {
		_, _, err := userForTx(tx, actor, roster.OpReadKeys, uid)
		if err != nil {
			return err
		}
		keys, err = userKeysTx(tx, uid)
		return err
	})
	return keys, err
}

func userKeysTx(tx *bolt.Tx, uid uint64) ([]*SSHKey, error) {
	var keys []*SSHKey
	prefix := u64(uid)
	all := tx.Bucket(bucketSSHKeys)
	c := tx.Bucket(bucketSSHKeysByUser).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		fp := string(k[8:])
		v := all.Get([]byte(fp))
		if v == nil {
			return nil, fmt.Errorf("key index %s of user %d points at nothing: %w", fp, uid, errCorrupt)
		}
		key, err := decodeKey(fp, v)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	slices.SortStableFunc(keys, func(a, b *SSHKey) int { return a.AddedAt.Compare(b.AddedAt) })
	return keys, nil
}

// RemoveKey takes a key off the user. The fingerprint may omit "SHA256:".
// ENOTFOUND when the user has no such key; powers as for AddKey.
func (db *DB) RemoveKey(actor roster.Actor, uid uint64, fingerprint string) error {
	fp := NormalizeFingerprint(fingerprint)
	return db.update(func(tx *bolt.Tx) error {
		actor, u, err := userForTx(tx, actor, roster.OpRemoveKey, uid)
		if err != nil {
			return err
		}
		byUser := tx.Bucket(bucketSSHKeysByUser)
		if byUser.Get(keyByUser(uid, fp)) == nil {
			return roster.FieldErrorf(roster.ENOTFOUND, "fingerprint", "%s has no key %s", u.Username, fp)
		}
		if err := byUser.Delete(keyByUser(uid, fp)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketSSHKeys).Delete([]byte(fp)); err != nil {
			return err
		}
		return writeAudit(tx, db.now(), actor, roster.ActionKeyRemove, []string{u.Username}, []uint64{u.ID}, fp)
	})
}

// UserByKey returns the user a public key belongs to and the key's record,
// whatever the user's status: the caller decides who may sign in.
// ENOTFOUND for a key no user has.
func (db *DB) UserByKey(pub gossh.PublicKey) (*roster.User, *SSHKey, error) {
	fp := gossh.FingerprintSHA256(pub)
	var u *roster.User
	var k *SSHKey
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSSHKeys).Get([]byte(fp))
		if v == nil {
			return roster.Errorf(roster.ENOTFOUND, "unknown key %s", fp)
		}
		var err error
		if k, err = decodeKey(fp, v); err != nil {
			return err
		}
		if !bytes.Equal(k.PublicKey, pub.Marshal()) {
			return roster.Errorf(roster.ENOTFOUND, "unknown key %s", fp)
		}
		u, err = getUserTx(tx, k.UserID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return u, k, nil
}

// KeyUsed sets a key's last-used time. It leaves the change counter alone:
// the sign-in it belongs to is recorded by RecordLogin, which moves it.
func (db *DB) KeyUsed(fingerprint string) error {
	fp := NormalizeFingerprint(fingerprint)
	return db.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSSHKeys)
		v := b.Get([]byte(fp))
		if v == nil {
			return roster.Errorf(roster.ENOTFOUND, "unknown key %s", fp)
		}
		k, err := decodeKey(fp, v)
		if err != nil {
			return err
		}
		k.LastUsedAt = db.now()
		return b.Put([]byte(fp), encodeKey(k))
	})
}

// deleteUserKeysTx removes a deleted user's keys.
func deleteUserKeysTx(tx *bolt.Tx, uid uint64) error {
	prefix := u64(uid)
	all := tx.Bucket(bucketSSHKeys)
	c := tx.Bucket(bucketSSHKeysByUser).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := all.Delete(k[8:]); err != nil {
			return err
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func keyByUser(uid uint64, fp string) []byte {
	k := make([]byte, 8, 8+len(fp))
	binary.BigEndian.PutUint64(k, uid)
	return append(k, fp...)
}

const keyRecordV1 = 1

func encodeKey(k *SSHKey) []byte {
	e := encoder{b: make([]byte, 0, 64+len(k.PublicKey)+len(k.Comment))}
	e.byte(keyRecordV1)
	e.uvarint(k.UserID)
	e.str(k.Type)
	e.str(string(k.PublicKey))
	e.str(k.Comment)
	e.time(k.AddedAt)
	e.time(k.LastUsedAt)
	return e.b
}

func decodeKey(fp string, b []byte) (*SSHKey, error) {
	d := decoder{b: b}
	if v := d.byte(); v != keyRecordV1 {
		return nil, fmt.Errorf("key %s: %w", fp, errCorrupt)
	}
	k := &SSHKey{Fingerprint: fp}
	k.UserID = d.uvarint()
	k.Type = d.str()
	k.PublicKey = []byte(d.str())
	k.Comment = d.str()
	k.AddedAt = d.time()
	k.LastUsedAt = d.time()
	if d.err != nil {
		return nil, fmt.Errorf("key %s: %w", fp, d.err)
	}
	return k, nil
}
