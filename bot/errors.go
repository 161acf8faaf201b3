package bot

import (
	"errors"
	"fmt"
)

// Code classifies an error so adapters know how to present it.
type Code string

// Error codes. Adapters show Invalid..Unreachable errors' messages to the member
// and log Internal ones (showing only a generic sentence).
const (
	Invalid     Code = "invalid"     // bad input: the message says what to type instead
	NotFound    Code = "not_found"   // no such topic, member, challenge...
	Forbidden   Code = "forbidden"   // the member may not do this (moderator-only)
	Conflict    Code = "conflict"    // the state does not allow it (already done...)
	Unreachable Code = "unreachable" // the platform refuses to deliver to this member (DMs closed)
	Gone        Code = "gone"        // the platform no longer knows this member (Discord 10007, 10013)
	Internal    Code = "internal"    // our fault: storage, platform outage
)

// Error is an error with a code and a sentence for the member.
type Error struct {
	Code    Code
	Message string // shown to the member; one line
	Err     error  // underlying cause, logged, never shown
}

// Error is for logs: the code and the cause, never the member's sentence
// (which is for the member, and would repeat in every log line that wraps it).
func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Code) + ": " + e.Err.Error()
	}
	return string(e.Code)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted member-facing message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an Internal error around err; op names what failed, for the log.
func Wrap(err error, op string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: Internal, Message: "Something went wrong on our side; please try again.", Err: fmt.Errorf("%s: %w", op, err)}
}

// ErrorCode returns err's code: Internal for errors that carry none.
func ErrorCode(err error) Code {
	if err == nil {
		return "" // before errors.As, whose target escapes: no allocation on success
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the sentence to show a member for err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return "Something went wrong on our side; please try again."
}
