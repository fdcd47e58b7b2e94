package app

import (
	"context"
	"fmt"

	"github.com/avatar-fi/avatar/core/internal/analytics"
	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/server"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1/analyticsv1connect"
)

// wireAnalytics mounts AnalyticsService and returns the run function of the session
// event consumers, the sweeper, the retention job and the session.ended webhooks, which
// needs the NATS streams. Authentication, the authz policy and the audit log come from
// wireIdentity's interceptors.
func wireAnalytics(_ context.Context, d *Deps, srv *server.Server) (func(context.Context) error, error) {
	box, err := secretBox(d)
	if err != nil {
		return nil, err
	}
	svc, err := analytics.New(analytics.Config{
		DB: d.Store.Primary(), Read: d.Store.Read(), Bus: d.Bus, Log: d.Log,
		Webhooks:            knowledge.Webhooks{DB: d.Store.Primary(), Sealer: box},
		WebhookAllowPrivate: d.Config.WebhookAllowPrivate,
	})
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	srv.Handle(analyticsv1connect.NewAnalyticsServiceHandler(analytics.NewHandler(svc), srv.HandlerOptions()...))
	return svc.Run, nil
}
