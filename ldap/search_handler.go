package ldap

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"

	"github.com/jimlambrt/gldap"
)

// handleSearch answers a search: only for a bound session; a reader (a
// member of directory-readers) sees every entry, anyone else the tree's
// fixed entries, their own entry and the groups.
func (s *Server) handleSearch(w *gldap.ResponseWriter, r *gldap.Request) {
	done := r.NewSearchDoneResponse(gldap.WithResponseCode(resultSuccess))
	defer func() { _ = w.Write(done) }()
	fail := func(code int, msg string) {
		done.SetResultCode(code)
		done.SetDiagnosticMessage(msg)
	}
	m, err := r.GetSearchMessage()
	if err != nil {
		fail(resultProtocolError, "not a search request")
		return
	}
	sess := s.session(r.ConnectionID())
	if sess == nil {
		fail(resultUnwillingToPerform, "connect through Roster's listener")
		return
	}
	d := s.dir.Load()
	uid := sess.bound()
	viewer := d.byID[uid]
	if uid == 0 || viewer == nil {
		// Not bound, or bound as someone no longer Active.
		fail(resultInsufficientAccessRights, "bind as a user first; anonymous searches are not allowed")
		return
	}
	base, err := ParseDN(m.BaseDN)
	if err != nil {
		fail(resultInvalidDNSyntax, "invalid base DN")
		return
	}
	f, err := parseFilter(m.Filter)
	if err != nil {
		fail(resultProtocolError, "invalid filter")
		return
	}
	q := query{base: base, scope: int(m.Scope), filter: f, viewer: viewer, reader: d.isReader(viewer)}
	if q.scope < scopeBase || q.scope > scopeSub {
		fail(resultProtocolError, "unknown scope")
		return
	}
	attrs := selectAttrs(m.Attributes)

	// Paged results (RFC 2696): the cookie says where the last page ended
	// and which search it belongs to.
	var paging *gldap.ControlPaging
	for _, c := range m.Controls {
		if p, ok := c.(*gldap.ControlPaging); ok {
			paging = p
		}
	}
	limit := int(m.SizeLimit)
	if s.cfg.SizeLimit > 0 && paging == nil && (limit == 0 || limit > s.cfg.SizeLimit) {
		limit = s.cfg.SizeLimit
	}
	pageSize := 0
	var check [8]byte
	if paging != nil {
		check = searchCheck(m, uid)
		if len(paging.Cookie) > 0 {
			pos, ok := decodeCookie(paging.Cookie, check)
			if !ok {
				fail(resultUnwillingToPerform, "the paged-results cookie does not belong to this search")
				return
			}
			q.after = &pos
		}
		pageSize = int(paging.PagingSize)
		if pageSize == 0 {
			// A page size of 0 abandons the paged search.
			resp, _ := gldap.NewControlPaging(0)
			done.SetControls(resp)
			return
		}
	}

	sent := 0
	var last position
	more := false
	exceeded := false
	var writeErr error
	err = d.run(q, func(e entry) bool {
		if pageSize > 0 && sent == pageSize {
			more = true
			return false
		}
		if limit > 0 && sent == limit {
			exceeded = true
			return false
		}
		if writeErr = w.Write(s.entryResponse(r, e, attrs, m.TypesOnly)); writeErr != nil {
			return false
		}
		sent++
		last = e.position()
		return true
	})
	var se *searchError
	if errors.As(err, &se) {
		fail(se.code, se.msg)
		return
	}
	if writeErr != nil {
		return
	}
	if paging != nil {
		resp, _ := gldap.NewControlPaging(0)
		if more {
			resp.SetCookie(encodeCookie(last, check))
		}
		done.SetControls(resp)
	}
	if exceeded {
		fail(resultSizeLimitExceeded, "size limit of "+strconv.Itoa(limit)+" entries reached")
	}
}

// attrSelection is what a search asked to see.
type attrSelection struct {
	all   bool              // every attribute
	names map[string]string // canonical lower-case name → name as requested
	order []string          // canonical names in request order
}

// selectAttrs reads the requested attribute list: none or "*" means all,
// "+" adds the operational ones (which "all" already holds here), "1.1"
// means none.
func selectAttrs(req []string) attrSelection {
	sel := attrSelection{names: map[string]string{}}
	if len(req) == 0 {
		sel.all = true
		return sel
	}
	for _, a := range req {
		switch a {
		case "*", "+":
			sel.all = true
			continue
		case "1.1":
			continue
		}
		c := canonicalType(strings.ToLower(stripOptions(a)))
		if _, dup := sel.names[c]; !dup {
			sel.names[c] = a
			sel.order = append(sel.order, c)
		}
	}
	return sel
}

// entryResponse builds the SearchResultEntry for e with the selected
// attributes. Attributes named in the request keep the request's spelling.
func (s *Server) entryResponse(r *gldap.Request, e entry, sel attrSelection, typesOnly bool) *gldap.SearchResponseEntry {
	resp := r.NewSearchResponseEntry(e.dn())
	add := func(c string) {
		vals := e.values(c)
		if len(vals) == 0 {
			return
		}
		name := sel.names[c]
		if name == "" {
			name = schemaAttrs[c].name
		}
		if typesOnly {
			vals = nil
		}
		resp.AddAttribute(name, vals)
	}
	if sel.all {
		for _, c := range e.attrNames() {
			add(c)
		}
		return resp
	}
	for _, c := range sel.order {
		add(c)
	}
	return resp
}

// searchCheck binds a cookie to its search: the same base, scope, filter,
// attributes and bound user.
func searchCheck(m *gldap.SearchMessage, uid uint64) [8]byte {
	h := sha256.New()
	h.Write([]byte(m.BaseDN))
	h.Write([]byte{0, byte(m.Scope), 0})
	h.Write([]byte(m.Filter))
	for _, a := range m.Attributes {
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
