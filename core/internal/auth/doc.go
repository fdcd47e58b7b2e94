// Package auth implements avatar.auth.v1.AuthService: password login with argon2id and
// optional TOTP, rotating refresh tokens with theft detection, two-factor enrolment with
// recovery codes, and API keys. It also owns the Ed25519 signing keys (KeyRing) whose
// public halves the core publishes at /.well-known/jwks.json, and the first-start
// bootstrap of the super admin.
//
// Service is the domain: it returns the sentinels and *validate.Error of errors.go,
// the platform/ratelimit errors of its login limits and lockouts, and wrapped
// infrastructure errors. Handler is the RPC boundary: it validates each request, calls
// the Service and maps its errors to the public error model (apierror) in one function,
// so internal text never reaches a client.
//
// Refresh tokens are opaque 256-bit values ("rt_…") stored only as SHA-256 hashes. Each
// use marks the token used and issues a new one in the same family, which keeps the
// family's absolute expiry. Presenting a token that was already used means it was copied:
// the whole family is revoked, so the thief's and the victim's newest tokens both stop
// working and the user signs in again.
//
// Logins are limited per client IP and per account (platform/ratelimit LoginIP,
// LoginAccount) and locked out after repeated failures (core/internal/lockout), both
// shared by every replica through Redis.
package auth
