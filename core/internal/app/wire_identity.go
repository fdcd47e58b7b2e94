package app

import (
	"context"

	"github.com/avatar-fi/avatar/core/internal/server"
)

// wireIdentity mounts AuthService, OrgService and JWKS and installs authentication.
// Placeholder until the identity issue lands: it mounts nothing.
func wireIdentity(_ context.Context, _ *Deps, _ *server.Server) (func(context.Context) error, error) {
	return nil, nil
}
