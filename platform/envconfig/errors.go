package envconfig

import "errors"

// ErrInvalid is wrapped by every error a Reader reports, so callers can tell a
// configuration mistake (exit code 2 in our services) from a failure to start.
var ErrInvalid = errors.New("invalid configuration")

// Error is the problem with one variable. Its text is one line,
// "invalid configuration: AVATAR_X: what is wrong", and it wraps ErrInvalid.
type Error struct {
	// Name is the variable, e.g. "AVATAR_CORE_ADDR".
	Name string
	// Problem says what is wrong with its value, e.g. `"8080" is not host:port
	// (e.g. :8080)`.
	Problem string
}

// Error returns "invalid configuration: <Name>: <Problem>".
func (e *Error) Error() string {
	return ErrInvalid.Error() + ": " + e.Name + ": " + e.Problem
}

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }
