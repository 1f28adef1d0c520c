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

// Audit actions: every action any part of Roster records, in one list.
// Names are noun.verb.
const (
	ActionUserCreate    = "user.create"
	ActionUserUpdate    = "user.update"
	ActionUserDelete    = "user.delete"
	ActionUserStatus    = "user.status"
	ActionUserRole      = "user.role"
	ActionUserActivate  = "user.activate"       // an invitation link set the first password
	ActionPasswordReset = "user.password.reset" // a reset link set a new password
	ActionPasswordSet   = "user.password.set"   // a password changed by other means
	ActionLogin         = "user.login"
	ActionLoginRefused  = "user.login.refused"
	ActionGroupAdd      = "group.members.add"
	ActionGroupRemove   = "group.members.remove"
	ActionGroupCreate   = "group.create"
	ActionGroupRename   = "group.rename"
	ActionGroupDelete   = "group.delete"
	ActionGroupNest     = "group.nest"
	ActionGroupUnnest   = "group.unnest"
	ActionManagerAdd    = "group.managers.add"    // targets: the group, the user made its manager
	ActionManagerRemove = "group.managers.remove" // targets: the group, the user who no longer manages it
	ActionKeyAdd        = "key.add"
	ActionKeyRemove     = "key.remove"
	ActionInviteQueue   = "invite.queue"
	ActionResetQueue    = "reset.queue"
	ActionResetRequest  = "reset.request"
	ActionTokenLink     = "token.link"    // a set-password link was made for someone
	ActionTokenRefused  = "token.refused" // a link was refused; the details say why
	ActionTokenRevoke   = "token.revoke"  // live links died with the state that issued them
	ActionMailUnblock   = "mail.unblock"
	ActionMailTest      = "mail.test"
	ActionMailRetry     = "mail.retry"
	ActionMailBounce    = "mail.bounce"
	ActionMailFail      = "mail.fail"
	ActionMailboxRead   = "mailbox.read" // an owner or the addressee read live links in the dev mailbox
	ActionRestore       = "database.restore"
	ActionSchemaUpdate  = "schema.migrate"

	ActionUserExpire       = "user.expire"            // an expiry date came: disabled by system:expiry
	ActionUserDormant      = "user.dormant"           // no sign-in for the policy's days: disabled by system:inactivity
	ActionDormantWarn      = "user.dormant.warn"      // warned by mail that the inactivity policy disables them soon
	ActionPasswordGenerate = "user.password.generate" // a generated password, shown once (never logged)
	ActionInviteRevoke     = "invite.revoke"          // an administrator revoked a live invitation

	ActionUserUndo = "user.undo" // a bulk change of status, role or group taken back in one step
)
