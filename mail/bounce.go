package mail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // bounces come in every charset
	"github.com/roster-dev/roster/store"
)

// envelopeTag marks Roster's job in a return path or ENVID.
const envelopeTag = "roster-"

// EnvelopeID is the ENVID (RFC 3461) of a job's message: a DSN about it
// carries it back as Original-Envelope-Id. It names the job and its
// random key (roster-JOB-KEY): job numbers are sequential, so a forged
// bounce could name a real one; it cannot guess the key.
func EnvelopeID(j *store.Job) string {
	id := envelopeTag + strconv.FormatUint(j.ID, 10)
	if j.Key != "" {
		id += "-" + j.Key
	}
	return id
}

// VERPAddress is the return path of a job's message when the relay offers
// no DSN: local+roster-JOB-KEY@domain, so the bounce's envelope recipient
// names the job.
func VERPAddress(bounce string, j *store.Job) string {
	at := strings.LastIndexByte(bounce, '@')
	if at < 0 {
		return bounce
	}
	return bounce[:at] + "+" + EnvelopeID(j) + bounce[at:]
}

// envelopeHeader carries the tag in the message itself, for bounces that
// quote the headers they returned but lost the envelope.
const envelopeHeader = "X-Roster-Envelope"

// keyedTagRE finds a tag with its key anywhere in a bounce's text.
var keyedTagRE = regexp.MustCompile(`(?i)\b` + envelopeTag + `[0-9]{1,19}-[0-9a-f]{16}\b`)

var jobTagRE = regexp.MustCompile(`(?i)\b` + envelopeTag + `([0-9]{1,19})(?:-([0-9a-f]{16}))?\b`)

// jobTag is what a VERP address or an ENVID says of the job.
type jobTag struct {
	id  uint64
	key string
}

// jobFromTag reads the job number and key in a VERP address or an ENVID.
func jobFromTag(s string) jobTag {
	m := jobTagRE.FindStringSubmatch(s)
	if m == nil {
		return jobTag{}
	}
	n, _ := strconv.ParseUint(m[1], 10, 64)
	return jobTag{id: n, key: strings.ToLower(m[2])}
}

// ErrNotBounce is the answer for a message that is not a recognised
// bounce: it is left where it was, for a person to read.
var ErrNotBounce = errors.New("not a recognised bounce")

// maxBounce bounds what is read of one message.
const maxBounce = 4 << 20

// ParseBounce reads a bounce: an RFC 3464 delivery status notification
// (multipart/report, or a message/delivery-status part anywhere, as some
// Exchange versions send), else the plain-text forms of Gmail, Exchange
// and qmail. It returns one store.Bounce per failed or delayed recipient,
// with the job found from Original-Envelope-Id or the VERP address the
// bounce was delivered to. A permanent failure of the recipient (5.1.x,
// 5.2.x) is Hard; a delay, a 4.x.x or a 5.x.x about Roster's mail (policy,
// content) is recorded but blocks nobody. ErrNotBounce says the message
// is none of these.
func ParseBounce(r io.Reader) ([]store.Bounce, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxBounce+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxBounce {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrNotBounce, maxBounce)
	}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, fmt.Errorf("%w: %v", ErrNotBounce, err)
	}
	var job jobTag
	for _, h := range []string{"X-Original-To", "Delivered-To", "To", "Envelope-To"} {
		for _, v := range e.Header.Values(h) {
			if job.id == 0 {
				job = jobFromTag(v)
			}
		}
	}
	if job.id == 0 {
		// No tag on the envelope: look in the returned headers.
		job = jobFromTag(keyedTagRE.FindString(string(raw)))
	}
	var out []store.Bounce
	var texts []string
	walkErr := e.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil {
			return nil // an unreadable part: look at the others
		}
		t, _, _ := part.Header.ContentType()
		switch t {
		case "message/delivery-status", "message/global-delivery-status":
			b, err := readDSN(part.Body, job)
			if err != nil {
				return err
			}
			out = append(out, b...)
		case "text/plain", "":
			if len(texts) < 4 {
				b, _ := io.ReadAll(io.LimitReader(part.Body, 64<<10))
				texts = append(texts, string(b))
			}
		}
		return nil
	})
	if walkErr != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBounce, walkErr)
	}
	if len(out) == 0 && looksLikeBounce(e.Header) {
		for _, t := range texts {
			if out = textBounce(t, job); len(out) > 0 {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, ErrNotBounce
	}
	return out, nil
}

// readDSN reads the fields of a message/delivery-status body: one block
// for the message, then one per recipient (RFC 3464 section 2).
func readDSN(body io.Reader, job jobTag) ([]store.Bounce, error) {
	tr := textproto.NewReader(bufio.NewReader(io.LimitReader(body, 1<<20)))
	perMessage, err := tr.ReadMIMEHeader()
	if err != nil && len(perMessage) == 0 {
		return nil, nil
	}
	if tag := jobFromTag(perMessage.Get("Original-Envelope-Id")); tag.id != 0 {
		job = tag
	}
	var out []store.Bounce
	for range 1000 {
		f, err := tr.ReadMIMEHeader()
		if len(f) > 0 {
			if b, ok := dsnRecipient(f, job); ok {
				out = append(out, b)
			}
		}
		if err != nil {
			break
		}
	}
	return out, nil
}

// dsnRecipient turns one per-recipient block into a Bounce, for the
// actions that are failures: failed (permanent) and delayed (temporary).
func dsnRecipient(f textproto.MIMEHeader, job jobTag) (store.Bounce, bool) {
	action := strings.ToLower(strings.TrimSpace(f.Get("Action")))
	if action != "failed" && action != "delayed" {
		return store.Bounce{}, false // delivered, relayed, expanded: no failure
	}
	rcpt := addressOf(f.Get("Original-Recipient"))
	if final := addressOf(f.Get("Final-Recipient")); final != "" {
		rcpt = final
	}
	if rcpt == "" {
		return store.Bounce{}, false
	}
	status := strings.TrimSpace(f.Get("Status"))
	diag := strings.TrimSpace(f.Get("Diagnostic-Code"))
	if i := strings.IndexByte(diag, ';'); i >= 0 && i < 12 {
		diag = strings.TrimSpace(diag[i+1:]) // "smtp; 550 5.1.1 …"
	}
	detail := diag
	if !strings.Contains(diag, status) {
		detail = status + " " + diag
	}
	detail = strings.Join(strings.Fields(detail), " ")
	if mta := addressOf(f.Get("Remote-MTA")); mta != "" {
		detail += " (" + mta + ")"
	}
	return judge(job, rcpt, action == "failed", status, detail), true
}

// judge decides a bounce's weight from its status code: only the
// recipient's permanent failures are hard.
func judge(job jobTag, rcpt string, failed bool, status, detail string) store.Bounce {
	if len(detail) > 300 {
		detail = detail[:300] + "…"
	}
	b := store.Bounce{JobID: job.id, JobKey: job.key, Recipient: rcpt, Detail: detail}
	parts := strings.Split(status, ".")
	if !failed || len(parts) != 3 || parts[0] != "5" {
		return b // delayed, or temporary: recorded, nobody blocked
	}
	switch {
	case parts[1] == "1" && parts[2] != "7" && parts[2] != "8", parts[1] == "2":
		b.Hard = true
	case parts[1] == "0" && strings.Contains(detail, " 550 "):
		b.Hard = true
	default:
		b.Detail = SettingsPrefix + detail // refused for Roster's mail, not the address
	}
	return b
}

// addressOf reads "rfc822; ada@example.com" or "<ada@example.com>".
func addressOf(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[i+1:]
	}
	v = strings.Trim(strings.TrimSpace(v), "<>")
	if !strings.Contains(v, "@") || strings.ContainsAny(v, " \t") {
		return ""
	}
	return v
}

// looksLikeBounce says whether a message is from a mailer daemon: the
// null return path, or a sender or subject that every MTA uses.
func looksLikeBounce(h message.Header) bool {
	rp := strings.TrimSpace(h.Get("Return-Path"))
	if rp == "<>" {
		return true
	}
	from := strings.ToLower(h.Get("From"))
	for _, s := range []string{"mailer-daemon", "postmaster", "mail delivery"} {
		if strings.Contains(from, s) {
			return true
		}
	}
	subj := strings.ToLower(h.Get("Subject"))
	for _, s := range []string{"undeliverable", "undelivered", "delivery status notification", "failure notice", "returned mail", "delivery failure"} {
		if strings.Contains(subj, s) {
			return true
		}
	}
	return false
}

var (
	// Gmail: "Delivery to the following recipient failed permanently:\n\n     ada@example.com"
	gmailRE = regexp.MustCompile(`(?i)delivery to the following recipients? failed (permanently|temporarily):\s+([^\s<>@]+@[^\s<>]+)`)
	// Exchange / Microsoft 365: "Delivery has failed to these recipients or groups:\n\nada@example.com"
	exchangeRE = regexp.MustCompile(`(?i)delivery has failed to these recipients or groups:\s+(?:[^\n<]*<)?([^\s<>@]+@[^\s<>]+?)>?\s`)
	// qmail: "<ada@example.com>:\n… Sorry, no mailbox here by that name."
	qmailRE = regexp.MustCompile(`(?is)this is the qmail-send program.*?<([^\s<>@]+@[^\s<>]+)>:\s*\n(.*?)(?:\n\n|$)`)
	// qmail's status: "(#5.1.1)".
	qmailCodeRE = regexp.MustCompile(`\(#([45]\.[0-9]{1,3}\.[0-9]{1,3})\)`)
	// An SMTP reply quoted in the text: "550 5.1.1 …" or "550-5.1.1 …".
	replyRE = regexp.MustCompile(`\b([45][0-9][0-9])[ -]([45]\.[0-9]{1,3}\.[0-9]{1,3})\b[^\n]*`)
)

// textBounce reads the plain-text forms of bounces that carry no
// delivery-status part.
func textBounce(text string, job jobTag) []store.Bounce {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var rcpt, rest string
	failed := true
	switch {
	case gmailRE.MatchString(text):
		m := gmailRE.FindStringSubmatch(text)
		rcpt, failed = m[2], strings.EqualFold(m[1], "permanently")
		rest = text
	case exchangeRE.MatchString(text):
		rcpt, rest = exchangeRE.FindStringSubmatch(text)[1], text
	case qmailRE.MatchString(text):
		m := qmailRE.FindStringSubmatch(text)
		rcpt, rest = m[1], m[2]
	default:
		return nil
	}
	status, detail := "", strings.Join(strings.Fields(rest), " ")
	if m := replyRE.FindStringSubmatch(rest); m != nil {
		status, detail = m[2], strings.Join(strings.Fields(m[0]), " ")
	} else if m := qmailCodeRE.FindStringSubmatch(rest); m != nil {
		status = m[1]
	} else if failed {
		// No code quoted: the forms above only say "failed permanently"
		// for the recipient's address.
		status = "5.1.1"
		detail = "5.1.1 (no status code in the bounce) " + detail
	}
	return []store.Bounce{judge(job, strings.TrimRight(rcpt, ".,;:"), failed, status, detail)}
}
