// Package principal carries the authenticated caller of a request through its context.
// The auth interceptor puts it there; every service reads it to enforce role and tenant.
package principal

import (
	"context"

	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// Principal is who is calling: a user, an API key or an edge's service identity.
type Principal struct {
	// UserID is the user's id; for an API key, the key's id prefixed "apikey:".
	UserID string
	// Email is the user's email, empty for API keys and services.
	Email string
	// DealershipID is the tenant the caller acts in; empty for super admins and services.
	DealershipID string
	// Role decides which procedures the caller may use.
	Role orgv1.Role
}

// IsSuperAdmin reports whether p may act across every dealership.
func (p Principal) IsSuperAdmin() bool { return p.Role == orgv1.Role_ROLE_SUPER_ADMIN }

type ctxKey struct{}

// With returns a context carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the caller carried by ctx, and false for an anonymous call.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}
