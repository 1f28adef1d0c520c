package ldap

import (
	"strings"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/roster-dev/roster"
	"github.com/roster-dev/roster/password"
)

// passwordModify carries out the password modify extended operation (RFC
// 3062) for a bound user changing their own password, with the rules of
// the invitation page (password.Check). It returns the result code and a
// message for the client.
func (s *Server) passwordModify(sess *session, value []byte, hasValue bool) (int, string) {
	uid := sess.bound()
	if uid == 0 {
		return resultInsufficientAccessRights, "bind first to change your password"
	}
	var identity, oldPw, newPw string
	var hasOld, hasNew bool
	if hasValue && len(value) > 0 {
		p, err := ber.DecodePacketErr(value)
		if err != nil || p.ClassType != ber.ClassUniversal || p.Tag != ber.TagSequence {
			return resultProtocolError, "malformed password modify request"
		}
		for _, c := range p.Children {
			if c.ClassType != ber.ClassContext {
				return resultProtocolError, "malformed password modify request"
			}
			v := c.Data.String()
			switch c.Tag {
			case 0:
				identity = v
			case 1:
				oldPw, hasOld = v, true
			case 2:
				newPw, hasNew = v, true
			default:
				return resultProtocolError, "malformed password modify request"
			}
		}
	}
	u, err := s.db.User(ldapActor, uid)
	if err != nil || u.Status != roster.StatusActive {
		return resultInsufficientAccessRights, "your account is no longer active"
	}
	if identity != "" && !s.namesUser(identity, u) {
		return resultInsufficientAccessRights, "you may change only your own password"
	}
	if !hasNew {
		return resultUnwillingToPerform, "give the new password; this server does not make one up"
	}
	if hasOld {
		now := time.Now()
		account := "account:" + u.Username + "|" + sess.addr
		addr := "addr:" + sess.addr
		if s.limits.blocked(addr, s.cfg.MaxFailuresPerAddr, now) || s.limits.blocked(account, s.cfg.MaxFailuresPerAccount, now) {
			return resultInvalidCredentials, "too many failed sign-ins; wait a few minutes and try again"
		}
		ok, err := s.verify(u.PasswordHash, oldPw)
		if err == errBusy {
			return resultBusy, "the directory is busy; try again"
		}
		if err != nil || !ok {
			s.limits.fail(addr, now)
			s.limits.fail(account, now)
			if err := s.db.RecordLoginRefused(u.ID, "ldap", sess.remote, "password change with a wrong old password"); err != nil {
				s.log.Error("ldap passwd: audit refusal", "err", err)
			}
			return resultInvalidCredentials, "the old password is wrong"
		}
	}
	approved, err := password.Approve(newPw, u.Username, u.Email, s.hash)
	if err == errBusy {
		return resultBusy, "the directory is busy; try again"
	} else if roster.ErrorCode(err) == roster.EINVALID {
		return resultConstraintViolation, roster.ErrorMessage(err)
	} else if err != nil {
		s.log.Error("ldap passwd: hash", "err", err)
		return resultOther, "internal error"
	}
	actor := roster.Actor{Name: u.Username, UserID: u.ID, Role: u.Role}
	if err := s.db.SetPassword(actor, u.ID, approved); err != nil {
		switch roster.ErrorCode(err) {
		case roster.EFORBIDDEN:
			return resultInsufficientAccessRights, roster.ErrorMessage(err)
		case roster.EINVALID:
			return resultConstraintViolation, roster.ErrorMessage(err)
		}
		s.log.Error("ldap passwd: store", "err", err)
		return resultOther, "internal error"
	}
	return resultSuccess, ""
}

// hash computes an argon2id hash with a slot of the check semaphore.
func (s *Server) hash(pw string) (string, error) {
	t := time.NewTimer(checkWait)
	defer t.Stop()
	select {
	case s.checks <- struct{}{}:
	case <-t.C:
		return "", errBusy
	}
	defer func() { <-s.checks }()
	return password.Hash(pw)
}

// namesUser reports whether a password modify userIdentity names u: its DN,
// "dn:" and its DN, "u:" and its username, or the bare username.
func (s *Server) namesUser(identity string, u *roster.User) bool {
	switch {
	case strings.HasPrefix(identity, "dn:"):
		identity = identity[3:]
	case strings.HasPrefix(identity, "u:"):
		return roster.NormalizeUsername(identity[2:]) == u.Username
	}
	name, ok := s.usernameFromBindName(identity)
	return ok && name == u.Username
}
