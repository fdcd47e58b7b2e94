package org

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/validate"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1/orgv1connect"
)

// Handler serves avatar.org.v1.OrgService over Connect, gRPC and gRPC-Web. It validates
// each request, calls the Service for the caller (principal.From(ctx), put there by the
// authentication interceptor; the authz policy decides beforehand who may call what)
// and maps the Service's errors to the public error model in one place (publicError).
// Safe for concurrent use.
type Handler struct {
	svc *Service
}

var _ orgv1connect.OrgServiceHandler = (*Handler)(nil)

// NewHandler returns the RPC handler for svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// publicError maps the service's errors to the public error model; anything else is
// left to the error interceptor (Internal, logged).
func publicError(err error) error {
	if ce, ok := validate.Public(err); ok {
		return ce
	}
	switch {
	case errors.Is(err, ErrNoDealership):
		return apierror.PermissionDenied("no dealership")
	case errors.Is(err, ErrDealershipNotFound):
		return apierror.NotFound("dealership")
	case errors.Is(err, ErrDealershipExists):
		return apierror.Conflict("a dealership with this name exists")
	case errors.Is(err, ErrUserNotFound):
		return apierror.NotFound("user")
	case errors.Is(err, ErrUserExists):
		return apierror.Conflict("a user with this email exists")
	case errors.Is(err, ErrSuperAdminOnly):
		return apierror.PermissionDenied("only a super admin may create super admins")
	case errors.Is(err, ErrDeactivateSelf):
		return apierror.New(connect.CodeFailedPrecondition, apierror.ReasonValidation, "you cannot deactivate yourself")
	case errors.Is(err, ErrNotAUser):
		return apierror.New(connect.CodeFailedPrecondition, apierror.ReasonValidation, "an API key is not a user")
	}
	return err
}

// CreateDealership implements OrgService.CreateDealership (super admins).
func (h *Handler) CreateDealership(ctx context.Context, req *connect.Request[orgv1.CreateDealershipRequest]) (*connect.Response[orgv1.CreateDealershipResponse], error) {
	var v validate.Errors
	v.Text("name", req.Msg.GetName(), 1, 200)
	if err := v.Err(); err != nil {
		return nil, err
	}
	d, err := h.svc.CreateDealership(ctx, req.Msg.GetName())
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&orgv1.CreateDealershipResponse{Dealership: d}), nil
}

// ListDealerships implements OrgService.ListDealerships: all for a super admin, the
// caller's own otherwise; pageSize defaults to 50, at most 500.
func (h *Handler) ListDealerships(ctx context.Context, req *connect.Request[orgv1.ListDealershipsRequest]) (*connect.Response[orgv1.ListDealershipsResponse], error) {
	p, _ := principal.From(ctx)
	var v validate.Errors
	size := v.PageSize("pageSize", req.Msg.GetPageSize(), 50, 500)
	after, afterID := v.PageToken("pageToken", req.Msg.GetPageToken())
	if err := v.Err(); err != nil {
		return nil, err
	}
	ds, next, err := h.svc.ListDealerships(ctx, p, size, after, afterID)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&orgv1.ListDealershipsResponse{Dealerships: ds, NextPageToken: next}), nil
}

// CreateUser implements OrgService.CreateUser (Service.CreateUser).
func (h *Handler) CreateUser(ctx context.Context, req *connect.Request[orgv1.CreateUserRequest]) (*connect.Response[orgv1.CreateUserResponse], error) {
	p, _ := principal.From(ctx)
	m := req.Msg
	var v validate.Errors
	v.ID("dealershipId", m.GetDealershipId(), false)
	v.Email("email", m.GetEmail())
	switch err := password.Validate(m.GetPassword()); {
	case errors.Is(err, password.ErrTooLong):
		v.Add("password", "must be at most 1024 bytes")
	case err != nil:
		v.Add("password", fmt.Sprintf("must be at least %d characters", password.MinLength))
	}
	v.Text("displayName", m.GetDisplayName(), 0, 200)
	switch m.GetRole() {
	case orgv1.Role_ROLE_SUPER_ADMIN, orgv1.Role_ROLE_DEALERSHIP_ADMIN, orgv1.Role_ROLE_TRAINEE:
	default:
		v.Add("role", "must be ROLE_TRAINEE, ROLE_DEALERSHIP_ADMIN or ROLE_SUPER_ADMIN")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	u, err := h.svc.CreateUser(ctx, p, NewUser{
		DealershipID: m.GetDealershipId(), Email: m.GetEmail(), Password: m.GetPassword(), Role: m.GetRole(), DisplayName: m.GetDisplayName(),
	})
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&orgv1.CreateUserResponse{User: u}), nil
}

// ListUsers implements OrgService.ListUsers, oldest first, paginated: pageSize defaults
// to 50, at most 500.
func (h *Handler) ListUsers(ctx context.Context, req *connect.Request[orgv1.ListUsersRequest]) (*connect.Response[orgv1.ListUsersResponse], error) {
	p, _ := principal.From(ctx)
	m := req.Msg
	var v validate.Errors
	v.ID("dealershipId", m.GetDealershipId(), false)
	size := v.PageSize("pageSize", m.GetPageSize(), 50, 500)
	after, afterID := v.PageToken("pageToken", m.GetPageToken())
	if err := v.Err(); err != nil {
		return nil, err
	}
	users, next, err := h.svc.ListUsers(ctx, p, m.GetDealershipId(), size, after, afterID)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&orgv1.ListUsersResponse{Users: users, NextPageToken: next}), nil
}

func validID(id string) error {
	var v validate.Errors
	v.ID("id", id, true)
	return v.Err()
}

// GetUser implements OrgService.GetUser. Another dealership's user answers NotFound.
func (h *Handler) GetUser(ctx context.Context, req *connect.Request[orgv1.GetUserRequest]) (*connect.Response[orgv1.GetUserResponse], error) {
	if err := validID(req.Msg.GetId()); err != nil {
		return nil, err
	}
	p, _ := principal.From(ctx)
	u, err := h.svc.GetUser(ctx, p, req.Msg.GetId())
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&orgv1.GetUserResponse{User: u}), nil
}

// UpdateUser implements OrgService.UpdateUser: display name and role (not to or from
// super admin, which changes tenancy).
func (h *Handler) UpdateUser(ctx context.Context, req *connect.Request[orgv1.UpdateUserRequest]) (*connect.Response[orgv1.UpdateUserResponse], error) {
	m := req.Msg
	var v validate.Errors
	v.ID("id", m.GetId(), true)
	if m.DisplayName != nil {
		v.Text("displayName", m.GetDisplayName(), 0, 200)
	}
	if m.Role != nil && m.GetRole() != orgv1.Role_ROLE_DEALERSHIP_ADMIN && m.GetRole() != orgv1.Role_ROLE_TRAINEE {
		v.Add("role", "must be ROLE_TRAINEE or ROLE_DEALERSHIP_ADMIN")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p, _ := principal.From(ctx)
	u, err := h.svc.UpdateUser(ctx, p, m.GetId(), UserChange{DisplayName: m.DisplayName, Role: m.Role})
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&orgv1.UpdateUserResponse{User: u}), nil
}

// DeactivateUser implements OrgService.DeactivateUser: the user can no longer sign in,
// and every refresh token they hold is revoked.
func (h *Handler) DeactivateUser(ctx context.Context, req *connect.Request[orgv1.DeactivateUserRequest]) (*connect.Response[orgv1.DeactivateUserResponse], error) {
	if err := validID(req.Msg.GetId()); err != nil {
		return nil, err
	}
	p, _ := principal.From(ctx)
	u, err := h.svc.DeactivateUser(ctx, p, req.Msg.GetId())
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&orgv1.DeactivateUserResponse{User: u}), nil
}

// GetMe implements OrgService.GetMe.
func (h *Handler) GetMe(ctx context.Context, _ *connect.Request[orgv1.GetMeRequest]) (*connect.Response[orgv1.GetMeResponse], error) {
	p, _ := principal.From(ctx)
	u, err := h.svc.Me(ctx, p)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&orgv1.GetMeResponse{User: u}), nil
}

// ListAuditEvents implements OrgService.ListAuditEvents: the caller's dealership for a
// dealership admin; any dealership, or all, for a super admin. Newest first; pageSize
// defaults to 50, at most 500.
func (h *Handler) ListAuditEvents(ctx context.Context, req *connect.Request[orgv1.ListAuditEventsRequest]) (*connect.Response[orgv1.ListAuditEventsResponse], error) {
	p, _ := principal.From(ctx)
	m := req.Msg
	var v validate.Errors
	v.ID("dealershipId", m.GetDealershipId(), false)
	size := v.PageSize("pageSize", m.GetPageSize(), 50, 500)
	before, beforeID := v.PageToken("pageToken", m.GetPageToken())
	if err := v.Err(); err != nil {
		return nil, err
	}
	evs, next, err := h.svc.ListAuditEvents(ctx, p, m.GetDealershipId(), size, before, beforeID)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&orgv1.ListAuditEventsResponse{Events: evs, NextPageToken: next}), nil
}
