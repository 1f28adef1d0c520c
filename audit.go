package roster

import "time"

// AuditEvent records one change: who made it, when, to whom, and how.
// Events are append-only.
type AuditEvent struct {
	ID      uint64    `json:"id"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Targets []string  `json:"targets,omitempty"` // usernames or group names
	Details string    `json:"details,omitempty"`
}

// Audit actions. Adapters add their own (invite.sent, ssh.login…) as plain
// strings of the same shape: noun.verb.
const (
	ActionUserCreate   = "user.create"
	ActionUserUpdate   = "user.update"
	ActionUserDelete   = "user.delete"
	ActionUserStatus   = "user.status"
	ActionUserRole     = "user.role"
	ActionGroupAdd     = "group.members.add"
	ActionGroupRemove  = "group.members.remove"
	ActionGroupCreate  = "group.create"
	ActionGroupRename  = "group.rename"
	ActionGroupDelete  = "group.delete"
	ActionSchemaUpdate = "schema.migrate"
)
