// Package ldap is the office directory: Roster's Active users and its
// groups, served over LDAP to the office's apps in the schema LLDAP uses
// (users at uid=NAME,ou=people,BASE, groups at cn=NAME,ou=groups,BASE).
//
// Binds are simple binds checked against the users' argon2id hashes, with
// failed binds rate-limited per client address and per account and every
// refusal audited. Members of the built-in group directory-readers (the
// apps' service accounts) may search everything; anyone else sees their
// own entry and the groups. Searches run on an in-memory snapshot of the
// database that is reloaded when its change counter moves; filters and DNs
// are parsed and evaluated here (filter.go, dn.go). A bound user may change
// their own password with the password modify extended operation.
//
// The directory speaks LDAP itself (conn.go, message.go, ber.go): every
// operation gets an answer (writes are refused, Compare is answered as a
// search would see it, Abandon stops a search), and a request it cannot
// read gets a notice of disconnection and a log line. The front door
// (frontdoor.go) bounds what a connection may cost before it binds.
package ldap
