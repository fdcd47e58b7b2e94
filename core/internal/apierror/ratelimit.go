package apierror

import (
	"errors"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/platform/ratelimit"
)

// FromRateLimit maps an error of platform/ratelimit (from a Limiter, or from a lockout
// that answers with its LimitedError) to the public error model, so every service
// answers a refusal the same way: a spent budget (ratelimit.ErrLimited) is RateLimited
// with its wait (ResourceExhausted, HTTP 429 with Retry-After), and a limiter that fails
// closed while Redis is down (ratelimit.ErrUnavailable) is Unavailable. It reports false
// for any other error, nil included.
func FromRateLimit(err error) (*connect.Error, bool) {
	var le *ratelimit.LimitedError
	switch {
	case errors.As(err, &le):
		return RateLimited(le.RetryAfterSeconds()), true
	case errors.Is(err, ratelimit.ErrLimited):
		return RateLimited(1), true
	case errors.Is(err, ratelimit.ErrUnavailable):
		return Unavailable("rate limiter unavailable, try again shortly"), true
	}
	return nil, false
}
