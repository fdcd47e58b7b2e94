// Package ratelimit enforces named per-key request budgets shared by every replica of
// a service, and by every service, through Redis (GCRA via
// github.com/go-redis/redis_rate). The core limits uploads, searches and logins with
// it; the edge limits chat messages and call starts per user with the same limits
// table, so a user's budget is the same whichever replica or edge they reach.
//
// Usage:
//
//	l, err := ratelimit.New(rdb, ratelimit.WithMetrics(m), ratelimit.WithLogger(log))
//	...
//	switch err := l.Allow(ctx, ratelimit.Chat, userID); {
//	case errors.Is(err, ratelimit.ErrLimited):
//		var le *ratelimit.LimitedError
//		errors.As(err, &le) // le.RetryAfter: answer 429 with Retry-After
//	case err != nil:
//		// ErrUnavailable (a fail-closed limit while Redis is down), a cancelled
//		// context, or ErrUnknownLimit (a programming error).
//	}
//
// Allow returns domain errors only; each service maps them to its own public error
// model at its boundary (the core: ResourceExhausted / RATE_LIMITED, HTTP 429 with
// Retry-After; Unavailable for ErrUnavailable).
//
// The named limits and their defaults (DESIGN.md) are in limits.go; a Limiter may be
// given other limits with WithLimits.
//
// When Redis is unreachable, each limit follows its Fallback: FallbackLocal (every
// default limit) keeps limiting with an in-process limiter of the same rate, so a Redis
// outage multiplies the budget by the number of processes but never removes it nor
// blocks users; FailClosed refuses the request with ErrUnavailable. Every fallback is
// logged (at most once per limit per minute) and counted.
//
// The package registers no metrics of its own: NewMetrics registers its counters on the
// prometheus.Registerer the caller passes, and a Limiter without WithMetrics counts
// nothing.
package ratelimit
