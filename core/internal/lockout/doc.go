// Package lockout locks a key (an account's email, a client IP) for a time that
// doubles with every failure past a free allowance, shared by every core replica
// through Redis. The core's Login uses one Lockout per account and one per IP against
// password guessing.
//
// It is the core's own policy, not a budget: a request budget (platform/ratelimit)
// refills at a steady rate whatever happens, while a lock grows with failures and is
// cleared by a success. A locked key answers like a spent budget, with a
// *ratelimit.LimitedError (Limit "lockout") that says when to retry, so the core's
// boundary maps both the same way (RATE_LIMITED, HTTP 429 with Retry-After).
//
// While Redis is unreachable a Lockout keeps the same state per process, logs and
// counts the fallback, and keeps locking.
package lockout
