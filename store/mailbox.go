package store

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// The built-in dev mailbox: with no SMTP server configured, Roster delivers
// to an SMTP server of its own on loopback, which keeps what it receives
// here so a person can read invitations (and follow their links) in the
// TUI or with `roster mailbox`. The raw tokens in these messages are the
// point of the mailbox; it keeps only the newest MailboxLimit messages.
//
//	mailbox   id → message record
var bucketMailbox = []byte("mailbox")

func init() { allBuckets = append(allBuckets, bucketMailbox) }

// MailboxLimit is how many messages the dev mailbox keeps.
const MailboxLimit = 5000

// MailboxMessage is one message the dev mailbox received.
type MailboxMessage struct {
	ID         uint64    `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	From       string    `json:"from"` // envelope sender
	To         []string  `json:"to"`   // envelope recipients
	Subject    string    `json:"subject"`
	Link       string    `json:"link,omitempty"` // the first link in the text part
	Text       string    `json:"text"`           // the plain-text part, decoded
	Raw        []byte    `json:"-"`              // the message as received
}

// AddMailboxMessages stores messages in the dev mailbox in one transaction
// (the mailbox server groups what its connections receive) and drops the
// oldest beyond MailboxLimit. It sets each message's ID.
func (db *DB) AddMailboxMessages(msgs []*MailboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMailbox)
		for _, m := range msgs {
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			m.ID = id
			if err := b.Put(u64(id), encodeMailbox(m)); err != nil {
				return err
			}
		}
		for n := b.Stats().KeyN + len(msgs); n > MailboxLimit; n-- {
			k, _ := b.Cursor().First()
			if k == nil {
				break
			}
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// MailboxMessages returns the dev mailbox's messages, newest first, at most
// limit of them (0: all). With raw false the Raw field is left empty.
//
// The mailbox holds live links, which are passwords in waiting: reading it
// needs OpReadMailbox (owners), and each message's link is masked unless
// the table lets the reader see the addressee's links (OpReadLinks: owners,
// and everyone their own). Showing someone else's live link is audited
// (mailbox.read, naming whose links were shown).
func (db *DB) MailboxMessages(actor roster.Actor, limit int, raw bool) ([]*MailboxMessage, error) {
	var out []*MailboxMessage
	var shown []*roster.User
	var reader roster.Actor
	err := db.view(func(tx *bolt.Tx) error {
		out, shown = out[:0], shown[:0]
		a, err := mayTx(tx, actor, roster.OpReadMailbox, nil)
		if err != nil {
			return err
		}
		reader = a
		now := db.now()
		c := tx.Bucket(bucketMailbox).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			m, err := decodeMailbox(v, raw)
			if err != nil {
				return fmt.Errorf("mailbox message %d: %w", idFromKey(k), err)
			}
			if u := revealLinkTx(tx, a, m, now); u != nil {
				shown = append(shown, u)
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil || len(shown) == 0 {
		return out, err
	}
	names, ids := userTargets(shown)
	err = db.write(func(tx *bolt.Tx) error {
		return writeAudit(tx, db.now(), reader, roster.ActionMailboxRead, names, ids,
			fmt.Sprintf("live links of %d users shown in the dev mailbox", len(names)))
	})
	return out, err
}

// revealLinkTx masks m's link unless reader may see the addressee's links.
// It returns the addressee when it showed a live link that is not the
// reader's own, for the audit log.
func revealLinkTx(tx *bolt.Tx, reader roster.Actor, m *MailboxMessage, now time.Time) *roster.User {
	token := linkToken(m.Link)
	if token == "" {
		return nil
	}
	var addressee *roster.User
	if len(m.To) > 0 {
		addressee, _ = findUserTx(tx, m.To[0])
	}
	if reader.May(roster.OpReadLinks, addressee) != nil {
		maskLink(m, token)
		return nil
	}
	t, u, err := tokenTx(tx, token, now)
	if err != nil || t == nil || reader.IsSelf(u) {
		return nil
	}
	return u
}

// maskedToken replaces a link's token where the reader may not see it.
const maskedToken = "[hidden: only an owner or the addressee sees this link]"

// linkToken returns the token in a link Roster made (its last path
// segment), or "".
func linkToken(link string) string {
	i := strings.LastIndexByte(link, '/')
	if i < 0 || len(link)-i-1 < 20 {
		return ""
	}
	return link[i+1:]
}

func maskLink(m *MailboxMessage, token string) {
	m.Link = strings.ReplaceAll(m.Link, token, maskedToken)
	m.Text = strings.ReplaceAll(m.Text, token, maskedToken)
	if m.Raw != nil {
		m.Raw = bytes.ReplaceAll(m.Raw, []byte(token), []byte(maskedToken))
	}
}

// MailboxFor returns the newest dev-mailbox messages to one address
// (compared without regard to letter case), newest first.
func (db *DB) MailboxFor(actor roster.Actor, address string, limit int) ([]*MailboxMessage, error) {
	all, err := db.MailboxMessages(actor, 0, false)
	if err != nil {
		return nil, err
	}
	want := []byte(address)
	var out []*MailboxMessage
	for _, m := range all {
		for _, to := range m.To {
			if bytes.EqualFold([]byte(to), want) {
				out = append(out, m)
				break
			}
		}
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// ClearMailbox empties the dev mailbox.
func (db *DB) ClearMailbox(actor roster.Actor) error {
	return db.update(func(tx *bolt.Tx) error {
		if _, err := mayTx(tx, actor, roster.OpClearMailbox, nil); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketMailbox); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketMailbox)
		return err
	})
}

const mailboxRecordV1 = 1

func encodeMailbox(m *MailboxMessage) []byte {
	e := encoder{b: make([]byte, 0, 64+len(m.Raw)+len(m.Text))}
	e.byte(mailboxRecordV1)
	e.uvarint(m.ID)
	e.time(m.ReceivedAt)
	e.str(m.From)
	e.uvarint(uint64(len(m.To)))
	for _, to := range m.To {
		e.str(to)
	}
	e.str(m.Subject)
	e.str(m.Link)
	e.str(m.Text)
	e.str(string(m.Raw))
	return e.b
}

func decodeMailbox(b []byte, raw bool) (*MailboxMessage, error) {
	d := decoder{b: b}
	if v := d.byte(); v != mailboxRecordV1 {
		return nil, errCorrupt
	}
	m := &MailboxMessage{}
	m.ID = d.uvarint()
	m.ReceivedAt = d.time()
	m.From = d.str()
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, errCorrupt
	}
	for i := uint64(0); i < n; i++ {
		m.To = append(m.To, d.str())
	}
	m.Subject = d.str()
	m.Link = d.str()
	m.Text = d.str()
	if raw {
		m.Raw = []byte(d.str())
	}
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}
