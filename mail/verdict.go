package mail

import (
	"errors"
	"strings"

	"github.com/emersion/go-smtp"
)

// verdict is what a failed attempt means for the job, the recipient and
// the rest of the batch.
type verdict uint8

const (
	// verdictRetry: a temporary failure (4xx, network, timeout); try the
	// job again later.
	verdictRetry verdict = iota + 1
	// verdictBounce: the recipient's address or mailbox is refused for
	// good (RFC 3463 5.1.x, 5.2.x; a bare 550/551/553 at RCPT). The
	// invitation bounces and the address is blocked.
	verdictBounce
	// verdictFail: this message failed for good, for a reason that is
	// neither the recipient's nor Roster's settings (5.4.x routing, a
	// bare 5xx at DATA). The job fails; nobody is blocked.
	verdictFail
	// verdictSettings: the relay refused Roster's connection, greeting,
	// sender, credentials or content (5.7.x, 5.5.x, 5.3.x, 5.6.x, any 5xx
	// at MAIL FROM, a TLS or AUTH failure). No recipient is at fault: the
	// job fails with the server's words, nobody is blocked, and the rest
	// of the batch is not tried.
	verdictSettings
)

// SettingsPrefix starts the detail of a job that failed because of the
// relay or Roster's mail settings rather than the recipient; the CLI and
// the TUI recognise it (see SettingsProblem).
const SettingsPrefix = "relay or settings problem: "

// SettingsProblem reports whether a job's detail says the relay refused
// Roster's connection or sender (not the recipient): the fix is in the
// mail settings or the relay, and no address was blocked.
func SettingsProblem(detail string) bool { return strings.HasPrefix(detail, SettingsPrefix) }

// classify reads a failed attempt by its stage and the server's reply,
// enhanced status code first (RFC 3463: class.subject.detail).
func classify(err error) verdict {
	var de *deliveryError
	if errors.As(err, &de) && de.Config {
		return verdictSettings
	}
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code < 500 {
		return verdictRetry
	}
	stage := ""
	if de != nil {
		stage = de.Stage
	}
	if stage == stageConnect || stage == stageAuth || stage == stageMail {
		// The greeting, the login or the sender: about Roster, never the recipient.
		return verdictSettings
	}
	ec := se.EnhancedCode
	if ec == (smtp.EnhancedCode{}) || ec == smtp.NoEnhancedCode || ec[0] != 5 {
		// No (usable) enhanced code: only the classic "no such user"
		// replies at RCPT are the recipient's.
		if stage == stageRcpt && (se.Code == 550 || se.Code == 551 || se.Code == 553) {
			return verdictBounce
		}
		return verdictFail
	}
	switch ec[1] {
	case 1:
		if ec[2] == 7 || ec[2] == 8 {
			return verdictSettings // 5.1.7/5.1.8: the sender's address, not the recipient's
		}
		return verdictBounce
	case 2:
		return verdictBounce
	case 3, 5, 6, 7:
		// 5.3 the relay's system, 5.5 protocol (HELO, syntax), 5.6 content,
		// 5.7 policy and security: the same for every recipient.
		return verdictSettings
	}
	if ec[1] == 0 && stage == stageRcpt && (se.Code == 550 || se.Code == 551 || se.Code == 553) {
		return verdictBounce // 5.0.0 says nothing more than the bare code
	}
	return verdictFail // 5.0.x, 5.4.x (routing)
}
