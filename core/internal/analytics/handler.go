package analytics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1/analyticsv1connect"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// DefaultLatencyWindow is GetRegionLatency's window when the request sets none.
const DefaultLatencyWindow = 24 * time.Hour

// Handler serves avatar.analytics.v1.AnalyticsService over Connect, gRPC and gRPC-Web.
// The caller comes from principal.From(ctx), put there by the authentication
// interceptor; an anonymous call answers Unauthenticated. A trainee sees their own
// sessions and analytics; a dealership admin their dealership's, and manages its
// retention and deletions; a super admin names the dealership in
// principal.DealershipHeader and alone reads the latency across regions. Another
// dealership's objects answer NotFound.
type Handler struct {
	svc *Service
}

var _ analyticsv1connect.AnalyticsServiceHandler = (*Handler)(nil)

// NewHandler returns the RPC handler for svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// access says which callers a procedure admits.
type access int

const (
	members access = iota // trainees, dealership admins, super admins
	admins                // dealership admins, super admins
)

// caller returns the principal and the dealership the call acts in: the caller's own,
// or for a super admin the one named (in a request field, else in
// principal.DealershipHeader). A dealership user naming another dealership gets
// NotFound.
func caller(ctx context.Context, h http.Header, named string, a access) (principal.Principal, string, error) {
	p, err := principal.Require(ctx)
	if err != nil {
		return p, "", err
	}
	switch p.Role {
	case orgv1.Role_ROLE_SUPER_ADMIN, orgv1.Role_ROLE_DEALERSHIP_ADMIN:
	case orgv1.Role_ROLE_TRAINEE:
		if a == admins {
			return p, "", apierror.PermissionDenied("only dealership admins may call this")
		}
	default:
		return p, "", apierror.PermissionDenied("your role may not read analytics")
	}
	if p.DealershipID != "" {
		if named != "" && !strings.EqualFold(named, p.DealershipID) {
			return p, "", apierror.NotFound("dealership")
		}
		return p, p.DealershipID, nil
	}
	if named == "" {
		d, err := p.Dealership(h)
		return p, canonicalUUID(d), err
	}
	if !validate.IsUUID(named) {
		return p, "", principal.MissingDealership("dealershipId")
	}
	return p, canonicalUUID(named), nil
}

// ownOnly returns the user a trainee is confined to (themselves), "" for admins.
func ownOnly(p principal.Principal) string {
	if p.Role == orgv1.Role_ROLE_TRAINEE {
		return p.UserID
	}
	return ""
}

// publicError maps the service's errors to the public error model; anything else is
// left to the error interceptor (Internal, logged).
func publicError(err error) error {
	switch {
	case errors.Is(err, ErrSessionNotFound):
		return apierror.NotFound("session")
	case errors.Is(err, ErrUserNotFound):
		return apierror.NotFound("user")
	case errors.Is(err, ErrDealershipNotFound):
		return apierror.NotFound("dealership")
	case errors.Is(err, ErrInvalidPageToken):
		return apierror.Invalid(apierror.Violation{Field: "pageToken", Description: "is not a page token from a previous answer"})
	case errors.Is(err, ErrInvalidRetention):
		return apierror.Invalid(apierror.Violation{Field: "retentionDays", Description: retentionRange})
	case errors.Is(err, store.ErrNoTenant):
		return apierror.Invalid(apierror.Violation{Field: principal.DealershipHeader, Description: "is required"})
	}
	return err
}

var retentionRange = "must be " + strconv.Itoa(MinRetentionDays) + " to " + strconv.Itoa(MaxRetentionDays) + " days"

// since checks an optional window start; unset is the zero time (no limit).
func since(v *validate.Errors, field string, ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	if err := ts.CheckValid(); err != nil {
		v.Add(field, "must be a valid timestamp")
		return time.Time{}
	}
	return ts.AsTime()
}

// sessionID checks a required session id.
func sessionID(v *validate.Errors, field, id string) {
	switch {
	case id == "":
		v.Add(field, "is required")
	case !validSessionID(id):
		v.Add(field, "must be a session id (letters, digits, '-' and '_', at most 64)")
	}
}

// ListSessions implements AnalyticsService.ListSessions: newest first; a trainee's own,
// an admin's dealership's (one user's with userId); pageSize defaults to 50, at most 200.
func (h *Handler) ListSessions(ctx context.Context, req *connect.Request[analyticsv1.ListSessionsRequest]) (*connect.Response[analyticsv1.ListSessionsResponse], error) {
	p, dealership, err := caller(ctx, req.Header(), "", members)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	var v validate.Errors
	v.ID("userId", m.GetUserId(), false)
	size := v.PageSize("pageSize", m.GetPageSize(), DefaultPageSize, MaxPageSize)
	v.PageToken("pageToken", m.GetPageToken())
	if err := v.Err(); err != nil {
		return nil, err
	}
	user := m.GetUserId()
	if own := ownOnly(p); own != "" {
		if user != "" && !strings.EqualFold(user, own) {
			return nil, apierror.PermissionDenied("trainees see only their own sessions")
		}
		user = own
	}
	sessions, next, err := h.svc.ListSessions(ctx, dealership, canonicalUUID(user), size, m.GetPageToken())
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&analyticsv1.ListSessionsResponse{Sessions: sessions, NextPageToken: next}), nil
}

// GetSession implements AnalyticsService.GetSession: the session, its transcript and
// per-turn latency, its scorecard and conversation measures.
func (h *Handler) GetSession(ctx context.Context, req *connect.Request[analyticsv1.GetSessionRequest]) (*connect.Response[analyticsv1.GetSessionResponse], error) {
	p, dealership, err := caller(ctx, req.Header(), "", members)
	if err != nil {
		return nil, err
	}
	var v validate.Errors
	sessionID(&v, "id", req.Msg.GetId())
	if err := v.Err(); err != nil {
		return nil, err
	}
	out, err := h.svc.GetSession(ctx, dealership, ownOnly(p), req.Msg.GetId())
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(out), nil
}

// GetUserAnalytics implements AnalyticsService.GetUserAnalytics: the caller's progress,
// or (admins) one of their dealership's users'.
func (h *Handler) GetUserAnalytics(ctx context.Context, req *connect.Request[analyticsv1.GetUserAnalyticsRequest]) (*connect.Response[analyticsv1.GetUserAnalyticsResponse], error) {
	p, dealership, err := caller(ctx, req.Header(), "", members)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	var v validate.Errors
	v.ID("userId", m.GetUserId(), p.IsSuperAdmin())
	from := since(&v, "since", m.GetSince())
	if err := v.Err(); err != nil {
		return nil, err
	}
	user := m.GetUserId()
	if user == "" {
		user = p.UserID
	}
	if own := ownOnly(p); own != "" && !strings.EqualFold(user, own) {
		return nil, apierror.PermissionDenied("trainees see only their own analytics")
	}
	out, err := h.svc.UserAnalytics(ctx, dealership, user, from)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(out), nil
}

// GetDealershipAnalytics implements AnalyticsService.GetDealershipAnalytics (admins).
func (h *Handler) GetDealershipAnalytics(ctx context.Context, req *connect.Request[analyticsv1.GetDealershipAnalyticsRequest]) (*connect.Response[analyticsv1.GetDealershipAnalyticsResponse], error) {
	var v validate.Errors
	v.ID("dealershipId", req.Msg.GetDealershipId(), false)
	from := since(&v, "since", req.Msg.GetSince())
	if err := v.Err(); err != nil {
		return nil, err
	}
	_, dealership, err := caller(ctx, req.Header(), req.Msg.GetDealershipId(), admins)
	if err != nil {
		return nil, err
	}
	out, err := h.svc.DealershipAnalytics(ctx, dealership, from)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(out), nil
}

// GetRegionLatency implements AnalyticsService.GetRegionLatency (super admins): turn
// stage percentiles per region since the request's since, default the last 24 hours.
func (h *Handler) GetRegionLatency(ctx context.Context, req *connect.Request[analyticsv1.GetRegionLatencyRequest]) (*connect.Response[analyticsv1.GetRegionLatencyResponse], error) {
	p, err := principal.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsSuperAdmin() {
		return nil, apierror.PermissionDenied("only super admins read the latency across regions")
	}
	var v validate.Errors
	from := since(&v, "since", req.Msg.GetSince())
	if err := v.Err(); err != nil {
		return nil, err
	}
	if req.Msg.GetSince() == nil {
		from = time.Now().Add(-DefaultLatencyWindow)
	}
	out, err := h.svc.RegionLatency(ctx, from)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(out), nil
}

// DeleteUserSessions implements AnalyticsService.DeleteUserSessions (admins; audited).
func (h *Handler) DeleteUserSessions(ctx context.Context, req *connect.Request[analyticsv1.DeleteUserSessionsRequest]) (*connect.Response[analyticsv1.DeleteUserSessionsResponse], error) {
	_, dealership, err := caller(ctx, req.Header(), "", admins)
	if err != nil {
		return nil, err
	}
	var v validate.Errors
	v.ID("userId", req.Msg.GetUserId(), true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	sessions, turns, err := h.svc.DeleteUserSessions(ctx, dealership, req.Msg.GetUserId())
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&analyticsv1.DeleteUserSessionsResponse{DeletedSessions: int32(sessions), DeletedTurns: turns}), nil
}

// GetRetention implements AnalyticsService.GetRetention (admins).
func (h *Handler) GetRetention(ctx context.Context, req *connect.Request[analyticsv1.GetRetentionRequest]) (*connect.Response[analyticsv1.GetRetentionResponse], error) {
	_, dealership, err := caller(ctx, req.Header(), "", admins)
	if err != nil {
		return nil, err
	}
	days, err := h.svc.Retention(ctx, dealership)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&analyticsv1.GetRetentionResponse{RetentionDays: int32(days)}), nil
}

// SetRetention implements AnalyticsService.SetRetention (admins; audited).
func (h *Handler) SetRetention(ctx context.Context, req *connect.Request[analyticsv1.SetRetentionRequest]) (*connect.Response[analyticsv1.SetRetentionResponse], error) {
	_, dealership, err := caller(ctx, req.Header(), "", admins)
	if err != nil {
		return nil, err
	}
	d := req.Msg.GetRetentionDays()
	if d < MinRetentionDays || d > MaxRetentionDays {
		return nil, apierror.Invalid(apierror.Violation{Field: "retentionDays", Description: retentionRange})
	}
	days, err := h.svc.SetRetention(ctx, dealership, int(d))
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&analyticsv1.SetRetentionResponse{RetentionDays: int32(days)}), nil
}
