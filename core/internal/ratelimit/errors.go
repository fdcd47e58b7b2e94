package ratelimit

import "errors"

// ErrUnknownLimit means Allow was called with a limit name the Limiter does not have.
var ErrUnknownLimit = errors.New("unknown rate limit")

// ErrInvalidLimit means a Limit has a non-positive rate, burst or period, or no name.
var ErrInvalidLimit = errors.New("invalid rate limit")
