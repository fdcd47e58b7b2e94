package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrLimited means the budget of a limit is spent for a key; the error is a
// *LimitedError that says when to retry.
var ErrLimited = errors.New("ratelimit: limit reached")

// ErrUnavailable means Redis cannot be reached and the limit fails closed
// (FailClosed): the request is refused rather than let through unlimited.
var ErrUnavailable = errors.New("ratelimit: limiter unavailable")

// ErrUnknownLimit means Allow was called with a limit name the Limiter does not have.
var ErrUnknownLimit = errors.New("ratelimit: unknown limit")

// ErrInvalidLimit means a Limit has a non-positive rate or period, a negative burst,
// or no name.
var ErrInvalidLimit = errors.New("ratelimit: invalid limit")

// LimitedError is a refusal: the budget of Limit is spent for the key, and the next
// request will be allowed after RetryAfter. errors.Is(err, ErrLimited) holds for it.
type LimitedError struct {
	// Limit is the name of the limit that refused, for example Chat.
	Limit string
	// RetryAfter is how long to wait before the next request will be allowed.
	RetryAfter time.Duration
}

// Error implements error.
func (e *LimitedError) Error() string {
	return fmt.Sprintf("%s: %s, retry in %d s", ErrLimited.Error(), e.Limit, e.RetryAfterSeconds())
}

// Unwrap makes errors.Is(err, ErrLimited) hold.
func (e *LimitedError) Unwrap() error { return ErrLimited }

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up and at least 1: the
// value of an HTTP Retry-After header.
func (e *LimitedError) RetryAfterSeconds() int64 {
	return max(1, int64(math.Ceil(e.RetryAfter.Seconds())))
}
