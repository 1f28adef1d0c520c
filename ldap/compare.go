package ldap

// handleCompare answers a compare request (RFC 4511 section 4.10) with the
// visibility of a search: an entry the session could not find by a base
// search is noSuchObject, and the assertion is the equality filter
// (attr=value) evaluated as a search evaluates it.
func (s *Server) handleCompare(sess *session, req request) {
	answer := func(code int, diag string) {
		_ = sess.write(encodeResult(req.id, opCompareResponse, result{code: code, diag: diag}), true)
	}
	f, err := req.op.children()
	if err != nil || len(f) != 2 || f[0].id != berOctetString || f[1].id != berSequence {
		s.log.Info("ldap: malformed compare request", "from", sess.remote)
		answer(resultProtocolError, "malformed compare request")
		return
	}
	attr, value, err := decodeAVA(f[1])
	if err != nil {
		answer(resultProtocolError, "malformed attribute value assertion")
		return
	}
	base, err := ParseDN(f[0].str())
	if err != nil {
		answer(resultInvalidDNSyntax, "invalid DN")
		return
	}
	s.freshForSearch()
	d := s.dir.Load()
	viewer := d.user(sess.bound())
	if viewer == nil && !d.public(base) {
		answer(resultInsufficientAccessRights, "bind as a user first")
		return
	}
	e, err := d.resolve(base, viewer, d.isReader(viewer))
	if se, ok := err.(*searchError); ok {
		answer(se.code, se.msg)
		return
	}
	if _, known := schemaAttrs[attr]; !known {
		answer(resultUndefinedAttributeType, "unknown attribute type")
		return
	}
	if len(e.values(attr)) == 0 {
		answer(resultNoSuchAttribute, "the entry has no such attribute")
		return
	}
	eq := textItem(&filter{op: opEqual, attr: attr}, value)
	switch eq.match(e) {
	case triTrue:
		answer(resultCompareTrue, "")
	case triFalse:
		answer(resultCompareFalse, "")
	default:
		answer(resultInvalidAttributeSyntax, "the value cannot be compared with this attribute")
	}
}
