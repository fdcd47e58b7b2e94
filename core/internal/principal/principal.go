package principal

import (
	"context"
	"strings"

	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// Principal is who is calling: a user, an API key or an edge's service identity.
type Principal struct {
	// UserID is the user's id; for an API key, the key's id prefixed APIKeyPrefix.
	UserID string
	// Email is the user's email, empty for API keys and services.
	Email string
	// DealershipID is the tenant the caller acts in; empty for super admins and services.
	DealershipID string
	// Role decides which procedures the caller may use.
	Role orgv1.Role
}

// APIKeyPrefix starts the UserID of a caller that presented an API key.
const APIKeyPrefix = "apikey:"

// IsSuperAdmin reports whether p may act across every dealership.
func (p Principal) IsSuperAdmin() bool { return p.Role == orgv1.Role_ROLE_SUPER_ADMIN }

// IsAdmin reports whether p may change a dealership's content: a dealership admin or a
// super admin.
func (p Principal) IsAdmin() bool {
	return p.Role == orgv1.Role_ROLE_DEALERSHIP_ADMIN || p.Role == orgv1.Role_ROLE_SUPER_ADMIN
}

// IsUser reports whether p is a signed-in user, not an API key or a service.
func (p Principal) IsUser() bool {
	return p.UserID != "" && !strings.HasPrefix(p.UserID, APIKeyPrefix)
}

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
