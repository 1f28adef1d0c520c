package roster

import (
	"testing"
	"time"
)

// Ensure expiry dates and spans of days parse as the CLI and config write
// them, and bad ones are refused with the field named.
func TestParseExpiryAndDays(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	at, err := ParseExpiry("2027-03-31", loc)
	if err != nil || !at.Equal(time.Date(2027, 3, 31, 0, 0, 0, 0, loc)) || FormatExpiry(at, loc) != "2027-03-31" {
		t.Errorf("date: %v %v", at, err)
	}
	for _, none := range []string{"", "none", "NONE", "never"} {
		if at, err := ParseExpiry(none, loc); err != nil || !at.IsZero() {
			t.Errorf("%q: %v %v", none, at, err)
		}
	}
	if _, err := ParseExpiry("31/03/2027", loc); ErrorField(err) != "expires" {
		t.Errorf("bad date: %v", err)
	}
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "36h": 36 * time.Hour} {
		if d, err := ParseDays(in); err != nil || d != want {
			t.Errorf("%s: %v %v", in, d, err)
		}
	}
	for _, bad := range []string{"", "d", "0d", "-3d", "x9d", "soon", "-1h"} {
		if _, err := ParseDays(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Ensure expiry is due exactly at its moment and never for a disabled
// account, and inactivity counts from activation when there is no sign-in.
func TestExpiryAndInactivity(t *testing.T) {
	at := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	u := &User{Status: StatusActive, ExpiresAt: at, ActivatedAt: at.AddDate(0, 0, -100)}
	if u.ExpiryDue(at.Add(-time.Nanosecond)) || !u.ExpiryDue(at) {
		t.Error("expiry boundary")
	}
	if !u.ExpiresWithin(at.AddDate(0, 0, -29), 30*24*time.Hour) || u.ExpiresWithin(at.AddDate(0, 0, -31), 30*24*time.Hour) {
		t.Error("expires within")
	}
	if !u.InactiveFor(at, 100*24*time.Hour) || u.InactiveFor(at, 101*24*time.Hour) {
		t.Error("inactive from activation")
	}
	u.LastLoginAt = at.AddDate(0, 0, -1)
	if u.InactiveFor(at, 2*24*time.Hour) {
		t.Error("a recent sign-in")
	}
	u.Status = StatusDisabled
	if u.ExpiryDue(at) || u.InactiveFor(at, time.Hour) {
		t.Error("a disabled account is neither due nor dormant")
	}
}
