package app

import (
	"context"

	"github.com/avatar-fi/avatar/core/internal/server"
)

// wireKnowledge mounts KnowledgeService and runs the ingest workers.
// Placeholder until the knowledge issue lands: it mounts nothing.
func wireKnowledge(_ context.Context, _ *Deps, _ *server.Server) (func(context.Context) error, error) {
	return nil, nil
}
