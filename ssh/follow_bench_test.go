package ssh

import (
	"fmt"
	"testing"
	"time"

	"github.com/roster-dev/roster"
)

// BenchmarkRoleChangeReroute measures the time from a role change written
// by another process until the session shows the new role's app, with 50
// sessions open (the default limit). Target: under one second; the
// server looks every followEvery.
func BenchmarkRoleChangeReroute(b *testing.B) {
	ts := startServer(b, Config{})
	owner, _ := ts.addUser("olga", roster.RoleOwner, roster.StatusActive)
	admin, adminKey := ts.addUser("adam", roster.RoleAdmin, roster.StatusActive)
	a := ts.openTerm("adam", adminKey, 80, 24)
	a.waitScreen("probe adam admin")
	for i := range 49 {
		name := fmt.Sprintf("u%02d", i)
		_, key := ts.addUser(name, roster.RoleMember, roster.StatusActive)
		ts.openTerm(name, key, 80, 24).waitScreen("probe " + name)
	}
	other := ts.otherProcess(b)
	by := roster.Actor{Name: owner.Username, UserID: owner.ID, Role: roster.RoleOwner}
	lat := &durations{}
	role := roster.RoleAdmin
	b.ResetTimer()
	for b.Loop() {
		role = map[roster.Role]roster.Role{roster.RoleAdmin: roster.RoleMember, roster.RoleMember: roster.RoleAdmin}[role]
		start := time.Now()
		if _, err := other.SetRole(by, []uint64{admin.ID}, role); err != nil {
			b.Fatal(err)
		}
		a.waitScreen("probe adam " + role.String())
		lat.add(time.Since(start))
	}
	b.ReportMetric(lat.quantile(0.5), "ms/reroute-p50")
	b.ReportMetric(lat.quantile(1), "ms/reroute-max")
}

// BenchmarkFollowUsers50 measures what the server does for each change to
// the database with 50 sessions open: one key lookup per session.
func BenchmarkFollowUsers50(b *testing.B) {
	ts := startServer(b, Config{})
	for i := range 50 {
		name := fmt.Sprintf("u%02d", i)
		_, key := ts.addUser(name, roster.RoleMember, roster.StatusActive)
		ts.openTerm(name, key, 80, 24).waitScreen("probe " + name)
	}
	b.ResetTimer()
	for b.Loop() {
		ts.srv.followUsers()
	}
}
