package region

import (
	"context"
	"errors"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/validate"
	regionv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/region/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/region/v1/regionv1connect"
)

// Handler serves avatar.region.v1.RegionService over Connect, gRPC and gRPC-Web. The
// caller comes from principal.From(ctx), put there by the authentication interceptor;
// an anonymous call answers Unauthenticated. Who may call which procedure is the authz
// policy's (members pick, super admins list); the fleet is not per dealership, so no
// dealership is needed.
type Handler struct {
	svc *Service
}

var _ regionv1connect.RegionServiceHandler = (*Handler)(nil)

// NewHandler returns the RPC handler for svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// publicError maps the service's errors to the public error model; anything else is
// left to the error interceptor (Internal, logged).
func publicError(err error) error {
	switch {
	case errors.Is(err, ErrNoEdge):
		return apierror.Unavailable("no edge takes calls right now: every edge is full, draining or not heartbeating; retry in a few seconds")
	case errors.Is(err, ErrUnavailable):
		return apierror.Unavailable("the fleet view is unavailable; retry in a few seconds")
	}
	return err
}

// PickEdge implements RegionService.PickEdge: the edge a new call should go to (see the
// package doc), counted against that edge's capacity until its next heartbeat.
// Unavailable / UNAVAILABLE when no edge takes calls.
func (h *Handler) PickEdge(ctx context.Context, req *connect.Request[regionv1.PickEdgeRequest]) (*connect.Response[regionv1.PickEdgeResponse], error) {
	if _, err := principal.Require(ctx); err != nil {
		return nil, err
	}
	region := NormalizeRegion(req.Msg.GetRegion())
	hint := strings.TrimSpace(req.Msg.GetHint())
	var v validate.Errors
	if region != "" && !ValidRegion(region) {
		v.Add("region", "must be a region name such as us-east: up to 64 letters, digits, - and _")
	}
	v.Text("hint", hint, 0, MaxHintLen)
	if err := v.Err(); err != nil {
		return nil, err
	}
	e, err := h.svc.Pick(ctx, region, hint)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&regionv1.PickEdgeResponse{Edge: toProto(e)}), nil
}

// ListEdges implements RegionService.ListEdges: every known edge with its state, by
// region and id; an edge unheard for Config.ForgetAfter is no longer listed.
func (h *Handler) ListEdges(ctx context.Context, _ *connect.Request[regionv1.ListEdgesRequest]) (*connect.Response[regionv1.ListEdgesResponse], error) {
	if _, err := principal.Require(ctx); err != nil {
		return nil, err
	}
	edges, err := h.svc.List(ctx)
	if err != nil {
		return nil, publicError(err)
	}
	out := make([]*regionv1.Edge, 0, len(edges))
	for _, e := range edges {
		out = append(out, toProto(e))
	}
	return connect.NewResponse(&regionv1.ListEdgesResponse{Edges: out}), nil
}

// toProto returns the wire form of e. Load is active calls / capacity, 1 for an edge
// without capacity; healthy means its heartbeats are current (not STALE).
func toProto(e Edge) *regionv1.Edge {
	load := 1.0
	if e.Capacity > 0 {
		load = min(1, float64(e.ActiveCalls)/float64(e.Capacity))
	}
	return &regionv1.Edge{
		Id:                e.ID,
		Region:            e.Region,
		Url:               e.URL,
		ActiveCalls:       int32(e.ActiveCalls),
		Capacity:          int32(e.Capacity),
		Load:              load,
		Healthy:           e.State != StateStale,
		Draining:          e.Draining,
		LastHeartbeatTime: timestamppb.New(e.LastSeen),
		State:             stateProto(e.State),
		CpuLoad:           e.CPULoad,
		Version:           e.Version,
		PlacedCalls:       int32(e.PlacedCalls),
	}
}

func stateProto(s State) regionv1.EdgeState {
	switch s {
	case StateReady:
		return regionv1.EdgeState_EDGE_STATE_READY
	case StateFull:
		return regionv1.EdgeState_EDGE_STATE_FULL
	case StateDraining:
		return regionv1.EdgeState_EDGE_STATE_DRAINING
	case StateStale:
		return regionv1.EdgeState_EDGE_STATE_STALE
	}
	return regionv1.EdgeState_EDGE_STATE_UNSPECIFIED
}
