package roster

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Ensure Normalize trims and lower-cases what the rules say, and Validate
// names the first broken field.
func TestNewUserValidate(t *testing.T) {
	n := NewUser{Username: "  Ada ", Name: "  Ada Lovelace\t", Email: "  Ada@Example.com "}
	n.Normalize()
	if n.Username != "ada" || n.Name != "Ada Lovelace" || n.Email != "Ada@Example.com" || n.Role != RoleMember {
		t.Errorf("normalized %+v", n)
	}
	if err := n.Validate(); err != nil {
		t.Errorf("valid user refused: %v", err)
	}
	ok := n
	for _, c := range []struct {
		change func(*NewUser)
		field  string
	}{
		{func(n *NewUser) { n.Username = "" }, "username"},
		{func(n *NewUser) { n.Name = "A\r\nB" }, "name"},
		{func(n *NewUser) { n.Email = "ada" }, "email"},
		{func(n *NewUser) { n.Role = 0 }, "role"},
		{func(n *NewUser) { n.Role = RoleOwner + 1 }, "role"},
		{func(n *NewUser) { n.Groups = []string{"staff", " bad"} }, "group"},
		// The first rule broken wins: username before name before e-mail.
		{func(n *NewUser) { n.Email = "x"; n.Name = ""; n.Username = "A" }, "username"},
		// A person invited by e-mail may leave the name to the set-password
		// page; nobody else may.
		{func(n *NewUser) { n.Email = "x"; n.Name = "" }, "email"},
		{func(n *NewUser) { n.Email = ""; n.Name = "" }, "name"},
		{func(n *NewUser) { n.Kind = KindService; n.Name = "" }, "name"},
		{func(n *NewUser) { n.GivenName = "A\u202eB" }, "given_name"},
		{func(n *NewUser) { n.Surname = strings.Repeat("x", MaxNameLen+1) }, "surname"},
		{func(n *NewUser) { n.Surname = "\u200b" }, "surname"},
	} {
		n := ok
		c.change(&n)
		err := n.Validate()
		if ErrorCode(err) != EINVALID || ErrorField(err) != c.field {
			t.Errorf("%+v: %v, want invalid %s", n, err, c.field)
		}
	}
}

func TestInGroupAndLastSeen(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u := User{GroupIDs: []uint64{2, 5}, CreatedAt: t0}
	if !u.InGroup(5) || u.InGroup(3) {
		t.Error("InGroup")
	}
	steps := []struct {
		set   func()
		label string
	}{
		{func() {}, "created"},
		{func() { u.InvitedAt = t0.Add(1) }, "invited"},
		{func() { u.ActivatedAt = t0.Add(2) }, "activated"},
		{func() { u.LastLoginAt = t0.Add(3) }, "last login"},
	}
	for i, s := range steps {
		s.set()
		label, at := u.LastSeen()
		if label != s.label || !at.Equal(t0.Add(time.Duration(i))) {
			t.Errorf("LastSeen = %s %v, want %s", label, at, s.label)
		}
	}
}

// Ensure the JSON record has exactly the documented fields, groups by
// name (an empty array, not null), and times in RFC 3339 UTC or null.
func TestUserRecordJSON(t *testing.T) {
	created := time.Date(2026, 5, 6, 7, 8, 9, 0, time.FixedZone("CEST", 2*3600))
	u := User{ID: 7, Username: "ada", Name: "Ada", Email: "ada@example.com", Role: RoleAdmin,
		Status: StatusActive, GroupIDs: []uint64{3, 4}, CreatedAt: created, ActivatedAt: created.Add(time.Hour),
		PasswordHash: "$argon2id$secret"}
	names := map[uint64]string{3: "staff", 4: "ops"}
	b, err := json.Marshal(u.Record(func(id uint64) string { return names[id] }))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := []string{"id", "username", "name", "email", "role", "groups", "status", "created_at", "invited_at", "activated_at", "last_login_at", "kind"}
	if len(m) != len(want) {
		t.Errorf("fields %v, want %v", m, want)
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("field %s missing from %s", k, b)
		}
	}
	if strings.Contains(string(b), "argon2") {
		t.Errorf("the password hash leaked: %s", b)
	}
	if m["created_at"] != "2026-05-06T05:08:09Z" || m["activated_at"] != "2026-05-06T06:08:09Z" {
		t.Errorf("times %v %v", m["created_at"], m["activated_at"])
	}
	if m["invited_at"] != nil || m["last_login_at"] != nil {
		t.Errorf("zero times must be null: %s", b)
	}
	if m["role"] != "admin" || m["status"] != "active" || m["id"] != float64(7) {
		t.Errorf("record %s", b)
	}
	if g, _ := m["groups"].([]any); len(g) != 2 || g[0] != "staff" || g[1] != "ops" {
		t.Errorf("groups %v", m["groups"])
	}
	empty, _ := json.Marshal((&User{}).Record(func(uint64) string { return "" }))
	if !strings.Contains(string(empty), `"groups":[]`) || !strings.Contains(string(empty), `"created_at":null`) {
		t.Errorf("empty record %s", empty)
	}
}

// Ensure the power rules: members administer nothing, admins manage members
// only, owners everything.
func TestActorPowers(t *testing.T) {
	member := Actor{Name: "m", UserID: 1, Role: RoleMember}
	admin := Actor{Name: "a", UserID: 2, Role: RoleAdmin}
	owner := Actor{Name: "o", UserID: 3, Role: RoleOwner}
	targets := map[Role]*User{RoleMember: {Username: "tm", Role: RoleMember}, RoleAdmin: {Username: "ta", Role: RoleAdmin}, RoleOwner: {Username: "to", Role: RoleOwner}}
	for _, c := range []struct {
		actor  Actor
		change map[Role]bool
	}{
		{member, map[Role]bool{RoleMember: false, RoleAdmin: false, RoleOwner: false}},
		{admin, map[Role]bool{RoleMember: true, RoleAdmin: false, RoleOwner: false}},
		{owner, map[Role]bool{RoleMember: true, RoleAdmin: true, RoleOwner: true}},
	} {
		for r, want := range c.change {
			if err := c.actor.May(OpUpdateUser, targets[r]); (err == nil) != want {
				t.Errorf("%s changing a %s: %v", c.actor.Role, r, err)
			} else if err != nil && ErrorCode(err) != EFORBIDDEN {
				t.Errorf("refusal code %s", ErrorCode(err))
			}
			if err := c.actor.May(OpSetRole, &User{Role: r}); (err == nil) != want {
				t.Errorf("%s granting %s: %v", c.actor.Role, r, err)
			}
		}
	}
	if err := member.May(OpListUsers, nil); ErrorCode(err) != EFORBIDDEN || !strings.Contains(err.Error(), "member") {
		t.Errorf("member administering: %v", err)
	}
	l := LocalActor("alice")
	if l.Name != "os:alice" || l.Role != RoleOwner || !l.IsLocal() || l.String() != "os:alice" {
		t.Errorf("local actor %+v", l)
	}
	if LocalActor("").Name != "os:unknown" {
		t.Error("empty OS user name")
	}
	if s := SystemActor("mail"); s.Name != "system:mail" || !s.IsLocal() || s.Column() != ColSystem {
		t.Errorf("system actor %+v", s)
	}
	if owner.IsLocal() {
		t.Error("a Roster user is not local")
	}
}

// Ensure errors carry code and field through wrapping, and show safely.
func TestErrors(t *testing.T) {
	e := FieldErrorf(ECONFLICT, "email", "e-mail %s is taken", "a@b.c")
	if e.Error() != "email: e-mail a@b.c is taken" {
		t.Errorf("Error() = %q", e.Error())
	}
	wrapped := wrap(wrap(e))
	if ErrorCode(wrapped) != ECONFLICT || ErrorField(wrapped) != "email" || ErrorMessage(wrapped) != e.Error() {
		t.Errorf("through wrapping: %q %q %q", ErrorCode(wrapped), ErrorField(wrapped), ErrorMessage(wrapped))
	}
	plain := Errorf(ENOTFOUND, "no user %q", "x")
	if plain.Error() != `no user "x"` || plain.Field != "" {
		t.Errorf("Errorf %+v", plain)
	}
	other := wrap(errString("disk on fire at /secret/path"))
	if ErrorCode(other) != EINTERNAL || ErrorMessage(other) != "internal error" || ErrorField(other) != "" {
		t.Errorf("foreign error: %q %q", ErrorCode(other), ErrorMessage(other))
	}
	if ErrorCode(nil) != "" || ErrorMessage(nil) != "" || ErrorField(nil) != "" {
		t.Error("nil error")
	}
}

type errString string

func (e errString) Error() string { return string(e) }

type wrapped struct{ err error }

func (w wrapped) Error() string { return "context: " + w.err.Error() }
func (w wrapped) Unwrap() error { return w.err }

func wrap(err error) error { return wrapped{err} }

func TestDeliveryAndTokenNames(t *testing.T) {
	for d, want := range map[DeliveryState]string{DeliveryNone: "", DeliveryQueued: "queued", DeliverySent: "sent", DeliveryFailed: "failed", DeliveryBounced: "bounced"} {
		if d.String() != want {
			t.Errorf("%d: %q", d, d.String())
		}
	}
	if TokenInvite.String() != "invite" || TokenReset.String() != "reset" {
		t.Error("token purposes")
	}
}
