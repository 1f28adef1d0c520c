package ldap

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
)

// searchRequest is a decoded SearchRequest (RFC 4511 section 4.5.1).
type searchRequest struct {
	base      string
	scope     int
	sizeLimit int
	typesOnly bool
	filter    *filter
	filterRaw []byte // the filter as sent, for the paged-results cookie
	attrs     []string
	paging    *pagingControl
}

// pagingControl is the simple paged results control (RFC 2696).
type pagingControl struct {
	size   int
	cookie []byte
}

// errBadSearch means a search request that does not decode.
type errBadSearch struct{ what string }

func (e errBadSearch) Error() string { return e.what }

// decodeSearch reads a SearchRequest and its controls.
func decodeSearch(req request) (searchRequest, error) {
	f, err := req.op.children()
	if err != nil || len(f) != 8 {
		return searchRequest{}, errBadSearch{"malformed search request"}
	}
	var m searchRequest
	if f[0].id != berOctetString || f[1].id != berEnumerated || f[2].id != berEnumerated ||
		f[3].id != berInteger || f[4].id != berInteger || f[5].id != berBoolean || f[7].id != berSequence {
		return m, errBadSearch{"malformed search request"}
	}
	m.base = f[0].str()
	scope, err1 := f[1].integer()
	size, err2 := f[3].integer()
	typesOnly, err3 := f[5].boolean()
	if err1 != nil || err2 != nil || err3 != nil || size < 0 {
		return m, errBadSearch{"malformed search request"}
	}
	if scope < scopeBase || scope > scopeSub {
		return m, errBadSearch{"unknown scope"}
	}
	m.scope, m.sizeLimit, m.typesOnly = int(scope), int(min(size, 1<<31-1)), typesOnly
	if m.filter, err = decodeFilter(f[6], 0); err != nil {
		return m, errBadSearch{"invalid filter"}
	}
	m.filterRaw = f[6].content
	attrs, err := f[7].children()
	if err != nil {
		return m, errBadSearch{"malformed attribute list"}
	}
	for _, a := range attrs {
		if a.id != berOctetString {
			return m, errBadSearch{"malformed attribute list"}
		}
		m.attrs = append(m.attrs, a.str())
	}
	for _, c := range req.controls {
		if c.oid != oidPaging {
			continue
		}
		p, err := decodePaging(c.value)
		if err != nil {
			return m, errBadSearch{"malformed paged results control"}
		}
		m.paging = p
	}
	return m, nil
}

func decodePaging(v []byte) (*pagingControl, error) {
	seq, rest, err := readElem(v)
	if err != nil || len(rest) != 0 || seq.id != berSequence {
		return nil, errBER
	}
	f, err := seq.children()
	if err != nil || len(f) != 2 || f[0].id != berInteger || f[1].id != berOctetString {
		return nil, errBER
	}
	size, err := f[0].integer()
	if err != nil || size < 0 {
		return nil, errBER
	}
	return &pagingControl{size: int(min(size, 1<<31-1)), cookie: f[1].content}, nil
}

// startSearch runs a search in a goroutine of its own, so that the
// connection can read an Abandon for it meanwhile. At most maxOutstanding
// run at once per connection; past that the connection waits.
func (s *Server) startSearch(sess *session, req request) {
	sess.slots <- struct{}{}
	stop := new(atomic.Bool)
	sess.mu.Lock()
	sess.running[req.id] = stop
	sess.mu.Unlock()
	sess.searches.Add(1)
	sess.run(func() {
		defer func() {
			sess.mu.Lock()
			if sess.running[req.id] == stop {
				delete(sess.running, req.id)
			}
			sess.mu.Unlock()
			<-sess.slots
			sess.searches.Done()
		}()
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("ldap: search panic; connection closed", "from", sess.remote, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				sess.raw.Close()
			}
		}()
		s.search(sess, req, stop)
	})
}

// search answers a search: the root DSE and the subschema entry for
// anyone; the rest only for a bound session, where a reader (a member of
// directory-readers) sees every entry and anyone else the tree's fixed
// entries, their own entry and the groups. An abandoned search stops and
// sends nothing more, not even its end.
func (s *Server) search(sess *session, req request, stop *atomic.Bool) {
	defer s.observeSearch()()
	done := result{code: resultSuccess}
	finish := func() {
		if !stop.Load() {
			_ = sess.write(encodeResult(req.id, opSearchDone, done), true)
		}
	}
	fail := func(code int, msg string) {
		done.code, done.diag = code, msg
		finish()
	}
	m, err := decodeSearch(req)
	if err != nil {
		s.log.Info("ldap: search refused", "from", sess.remote, "err", err)
		fail(resultProtocolError, err.Error())
		return
	}
	base, err := ParseDN(m.base)
	if err != nil {
		fail(resultInvalidDNSyntax, "invalid base DN")
		return
	}
	s.freshForSearch()
	d := s.dir.Load()
	uid := sess.bound()
	viewer := d.user(uid)
	q := query{base: base, scope: m.scope, filter: m.filter, viewer: viewer, reader: d.isReader(viewer)}
	if viewer == nil && !(m.scope == scopeBase && d.public(base)) {
		// Not bound, or bound as someone no longer Active.
		fail(resultInsufficientAccessRights, "bind as a user first; anonymous searches may read only the root DSE and cn=Subschema")
		return
	}
	sel := selectAttrs(m.attrs)

	limit := m.sizeLimit
	if s.cfg.SizeLimit > 0 && m.paging == nil && (limit == 0 || limit > s.cfg.SizeLimit) {
		limit = s.cfg.SizeLimit
	}
	pageSize := 0
	var check [8]byte
	if m.paging != nil {
		check = searchCheck(m, uid)
		if len(m.paging.cookie) > 0 {
			pos, ok := decodeCookie(m.paging.cookie, check)
			if !ok {
				fail(resultUnwillingToPerform, "the paged-results cookie does not belong to this search")
				return
			}
			q.after = &pos
		}
		pageSize = m.paging.size
		if pageSize == 0 {
			// A page size of 0 abandons the paged search.
			done.ctrls = pagingResponse(nil)
			finish()
			return
		}
	}

	sent := 0
	var last position
	more, exceeded := false, false
	var writeErr error
	var w berWriter
	err = d.run(q, func(e entry) bool {
		if stop.Load() {
			return false
		}
		if pageSize > 0 && sent == pageSize {
			more = true
			return false
		}
		if limit > 0 && sent == limit {
			exceeded = true
			return false
		}
		w.b = w.b[:0]
		encodeEntry(&w, req.id, e, sel, m.typesOnly)
		if writeErr = sess.write(w.b, false); writeErr != nil {
			return false
		}
		sent++
		last = e.position()
		return true
	})
	if se, ok := err.(*searchError); ok {
		fail(se.code, se.msg)
		return
	}
	if stop.Load() {
		s.log.Debug("ldap: search abandoned", "from", sess.remote, "id", req.id, "sent", sent)
		return
	}
	if writeErr != nil {
		return
	}
	if m.paging != nil {
		var cookie []byte
		if more {
			cookie = encodeCookie(last, check)
		}
		done.ctrls = pagingResponse(cookie)
	}
	if exceeded {
		done.code, done.diag = resultSizeLimitExceeded, "size limit of "+strconv.Itoa(limit)+" entries reached"
	}
	finish()
}

// pagingResponse writes the paged results control of a SearchResultDone.
func pagingResponse(cookie []byte) func(w *berWriter) {
	return func(w *berWriter) {
		w.begin(berSequence)
		w.octets(berOctetString, oidPaging)
		var v berWriter
		v.begin(berSequence)
		v.integer(berInteger, 0)
		v.octets(berOctetString, string(cookie))
		v.end()
		w.octets(berOctetString, string(v.b))
		w.end()
	}
}

// attrSelection is what a search asked to see.
type attrSelection struct {
	user  bool                // every user attribute ("*", or no list)
	oper  bool                // every operational attribute ("+")
	names map[string]struct{} // canonical lower-case names asked for
}

// selectAttrs reads the requested attribute list (RFC 4511 section
// 4.5.1.8): none or "*" means every user attribute, "+" every operational
// one, "1.1" none; other names are looked up in the schema, whatever their
// letter case or options.
func selectAttrs(req []string) attrSelection {
	sel := attrSelection{names: map[string]struct{}{}}
	if len(req) == 0 {
		sel.user = true
		return sel
	}
	for _, a := range req {
		switch a {
		case "*":
			sel.user = true
		case "+":
			sel.oper = true
		case "1.1":
		default:
			sel.names[canonicalType(strings.ToLower(stripOptions(a)))] = struct{}{}
		}
	}
	return sel
}

// wants reports whether the selection includes attribute c.
func (sel attrSelection) wants(c string) bool {
	if _, ok := sel.names[c]; ok {
		return true
	}
	if schemaAttrs[c].operational {
		return sel.oper
	}
	return sel.user
}

// encodeEntry appends the SearchResultEntry for e with the selected
// attributes, named as the schema spells them.
func encodeEntry(w *berWriter, id int64, e entry, sel attrSelection, typesOnly bool) {
	w.begin(berSequence)
	w.integer(berInteger, id)
	w.begin(classApplication | constructed | opSearchEntry)
	w.octets(berOctetString, e.dn())
	w.begin(berSequence)
	for _, c := range e.attrNames() {
		if !sel.wants(c) {
			continue
		}
		vals := e.values(c)
		if len(vals) == 0 {
			continue
		}
		w.begin(berSequence)
		w.octets(berOctetString, schemaAttrs[c].name)
		w.begin(berSet)
		if !typesOnly {
			for _, v := range vals {
				w.octets(berOctetString, v)
			}
		}
		w.end()
		w.end()
	}
	w.end()
	w.end()
	w.end()
}

// searchCheck binds a cookie to its search: the same base, scope, filter,
// attributes and bound user.
func searchCheck(m searchRequest, uid uint64) [8]byte {
	h := sha256.New()
	h.Write([]byte(m.base))
	h.Write([]byte{0, byte(m.scope), 0})
	h.Write(m.filterRaw)
	for _, a := range m.attrs {
		h.Write([]byte{0})
		h.Write([]byte(a))
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uid)
	h.Write(b[:])
	var out [8]byte
	copy(out[:], h.Sum(nil))
	return out
}

func encodeCookie(p position, check [8]byte) []byte {
	b := make([]byte, 17)
	b[0] = byte(p.kind)
	binary.BigEndian.PutUint64(b[1:], p.id)
	copy(b[9:], check[:])
	return b
}

func decodeCookie(b []byte, check [8]byte) (position, bool) {
	if len(b) != 17 || [8]byte(b[9:]) != check || b[0] > byte(kindGroup) {
		return position{}, false
	}
	return position{kind: entryKind(b[0]), id: binary.BigEndian.Uint64(b[1:9])}, true
}
