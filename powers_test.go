package roster

import (
	"strings"
	"testing"
)

// powerSpec is the power table as the issues state it (13, and 18 for the
// manager), written out apart from the code: one line per operation, one
// column per kind of actor. The manager is a member who manages group A
// (A contains A1). In a cell, s is the actor's own account, m another
// member (in group B only), a another admin, o another owner, g a member
// of A, b a member of A and B, n a member of A1 only (a subgroup of A), M
// a member of A who manages another group, A an admin in A, v a service
// account in A (no role, not even the owner, gives it a set-password
// link: invitations, resets and links are refused to it), * the
// operation without a target (the whole list, the whole log; for the
// manager the list of their groups' users); - is nothing.
const powerSpec = `
op                                   member      manager     admin       owner       system
list users                           -           *sgbnMAv    *smaogbnMAv *smaogbnMAv *smaogbnMAv
read a user's details                s           sgbnMAv     *smaogbnMAv *smaogbnMAv *smaogbnMAv
read the audit log                   s           s           *smaogbnMAv *smaogbnMAv -
read the dev mailbox                 -           -           -           *smaogbnMAv -
read the outbox                      -           -           *smaogbnMAv *smaogbnMAv *smaogbnMAv
see SSH keys                         s           sgbnv       *smaogbnMAv *smaogbnMAv *smaogbnMAv
add SSH keys                         -           -           mgbnMv      *maogbnMAv  -
remove SSH keys                      s           s           smgbnMv     *smaogbnMAv -
make set-password links              -           gbn         mgbnM       *smaogbnMA  -
send invitations                     -           gbn         mgbnM       *smaogbnMA  -
send password resets                 -           gbn         mgbnM       *smaogbnMA  *smaogbnMA
unblock mail                         -           -           mgbnMv      *smaogbnMAv -
create users                         -           gbnv        mgbnMv      *smaogbnMAv -
change users                         -           gbnv        mgbnMv      *smaogbnMAv -
change roles                         -           -           mgbnMv      *smaogbnMAv -
activate or disable users            -           gbnv        mgbnMv      *smaogbnMAv -
delete users                         -           -           mgbnMv      *smaogbnMAv -
set passwords                        s           s           smgbnMv     *smaogbnMAv -
change group memberships             -           gbnv        mgbnMv      *smaogbnMAv -
list groups                          *smaogbnMAv *smaogbnMAv *smaogbnMAv *smaogbnMAv *smaogbnMAv
manage groups                        -           -           *smaogbnMAv *smaogbnMAv -
import users                         -           -           *smaogbnMAv *smaogbnMAv -
export users                         -           -           *smaogbnMAv *smaogbnMAv -
back up the database                 -           -           -           *smaogbnMAv *smaogbnMAv
restore the database                 -           -           -           *smaogbnMAv -
check the database                   -           -           *smaogbnMAv *smaogbnMAv *smaogbnMAv
load demo users                      -           -           -           *smaogbnMAv -
send test mail or retry mail         -           -           *smaogbnMAv *smaogbnMAv -
clear the dev mailbox                -           -           -           *smaogbnMAv -
see live links                       s           s           s           *smaogbnMAv -
read the Linux account settings      *smaogbnMAv *smaogbnMAv *smaogbnMAv *smaogbnMAv *smaogbnMAv
change the Linux account settings    -           -           -           *smaogbnMAv -
disable expired or dormant accounts  -           -           -           *smaogbnMAv *smaogbnMAv
`

// Ensure every cell of the power table: each kind of actor, each
// operation, each kind of target (none, self, a member, an admin, an
// owner), reads included, against the spec above.
func TestPowerTable(t *testing.T) {
	actors := map[string]Actor{
		"member":  {Name: "mia", UserID: 1, Role: RoleMember},
		"manager": managerOfA(),
		"admin":   {Name: "adam", UserID: 2, Role: RoleAdmin},
		"owner":   {Name: "olga", UserID: 3, Role: RoleOwner},
		"system":  SystemActor("test"),
	}
	targets := map[byte]func(a Actor) *User{
		'*': func(Actor) *User { return nil },
		's': func(a Actor) *User { return &User{ID: a.UserID, Username: a.Name, Role: a.Role} },
		'm': func(Actor) *User { return &User{ID: 10, Username: "max", Role: RoleMember, GroupIDs: []uint64{groupB}} },
		'a': func(Actor) *User { return &User{ID: 11, Username: "alan", Role: RoleAdmin} },
		'o': func(Actor) *User { return &User{ID: 12, Username: "oscar", Role: RoleOwner} },
		'g': func(Actor) *User { return &User{ID: 20, Username: "gus", Role: RoleMember, GroupIDs: []uint64{groupA}} },
		'b': func(Actor) *User {
			return &User{ID: 21, Username: "bea", Role: RoleMember, GroupIDs: []uint64{groupA, groupB}}
		},
		'n': func(Actor) *User {
			return &User{ID: 22, Username: "ned", Role: RoleMember, GroupIDs: []uint64{groupA1}}
		},
		'M': func(Actor) *User { return &User{ID: 23, Username: "mel", Role: RoleMember, GroupIDs: []uint64{groupA}} },
		'A': func(Actor) *User { return &User{ID: 24, Username: "ada", Role: RoleAdmin, GroupIDs: []uint64{groupA}} },
		'v': func(Actor) *User {
			return &User{ID: 25, Username: "ci-bot", Role: RoleMember, Kind: KindService, GroupIDs: []uint64{groupA}}
		},
	}
	byName := map[string]Op{}
	for _, op := range Ops() {
		byName[op.String()] = op
	}
	seen := map[Op]bool{}
	lines := strings.Split(strings.TrimSpace(powerSpec), "\n")
	columns := strings.Fields(lines[0])[1:]
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		cells := f[len(f)-len(columns):]
		name := strings.Join(f[:len(f)-len(columns)], " ")
		op, ok := byName[name]
		if !ok {
			t.Fatalf("spec names an unknown operation %q", name)
		}
		seen[op] = true
		for i, col := range columns {
			a := actors[col]
			for _, k := range []byte("*smaogbnMAv") {
				if col == "system" && k == 's' {
					continue // the system has no account of its own
				}
				target := targets[k](a)
				want := strings.IndexByte(cells[i], k) >= 0
				err := a.May(op, target)
				if (err == nil) != want {
					t.Errorf("%s | %s | %c: allowed %v, want %v (%v)", name, col, k, err == nil, want, err)
				}
				if err != nil && (ErrorCode(err) != EFORBIDDEN || ErrorMessage(err) == "") {
					t.Errorf("%s | %s | %c: refusal %v is not a clear EFORBIDDEN", name, col, k, err)
				}
			}
		}
	}
	for _, op := range Ops() {
		if !seen[op] {
			t.Errorf("the spec has no line for %q", op)
		}
	}
}

// Ensure a refusal names the role that would do, and a local actor is an
// owner.
func TestPowerRefusals(t *testing.T) {
	admin := Actor{Name: "adam", UserID: 2, Role: RoleAdmin}
	member := Actor{Name: "mia", UserID: 1, Role: RoleMember}
	for _, c := range []struct {
		err  error
		want string
	}{
		{admin.May(OpUpdateUser, &User{ID: 9, Username: "olga", Role: RoleOwner}), "you may not change users for olga (an owner): that needs the owner role"},
		{admin.May(OpSetRole, &User{Role: RoleAdmin}), "you may not change roles for an admin: that needs the owner role"},
		{member.May(OpReadAudit, nil), "you may not read the audit log: that needs the admin or owner role (you are a member)"},
		{member.RefuseOthers(OpReadKeys), "you may see SSH keys only for your own account; for others that needs the admin or owner role"},
		{admin.May(OpUpdateUser, &User{ID: 2, Username: "adam", Role: RoleAdmin}), "you may not change users on your own account: that needs the owner role"},
		{SystemActor("web").May(OpRestore, nil), "system:web may not restore the database"},
	} {
		if ErrorMessage(c.err) != c.want {
			t.Errorf("refusal %q, want %q", ErrorMessage(c.err), c.want)
		}
	}
	if err := LocalActor("root").May(OpRestore, nil); err != nil {
		t.Errorf("local use is an owner: %v", err)
	}
	if got := admin.Needs(OpDeleteUser, &User{ID: 9, Role: RoleOwner}); got != "needs the owner role" {
		t.Errorf("bulk skip reason %q", got)
	}
	bot := &User{ID: 9, Username: "ci-bot", Role: RoleMember, Kind: KindService}
	want := "you may not make set-password links for ci-bot (a service account): a service account's password is generated, never set from a link"
	if got := ErrorMessage(LocalActor("root").May(OpIssueLink, bot)); got != want {
		t.Errorf("refusal %q, want %q", got, want)
	}
	if got := admin.Needs(OpInvite, bot); got != ServiceNoLink {
		t.Errorf("bulk skip reason for a service account %q", got)
	}
	if got := member.Needs(OpInvite, bot); got != "needs the admin or owner role" {
		t.Errorf("a member's skip reason for a service account %q: the power comes first", got)
	}
}

// Ensure the last-owner rule.
func TestKeepOwner(t *testing.T) {
	owner := &User{Username: "olga", Role: RoleOwner, Status: StatusActive}
	demoted := &User{Username: "olga", Role: RoleAdmin, Status: StatusActive}
	disabled := &User{Username: "olga", Role: RoleOwner, Status: StatusDisabled}
	if !LosesOwner(owner, demoted) || !LosesOwner(owner, disabled) || !LosesOwner(owner, nil) || LosesOwner(owner, owner) || LosesOwner(demoted, nil) {
		t.Error("LosesOwner")
	}
	if err := KeepOwner("olga", 0); ErrorCode(err) != ECONFLICT || !strings.Contains(err.Error(), "olga is the last active owner") {
		t.Errorf("last owner: %v", err)
	}
	if err := KeepOwner("olga", 1); err != nil {
		t.Errorf("another owner left: %v", err)
	}
}

// The groups of the power table's manager: A contains A1; B stands apart;
// C is managed by mel (the M target).
const (
	groupA uint64 = iota + 1
	groupB
	groupA1
	groupC
)

// managerOfA is mona, a member who manages group A.
func managerOfA() Actor {
	nest := NewNesting([]*Group{
		{ID: groupA, Name: "A", Children: []uint64{groupA1}}, {ID: groupB, Name: "B"},
		{ID: groupA1, Name: "A1"}, {ID: groupC, Name: "C"},
	})
	managers := map[uint64]bool{4: true, 23: true}
	return Actor{Name: "mona", UserID: 4, Role: RoleMember, Scope: NewScope([]uint64{groupA}, nest, managers)}
}
