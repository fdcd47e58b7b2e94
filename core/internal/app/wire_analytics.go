package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/avatar-fi/avatar/core/internal/analytics"
	"github.com/avatar-fi/avatar/core/internal/secrets"
	"github.com/avatar-fi/avatar/core/internal/server"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1/analyticsv1connect"
)

// wireAnalytics mounts AnalyticsService and returns the run function of the session
// event consumers, the sweeper, the retention job and the session.ended webhooks, which
// needs the NATS streams. Authentication, the authz policy and the audit log come from
// wireIdentity's interceptors.
func wireAnalytics(_ context.Context, d *Deps, srv *server.Server) (func(context.Context) error, error) {
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
	svc, err := analytics.New(analytics.Config{
		DB: d.Store.Primary(), Read: d.Store.Read(), Bus: d.Bus, Log: d.Log,
		Webhooks:            knowledgeWebhooks{db: d.Store.Primary(), box: box},
		WebhookAllowPrivate: d.Config.WebhookAllowPrivate,
	})
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	srv.Handle(analyticsv1connect.NewAnalyticsServiceHandler(analytics.NewHandler(svc), srv.HandlerOptions()...))
	return svc.Run, nil
}

// knowledgeWebhooks reads a dealership's webhook (the one KnowledgeService.SetWebhook
// stores: URL and secret sealed with the dealership as additional data), so that
// session.ended goes where document.ready goes.
type knowledgeWebhooks struct {
	db  *pgxpool.Pool
	box *secrets.Box
}

// GetWebhook implements analytics.WebhookSource.
func (k knowledgeWebhooks) GetWebhook(ctx context.Context, dealershipID string) (string, []byte, error) {
	var url, sealed string
	err := store.InTenant(ctx, k.db, dealershipID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT url, secret FROM knowledge_webhooks WHERE dealership_id = $1`, dealershipID).Scan(&url, &sealed)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("load webhook: %w", err)
	}
	if url == "" {
		return "", nil, nil
	}
	secret, err := k.box.Open([]byte(sealed), []byte("webhook:"+dealershipID))
	if err != nil {
		return "", nil, fmt.Errorf("open webhook secret: %w", err)
	}
	return url, secret, nil
}
