// Package platform is the root of the small libraries both services, the core and
// the edge, build on. Each library lives in its own package below this one:
//
//   - envconfig reads AVATAR_* variables into typed values with defaults and
//     validation, and reports the first bad one as "AVATAR_X: what is wrong".
//   - ratelimit enforces named per-user budgets (chat, call starts, uploads,
//     searches, logins) shared by every replica and service through Redis, and
//     returns domain errors that each service maps at its own boundary.
//   - cors answers browsers' cross-origin requests (Connect, gRPC-Web and the
//     edge's WHIP-style calls) for a configured list of origins.
//
// The module is a leaf like protocol and media: it imports neither the core nor the
// edge and keeps no global state. envconfig and cors depend only on the standard library;
// ratelimit on Redis's client, redis_rate, x/time/rate and the Prometheus client
// (its metrics are registered on the registerer the caller passes).
package platform
