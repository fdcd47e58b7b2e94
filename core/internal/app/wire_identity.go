package app

import (
	"context"
	"fmt"

	"github.com/avatar-fi/avatar/core/internal/identity"
	"github.com/avatar-fi/avatar/core/internal/secrets"
	"github.com/avatar-fi/avatar/core/internal/server"
)

// wireIdentity mounts AuthService, OrgService and /.well-known/jwks.json, and installs
// authentication, the authz policy and the audit interceptor on srv, so every handler
// built after it (every later area) has principal.From(ctx) and is deny-by-default.
func wireIdentity(ctx context.Context, d *Deps, srv *server.Server) (func(context.Context) error, error) {
	keys := make([]secrets.Key, 0, len(d.Config.EncryptionKeys))
	for _, k := range d.Config.EncryptionKeys {
		keys = append(keys, secrets.Key{ID: k.ID, Key: k.Key})
	}
	id, err := identity.New(ctx, d.Store.Primary(), d.Redis, identity.Config{
		Issuer:            d.Config.PublicURL,
		EncryptionKeys:    keys,
		BootstrapEmail:    d.Config.BootstrapEmail,
		BootstrapPassword: d.Config.BootstrapPassword,
	}, d.Log)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	id.Mount(srv)
	return id.Run, nil
}
