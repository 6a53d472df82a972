// Package errs defines the typed errors that cross layer boundaries. Domain
// and store code return them; the web layer maps each Code to an HTTP status
// once, and translates Key into the request's language.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error for the HTTP layer and for callers that branch on it.
type Code string

const (
	Invalid         Code = "invalid"
	NotFound        Code = "not_found"
	Conflict        Code = "conflict"
	Unauthorized    Code = "unauthorized"
	Forbidden       Code = "forbidden"
	TooManyRequests Code = "too_many_requests"
	TooLarge        Code = "too_large"
	Unavailable     Code = "unavailable"
	Internal        Code = "internal"
)

// Error is a classified error with a translation key. Args fill the
// placeholders of the translated message ({name} style).
type Error struct {
	Code Code
	Key  string
	Args map[string]any
	Err  error // cause, logged for internal errors, never shown to users
	// RetryAfter, when set, tells the client how long to wait before trying
	// again (Retry-After header and "retry_after" in the error object).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Key
	if len(e.Args) > 0 {
		msg += fmt.Sprint(" ", e.Args)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, errs.ErrNotFound) match any error of that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Key == "" && t.Code == e.Code
}

// Sentinels for errors.Is comparisons by code.
var (
	ErrNotFound = &Error{Code: NotFound}
	ErrConflict = &Error{Code: Conflict}
	ErrInvalid  = &Error{Code: Invalid}
)

// New builds a classified error.
func New(code Code, key string) *Error { return &Error{Code: code, Key: key} }

// With returns a copy of e carrying message arguments.
func (e *Error) With(k string, v any) *Error {
	c := *e
	c.Args = make(map[string]any, len(e.Args)+1)
	for kk, vv := range e.Args {
		c.Args[kk] = vv
	}
	c.Args[k] = v
	return &c
}

// After returns a copy of e telling the client to wait d before retrying.
func (e *Error) After(d time.Duration) *Error {
	c := *e
	c.RetryAfter = d
	return &c
}

// Wrap classifies a cause.
func Wrap(code Code, key string, err error) *Error { return &Error{Code: code, Key: key, Err: err} }

// CodeOf returns the code of err, Internal for unclassified errors.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As extracts the classified error, wrapping unclassified ones as internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Key: "error.internal", Err: err}
}
