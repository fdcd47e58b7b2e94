package coreclient

import "errors"

// Errors of the calls, by what the core answered.
var (
	// ErrNotFound: the core has no such object for this caller.
	ErrNotFound = errors.New("coreclient: not found")
	// ErrUnauthenticated: neither the caller's token nor the edge's key was
	// accepted.
	ErrUnauthenticated = errors.New("coreclient: not authenticated")
	// ErrDenied: the caller may not do this.
	ErrDenied = errors.New("coreclient: permission denied")
	// ErrUnavailable: the core could not be reached or answered with an
	// error of its own, or the deadline passed.
	ErrUnavailable = errors.New("coreclient: core unavailable")
	// ErrRateLimited: the caller's budget at the core (10 searches a
	// minute) is spent.
	ErrRateLimited = errors.New("coreclient: rate limited by the core")
	// ErrInvalid: the core refused the request as invalid.
	ErrInvalid = errors.New("coreclient: invalid request")
	// ErrConfig is returned by New for a bad Config.
	ErrConfig = errors.New("coreclient: invalid config")
)
