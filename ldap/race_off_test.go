//go:build !race

package ldap

const raceEnabled = false
