package app

import (
	"context"
	"fmt"

	"github.com/avatar-fi/avatar/core/internal/scenario"
	"github.com/avatar-fi/avatar/core/internal/server"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1/scenariov1connect"
)

// wireScenario stores the built-in scenarios embedded in the binary and mounts
// ScenarioService. Authentication and the authz policy come from wireIdentity's
// interceptors; it has no background work.
func wireScenario(ctx context.Context, d *Deps, srv *server.Server) (func(context.Context) error, error) {
	svc, err := scenario.New(ctx, scenario.Config{DB: d.Store.Primary(), Log: d.Log})
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	srv.Handle(scenariov1connect.NewScenarioServiceHandler(scenario.NewHandler(svc), srv.HandlerOptions()...))
	return nil, nil
}
