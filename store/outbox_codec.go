package store

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/roster-dev/roster"
	bolt "go.etcd.io/bbolt"
)

// Job records, their index keys and their compressed bodies.

// dueKey orders the outbox_due index by time, then job id.
func dueKey(t time.Time, id uint64) []byte {
	k := make([]byte, 16)
	n := t.UnixNano()
	if n < 0 {
		n = 0
	}
	binary.BigEndian.PutUint64(k, uint64(n))
	binary.BigEndian.PutUint64(k[8:], id)
	return k
}

func getJobTx(tx *bolt.Tx, id uint64) (*Job, error) {
	v := tx.Bucket(bucketOutbox).Get(u64(id))
	if v == nil {
		return nil, roster.Errorf(roster.ENOTFOUND, "no outbox job %d", id)
	}
	return decodeJob(v)
}

func putJobTx(tx *bolt.Tx, j *Job) error {
	return tx.Bucket(bucketOutbox).Put(u64(j.ID), encodeJob(j))
}

const jobRecordV1 = 1

func encodeJob(j *Job) []byte {
	e := encoder{b: make([]byte, 0, 64+len(j.To)+len(j.Owner)+len(j.Detail))}
	e.byte(jobRecordV1)
	e.uvarint(j.ID)
	e.uvarint(j.UserID)
	e.byte(byte(j.Kind))
	e.byte(byte(j.State))
	e.str(j.To)
	e.uvarint(uint64(j.Attempts))
	e.time(j.CreatedAt)
	e.time(j.Due)
	e.str(j.Owner)
	e.str(j.Detail)
	e.time(j.DoneAt)
	e.str(j.Key)
	return e.b
}

// decodeJobState reads only the state, attempts and due time of a job record.
func decodeJobState(b []byte) (JobState, int, time.Time, error) {
	d := decoder{b: b}
	if v := d.byte(); v != jobRecordV1 {
		return 0, 0, time.Time{}, errCorrupt
	}
	d.uvarint() // id
	d.uvarint() // user
	d.byte()    // kind
	state := JobState(d.byte())
	if n := d.uvarint(); d.err == nil && n <= uint64(len(d.b)) {
		d.b = d.b[n:] // To, skipped without a copy
	} else {
		d.err = errCorrupt
	}
	attempts := int(d.uvarint())
	d.time() // created
	due := d.time()
	return state, attempts, due, d.err
}

func decodeJob(b []byte) (*Job, error) {
	d := decoder{b: b}
	if v := d.byte(); v != jobRecordV1 {
		return nil, errCorrupt
	}
	j := &Job{}
	j.ID = d.uvarint()
	j.UserID = d.uvarint()
	j.Kind = MailKind(d.byte())
	j.State = JobState(d.byte())
	j.To = d.str()
	j.Attempts = int(d.uvarint())
	j.CreatedAt = d.time()
	j.Due = d.time()
	j.Owner = d.str()
	j.Detail = d.str()
	j.DoneAt = d.time()
	if len(d.b) > 0 { // records written before jobs had keys end here
		j.Key = d.str()
	}
	if d.err != nil {
		return nil, d.err
	}
	return j, nil
}

// Bodies are stored compressed: a rendered invitation of about 2.2 kB
// takes about 1 kB, so several share a page, and the pages a bulk
// invitation writes, and later frees, are a third as many (every open of
// the file reads the list of free pages).
const bodyFlate = 1

var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

var flateReaders sync.Pool // of flate readers, which carry a 32 kB window each

// packBody compresses a message for the outbox_body bucket.
func packBody(b []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b)/2 + 16)
	buf.WriteByte(bodyFlate)
	w := flateWriters.Get().(*flate.Writer)
	w.Reset(&buf)
	_, _ = w.Write(b) // writes to a bytes.Buffer do not fail
	_ = w.Close()
	flateWriters.Put(w)
	return buf.Bytes()
}

// unpackBody returns a stored body as a new slice; nil stays nil.
func unpackBody(b []byte) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	if len(b) == 0 || b[0] != bodyFlate {
		return append([]byte(nil), b...), nil
	}
	r, _ := flateReaders.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReader(bytes.NewReader(b[1:]))
	} else if err := r.(flate.Resetter).Reset(bytes.NewReader(b[1:]), nil); err != nil {
		return nil, fmt.Errorf("outbox body: %w", err)
	}
	out := make([]byte, 0, 3*len(b))
	out, err := readAllInto(out, r)
	flateReaders.Put(r)
	if err != nil {
		return nil, fmt.Errorf("outbox body: %w", err)
	}
	return out, nil
}

func readAllInto(out []byte, r io.Reader) ([]byte, error) {
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := r.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, err
		}
	}
}

// newJobKey makes the random key a job's return path carries (64 bits, hex).
func newJobKey() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", roster.Errorf(roster.EINTERNAL, "outbox: random key: %v", err)
	}
	return hex.EncodeToString(b), nil
}
