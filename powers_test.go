package roster

import (
	"strings"
	"testing"
)

// powerSpec is the power table as the issue states it, written out apart
// from the code: one line per operation, one column per kind of actor.
// In a cell, s is the actor's own account, m another member, a another
// admin, o another owner, * the operation without a target (the whole
// list, the whole log); - is nothing.
const powerSpec = `
op                          member  admin  owner  system
list users                  -       *smao  *smao  *smao
read a user's details       s       *smao  *smao  *smao
read the audit log          s       *smao  *smao  -
read the dev mailbox        -       -      *smao  -
read the outbox             -       *smao  *smao  *smao
see SSH keys                s       *smao  *smao  *smao
add SSH keys                -       m      *mao   -
remove SSH keys             s       sm     *smao  -
make set-password links     -       m      *smao  -
send invitations            -       m      *smao  -
send password resets        -       m      *smao  *smao
unblock mail                -       m      *smao  -
create users                -       m      *smao  -
change users                -       m      *smao  -
change roles                -       m      *smao  -
activate or disable users   -       m      *smao  -
delete users                -       m      *smao  -
set passwords               s       sm     *smao  -
change group memberships    -       m      *smao  -
list groups                 *smao   *smao  *smao  *smao
manage groups               -       *smao  *smao  -
import users                -       *smao  *smao  -
export users                -       *smao  *smao  -
back up the database        -       -      *smao  *smao
restore the database        -       -      *smao  -
check the database          -       *smao  *smao  *smao
load demo users             -       -      *smao  -
send test mail or retry mail -      *smao  *smao  -
clear the dev mailbox       -       -      *smao  -
see live links              s       s      *smao  -
read the Linux account settings   *smao  *smao  *smao  *smao
change the Linux account settings -      -      *smao  -
disable expired or dormant accounts -    -      *smao  *smao
`

// Ensure every cell of the power table: each kind of actor, each
// operation, each kind of target (none, self, a member, an admin, an
// owner), reads included, against the spec above.
func TestPowerTable(t *testing.T) {
	actors := map[string]Actor{
		"member": {Name: "mia", UserID: 1, Role: RoleMember},
		"admin":  {Name: "adam", UserID: 2, Role: RoleAdmin},
		"owner":  {Name: "olga", UserID: 3, Role: RoleOwner},
		"system": SystemActor("test"),
	}
	targets := map[byte]func(a Actor) *User{
		'*': func(Actor) *User { return nil },
		's': func(a Actor) *User { return &User{ID: a.UserID, Username: a.Name, Role: a.Role} },
		'm': func(Actor) *User { return &User{ID: 10, Username: "max", Role: RoleMember} },
		'a': func(Actor) *User { return &User{ID: 11, Username: "alan", Role: RoleAdmin} },
		'o': func(Actor) *User { return &User{ID: 12, Username: "oscar", Role: RoleOwner} },
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
			for _, k := range []byte("*smao") {
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
