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
// gldap speaks the protocol; a small front in front of it (front.go) adds
// what gldap v0.1.14 lacks: the client's address, TLS (LDAPS and StartTLS),
// and the extended operations that carry a value.
package ldap
