// Package ratelimit enforces per-key request budgets shared by every core replica
// through Redis (GCRA via github.com/go-redis/redis_rate), and the growing lockout after
// failed logins.
//
// Usage from any service:
//
//	if err := limiter.Allow(ctx, ratelimit.KnowledgeSearch, principal.UserID); err != nil {
//		return nil, err // apierror.RateLimited: ResourceExhausted, HTTP 429, Retry-After
//	}
//
// The named limits and their defaults (DESIGN.md) are in limits.go; a Limiter may be
// given other limits with WithLimits.
//
// When Redis is unreachable, each limit follows its Fallback: FallbackLocal (every
// default limit) keeps limiting with an in-process limiter of the same rate, so a Redis
// outage multiplies the budget by the number of replicas but never removes it nor
// blocks users; FailClosed refuses the request with Unavailable. Every fallback is
// logged (at most once per limit per minute) and counted in
// avatar_ratelimit_redis_errors_total.
package ratelimit
