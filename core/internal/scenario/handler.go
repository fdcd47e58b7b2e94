package scenario

import (
	"context"
	"errors"
	"net/http"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1/scenariov1connect"
)

// Handler serves avatar.scenario.v1.ScenarioService over Connect, gRPC and gRPC-Web.
// The caller comes from principal.From(ctx), put there by the authentication
// interceptor; an anonymous call answers Unauthenticated. Everyone with a role reads
// (trainees, admins, edges); dealership admins and super admins write. Dealership users
// act in their own dealership; super admins and edges name it in
// principal.DealershipHeader.
type Handler struct {
	svc *Service
}

var _ scenariov1connect.ScenarioServiceHandler = (*Handler)(nil)

// NewHandler returns the RPC handler for svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// caller returns the dealership the call acts in (principal.Principal.Dealership);
// write requires a role that may change scenarios.
func caller(ctx context.Context, h http.Header, write bool) (string, error) {
	p, err := principal.Require(ctx)
	if err != nil {
		return "", err
	}
	if write && !p.IsAdmin() {
		return "", apierror.PermissionDenied("only dealership admins may change scenarios")
	}
	return p.Dealership(h)
}

// publicError maps the service's errors to the public error model; anything else is
// left to the error interceptor (Internal, logged).
func publicError(err error) error {
	if ce, ok := validate.Public(err); ok {
		return ce
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return apierror.NotFound("scenario")
	case errors.Is(err, ErrVersionNotFound):
		return apierror.NotFound("scenario version")
	case errors.Is(err, ErrBuiltInReadOnly):
		return apierror.PermissionDenied("built-in scenarios are read-only: copy it (CreateScenario with copyFromId) and change the copy")
	case errors.Is(err, ErrConflict):
		return apierror.Aborted("the scenario changed since the version this edit started from: get the latest version and apply the edit again")
	case errors.Is(err, ErrDealershipNotFound):
		return apierror.NotFound("dealership")
	case errors.Is(err, ErrInvalidPageToken):
		return apierror.Invalid(apierror.Violation{Field: "pageToken", Description: "is not a page token from a previous answer"})
	case errors.Is(err, store.ErrNoTenant):
		return apierror.Invalid(apierror.Violation{Field: principal.DealershipHeader, Description: "is required"})
	}
	return err
}

// CreateScenario implements ScenarioService.CreateScenario: a new scenario, or a copy of
// copyFromId with the fields set in scenario replacing the copy's (Service.Create).
func (h *Handler) CreateScenario(ctx context.Context, req *connect.Request[scenariov1.CreateScenarioRequest]) (*connect.Response[scenariov1.CreateScenarioResponse], error) {
	dealership, err := caller(ctx, req.Header(), true)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	var v validate.Errors
	v.ID("copyFromId", m.GetCopyFromId(), false)
	if m.GetCopyFromId() == "" && m.GetScenario() == nil {
		v.Add("scenario", "is required (or copyFromId)")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sc, err := h.svc.Create(ctx, dealership, m.GetScenario(), m.GetCopyFromId())
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&scenariov1.CreateScenarioResponse{Scenario: sc}), nil
}

// GetScenario implements ScenarioService.GetScenario: the latest version, or the one
// asked for (also of a deleted scenario).
func (h *Handler) GetScenario(ctx context.Context, req *connect.Request[scenariov1.GetScenarioRequest]) (*connect.Response[scenariov1.GetScenarioResponse], error) {
	dealership, err := caller(ctx, req.Header(), false)
	if err != nil {
		return nil, err
	}
	var v validate.Errors
	v.ID("id", req.Msg.GetId(), true)
	if req.Msg.GetVersion() < 0 {
		v.Add("version", "must not be negative (0 asks for the latest)")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sc, err := h.svc.Get(ctx, dealership, req.Msg.GetId(), req.Msg.GetVersion())
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&scenariov1.GetScenarioResponse{Scenario: sc}), nil
}

// ListScenarios implements ScenarioService.ListScenarios: built-in scenarios first, then
// the dealership's own, each by title; pageSize defaults to 50, at most 200.
func (h *Handler) ListScenarios(ctx context.Context, req *connect.Request[scenariov1.ListScenariosRequest]) (*connect.Response[scenariov1.ListScenariosResponse], error) {
	dealership, err := caller(ctx, req.Header(), false)
	if err != nil {
		return nil, err
	}
	var v validate.Errors
	size := v.PageSize("pageSize", req.Msg.GetPageSize(), DefaultPageSize, MaxPageSize)
	if err := v.Err(); err != nil {
		return nil, err
	}
	scs, next, err := h.svc.List(ctx, dealership, size, req.Msg.GetPageToken())
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&scenariov1.ListScenariosResponse{Scenarios: scs, NextPageToken: next}), nil
}

// UpdateScenario implements ScenarioService.UpdateScenario: scenario.version must be
// the latest version (Aborted / CONFLICT otherwise); built-in scenarios are read-only.
func (h *Handler) UpdateScenario(ctx context.Context, req *connect.Request[scenariov1.UpdateScenarioRequest]) (*connect.Response[scenariov1.UpdateScenarioResponse], error) {
	dealership, err := caller(ctx, req.Header(), true)
	if err != nil {
		return nil, err
	}
	sc := req.Msg.GetScenario()
	var v validate.Errors
	if sc == nil {
		v.Add("scenario", "is required")
	} else {
		v.ID("scenario.id", sc.GetId(), true)
		if sc.GetVersion() < 1 {
			v.Add("scenario.version", "must be the version the edit started from (1 or more)")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	out, err := h.svc.Update(ctx, dealership, sc)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&scenariov1.UpdateScenarioResponse{Scenario: out}), nil
}

// DeleteScenario implements ScenarioService.DeleteScenario: the scenario leaves the
// list; its versions stay readable by number.
func (h *Handler) DeleteScenario(ctx context.Context, req *connect.Request[scenariov1.DeleteScenarioRequest]) (*connect.Response[scenariov1.DeleteScenarioResponse], error) {
	dealership, err := caller(ctx, req.Header(), true)
	if err != nil {
		return nil, err
	}
	var v validate.Errors
	v.ID("id", req.Msg.GetId(), true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := h.svc.Delete(ctx, dealership, req.Msg.GetId()); err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&scenariov1.DeleteScenarioResponse{}), nil
}
