package app

import (
	"context"
	"fmt"

	"github.com/avatar-fi/avatar/core/internal/region"
	"github.com/avatar-fi/avatar/core/internal/server"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/region/v1/regionv1connect"
)

// wireRegion mounts RegionService and returns the heartbeat consumer's run function,
// which keeps the fleet view in Redis (shared by every replica) from the edges'
// heartbeats on NATS. Authentication and the authz policy come from wireIdentity's
// interceptors.
func wireRegion(_ context.Context, d *Deps, srv *server.Server) (func(context.Context) error, error) {
	routes := make([]region.Route, 0, len(d.Config.RegionOrder))
	for _, r := range d.Config.RegionOrder {
		routes = append(routes, region.Route{Region: r.Region, Next: r.Next})
	}
	svc, err := region.New(region.Config{
		Redis: d.Redis, Bus: d.Bus, Order: routes, Log: d.Log,
		HeartbeatTimeout: d.Config.EdgeHeartbeatTimeout,
		MaxCPU:           d.Config.EdgeMaxCPU,
	})
	if err != nil {
		return nil, fmt.Errorf("AVATAR_REGION_ORDER, AVATAR_EDGE_HEARTBEAT_TIMEOUT, AVATAR_EDGE_MAX_CPU: %w", err)
	}
	srv.Handle(regionv1connect.NewRegionServiceHandler(region.NewHandler(svc), srv.HandlerOptions()...))
	return svc.Run, nil
}
