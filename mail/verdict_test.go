package mail

import (
	"errors"
	"fmt"
	"testing"

	"github.com/emersion/go-smtp"
)

// Ensure each refusal gets its verdict: only the recipient's failures
// bounce; Roster's own (policy, protocol, sender, login) stop the batch.
func TestClassify(t *testing.T) {
	at := func(stage string, code int, ec smtp.EnhancedCode, config bool) error {
		return &deliveryError{Stage: stage, Config: config, Err: &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: "words"}}
	}
	none := smtp.EnhancedCode{}
	cases := []struct {
		err  error
		want verdict
	}{
		{at(stageRcpt, 550, smtp.EnhancedCode{5, 1, 1}, false), verdictBounce},
		{at(stageRcpt, 552, smtp.EnhancedCode{5, 2, 2}, false), verdictBounce},
		{at(stageData, 550, smtp.EnhancedCode{5, 1, 1}, false), verdictBounce},
		{at(stageRcpt, 550, none, false), verdictBounce},
		{at(stageRcpt, 551, none, false), verdictBounce},
		{at(stageRcpt, 553, none, false), verdictBounce},
		{at(stageRcpt, 550, smtp.EnhancedCode{5, 0, 0}, false), verdictBounce},
		{at(stageRcpt, 554, none, false), verdictFail},
		{at(stageData, 550, none, false), verdictFail},
		{at(stageRcpt, 554, smtp.EnhancedCode{5, 4, 4}, false), verdictFail},
		{at(stageRcpt, 554, smtp.EnhancedCode{5, 7, 1}, false), verdictSettings},
		{at(stageRcpt, 504, smtp.EnhancedCode{5, 5, 2}, false), verdictSettings},
		{at(stageRcpt, 553, smtp.EnhancedCode{5, 1, 8}, false), verdictSettings},
		{at(stageRcpt, 553, smtp.EnhancedCode{5, 1, 7}, false), verdictSettings},
		{at(stageRcpt, 552, smtp.EnhancedCode{5, 3, 4}, false), verdictSettings},
		{at(stageData, 554, smtp.EnhancedCode{5, 6, 0}, false), verdictSettings},
		{at(stageData, 554, smtp.EnhancedCode{5, 7, 1}, false), verdictSettings},
		{at(stageMail, 550, smtp.EnhancedCode{5, 1, 1}, false), verdictSettings},
		{at(stageMail, 553, none, false), verdictSettings},
		{at(stageAuth, 535, smtp.EnhancedCode{5, 7, 8}, true), verdictSettings},
		{at(stageConnect, 554, none, false), verdictSettings},
		{at(stageRcpt, 450, smtp.EnhancedCode{4, 2, 0}, false), verdictRetry},
		{at(stageRcpt, 451, smtp.EnhancedCode{4, 7, 1}, false), verdictRetry},
		{at(stageData, 421, none, false), verdictRetry},
		{&deliveryError{Stage: stageConnect, Err: errors.New("connection refused")}, verdictRetry},
		{&deliveryError{Stage: stageConnect, Config: true, Err: errNoStartTLS}, verdictSettings},
	}
	for _, c := range cases {
		if got := classify(c.err); got != c.want {
			t.Errorf("%v: verdict %d; want %d", c.err, got, c.want)
		}
	}
	if classify(fmt.Errorf("wrapped: %w", errors.New("eof"))) != verdictRetry {
		t.Error("a bare network error should be retried")
	}
}
