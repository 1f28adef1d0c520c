package roster

import (
	"strings"
	"testing"
)

// Ensure a manager creates users only into the groups they manage (a
// subgroup of one included), and only members.
func TestManagerCreatesIntoTheirGroups(t *testing.T) {
	mona := managerOfA()
	for _, c := range []struct {
		user *User
		want string // "" allowed, else a part of the refusal
	}{
		{&User{Role: RoleMember, GroupIDs: []uint64{groupA}}, ""},
		{&User{Role: RoleMember, GroupIDs: []uint64{groupA1}}, ""},
		{&User{Role: RoleMember, GroupIDs: []uint64{groupA, groupA1}}, ""},
		{&User{Role: RoleMember, GroupIDs: []uint64{groupA, groupB}}, "only into the groups you manage"},
		{&User{Role: RoleMember, GroupIDs: []uint64{groupB}}, "only into the groups you manage"},
		{&User{Role: RoleMember}, "choose one of them"},
		{&User{Role: RoleAdmin, GroupIDs: []uint64{groupA}}, "that needs the owner role"},
	} {
		err := mona.May(OpCreateUser, c.user)
		if c.want == "" && err != nil || c.want != "" && (ErrorCode(err) != EFORBIDDEN || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("create %v in %v: %v, want %q", c.user.Role, c.user.GroupIDs, err, c.want)
		}
	}
}

// Ensure a manager changes memberships only in their groups: bea, in A
// and B, may leave A but not B; gus may join A1, not B.
func TestManagerMembership(t *testing.T) {
	mona := managerOfA()
	bea := &User{ID: 21, Username: "bea", Role: RoleMember, GroupIDs: []uint64{groupA, groupB}}
	gus := &User{ID: 20, Username: "gus", Role: RoleMember, GroupIDs: []uint64{groupA}}
	max := &User{ID: 10, Username: "max", Role: RoleMember, GroupIDs: []uint64{groupB}}
	if err := mona.MayMembership(bea, groupA, "A"); err != nil {
		t.Errorf("bea out of A: %v", err)
	}
	if err := mona.MayMembership(bea, groupB, "B"); !strings.Contains(ErrorMessage(err), "in B: it is not a group you manage") {
		t.Errorf("bea out of B: %v", err)
	}
	if err := mona.MayMembership(gus, groupA1, "A1"); err != nil {
		t.Errorf("gus into A1: %v", err)
	}
	if err := mona.MayMembership(max, groupA, "A"); !strings.Contains(ErrorMessage(err), "max: they are in none of the groups you manage") {
		t.Errorf("max (outside) into A: %v", err)
	}
	admin := Actor{Name: "adam", UserID: 2, Role: RoleAdmin}
	if err := admin.MayMembership(max, groupC, "C"); err != nil {
		t.Errorf("an admin is no manager: %v", err)
	}
}

// Ensure the refusals and skip reasons a manager reads say why.
func TestManagerRefusals(t *testing.T) {
	mona := managerOfA()
	mel := &User{ID: 23, Username: "mel", Role: RoleMember, GroupIDs: []uint64{groupA}}
	ada := &User{ID: 24, Username: "ada", Role: RoleAdmin, GroupIDs: []uint64{groupA}}
	max := &User{ID: 10, Username: "max", Role: RoleMember, GroupIDs: []uint64{groupB}}
	for _, c := range []struct {
		err  error
		want string
	}{
		{mona.May(OpSetStatus, mel), "you may not activate or disable users for mel: they manage a group too; that needs the admin or owner role"},
		{mona.May(OpSetStatus, ada), "you may not activate or disable users for ada (an admin): that needs the owner role"},
		{mona.May(OpReadUser, max), "you may not read a user's details for max: they are in none of the groups you manage"},
		{mona.May(OpSetRole, &User{ID: 20, Username: "gus", Role: RoleMember, GroupIDs: []uint64{groupA}}), "you may not change roles for gus (a member): that needs the admin or owner role"},
		{mona.MayChangeFields("name", "username"), "you may change only the name and e-mail address of the users you manage, not the username"},
	} {
		if ErrorMessage(c.err) != c.want {
			t.Errorf("refusal %q, want %q", ErrorMessage(c.err), c.want)
		}
	}
	for _, c := range []struct {
		op     Op
		target *User
		want   string
	}{
		{OpSetStatus, mel, "manages a group: needs the admin or owner role"},
		{OpSetStatus, max, "not in your groups"},
		{OpSetStatus, ada, "needs the owner role"},
		{OpDeleteUser, &User{ID: 20, Username: "gus", Role: RoleMember, GroupIDs: []uint64{groupA}}, "needs the admin or owner role"},
	} {
		if got := mona.Needs(c.op, c.target); got != c.want {
			t.Errorf("skip %s %s: %q, want %q", c.op, c.target.Username, got, c.want)
		}
	}
	if !mona.Sees(mel) || !mona.Sees(ada) || mona.Sees(max) || !mona.Sees(&User{ID: 4}) {
		t.Error("Sees: the users of A and A1 and mona herself, no one else")
	}
	if !mona.SeesGroup(groupA1) || mona.SeesGroup(groupB) {
		t.Error("SeesGroup: A and A1 only")
	}
	if (Actor{Name: "mia", UserID: 1, Role: RoleMember}).Column() != ColMember || mona.Column() != ColManager {
		t.Error("a member managing nothing is a plain member")
	}
}
