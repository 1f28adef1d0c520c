package roster

import (
	"errors"
	"fmt"
)

// Application error codes. Callers tell errors apart with ErrorCode, never
// by matching message text.
const (
	ECONFLICT    = "conflict"    // a unique value is taken, or the state forbids the change
	EFORBIDDEN   = "forbidden"   // the actor lacks the power
	EINTERNAL    = "internal"    // a bug or an I/O failure
	EINVALID     = "invalid"     // the input breaks a rule
	ENOTFOUND    = "not_found"   // no such user, group, token…
	EUNAVAILABLE = "unavailable" // the database is locked by another process, a server is down
)

// Error is Roster's application error. Field names the input at fault, when
// there is one, so a form can put the message next to it.
type Error struct {
	Code    string
	Field   string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error about one input field.
func FieldErrorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message to show a person: the *Error's own text,
// or a generic one for internal errors, whose detail belongs in a log.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}

// ErrorField returns the field named by the first *Error in err's chain.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
