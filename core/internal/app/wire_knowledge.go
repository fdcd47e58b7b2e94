package app

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/knowledge/embed"
	"github.com/avatar-fi/avatar/core/internal/secrets"
	"github.com/avatar-fi/avatar/core/internal/server"
	"github.com/avatar-fi/avatar/platform/ratelimit"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1/knowledgev1connect"
)

// secretBox seals the secrets stored in the database (webhook secrets) with
// AVATAR_ENCRYPTION_KEYS, or with the development key when none is configured.
func secretBox(d *Deps) (*secrets.Box, error) {
	keys := make([]secrets.Key, 0, len(d.Config.EncryptionKeys))
	for _, k := range d.Config.EncryptionKeys {
		keys = append(keys, secrets.Key{ID: k.ID, Key: k.Key})
	}
	if len(keys) == 0 {
		keys = append(keys, secrets.DevelopmentKey())
	}
	box, err := secrets.New(keys...)
	if err != nil {
		return nil, fmt.Errorf("AVATAR_ENCRYPTION_KEYS: %w", err)
	}
	return box, nil
}

// wireKnowledge mounts KnowledgeService and returns the ingest workers' run function.
// Authentication and the authz policy come from wireIdentity's interceptors.
func wireKnowledge(ctx context.Context, d *Deps, srv *server.Server) (func(context.Context) error, error) {
	var emb knowledge.Embedder
	switch d.Config.Embedder {
	case "openai":
		o, err := embed.NewOpenAI(embed.OpenAIConfig{
			BaseURL: d.Config.EmbeddingsURL, APIKey: d.Config.EmbeddingsAPIKey,
			Model: d.Config.EmbeddingsModel, Dims: d.Config.EmbeddingsDims,
		})
		if err != nil {
			return nil, fmt.Errorf("AVATAR_EMBEDDINGS_*: %w", err)
		}
		emb = o
	default:
		h, err := embed.NewHashed(d.Config.EmbeddingsDims)
		if err != nil {
			return nil, fmt.Errorf("AVATAR_EMBEDDINGS_DIMS: %w", err)
		}
		emb = h
	}
	box, err := secretBox(d)
	if err != nil {
		return nil, err
	}
	svc, err := knowledge.New(ctx, knowledge.Config{
		Primary: d.Store.Primary(), Read: d.Store.Read(), Redis: d.Redis, Bus: d.Bus,
		Embedder: emb, Sealer: box, Log: d.Log,
		MaxUploadBytes:      d.Config.MaxUploadBytes,
		WebhookAllowPrivate: d.Config.WebhookAllowPrivate,
	})
	if err != nil {
		return nil, fmt.Errorf("knowledge: %w", err)
	}
	metrics, err := ratelimit.NewMetrics(prometheus.DefaultRegisterer)
	if err != nil {
		return nil, fmt.Errorf("knowledge rate limits: %w", err)
	}
	limiter, err := ratelimit.New(d.Redis, ratelimit.WithLogger(d.Log), ratelimit.WithMetrics(metrics))
	if err != nil {
		return nil, fmt.Errorf("knowledge rate limits: %w", err)
	}
	opts := srv.HandlerOptions()
	// An upload streams many messages; each is capped by the server's request limit and
	// the whole file by MaxUploadBytes.
	srv.Handle(knowledgev1connect.NewKnowledgeServiceHandler(knowledge.NewHandler(svc, limiter), opts...))
	return svc.Run, nil
}
