package auth

import (
	"context"
	"errors"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/authn"
	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/validate"
	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1/authv1connect"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// Handler serves avatar.auth.v1.AuthService over Connect, gRPC and gRPC-Web. It
// validates each request, calls the Service and maps its errors to the public error
// model in one place (publicError). The caller, where a call needs one, comes from
// principal.From(ctx), put there by the authentication interceptor; the authz policy
// decides beforehand who may call what. Safe for concurrent use.
type Handler struct {
	svc *Service
}

var _ authv1connect.AuthServiceHandler = (*Handler)(nil)

// NewHandler returns the RPC handler for svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// caller returns the authenticated human user, refusing API keys and services.
func caller(ctx context.Context) (principal.Principal, error) {
	p, ok := principal.From(ctx)
	if !ok {
		return p, apierror.Unauthenticated("sign in first")
	}
	if !p.IsUser() {
		return p, apierror.New(connect.CodeFailedPrecondition, apierror.ReasonValidation, "this call needs a signed-in user, not an API key")
	}
	return p, nil
}

// publicError maps the service's errors to the public error model; anything else is
// left to the error interceptor (Internal, logged).
func publicError(err error) error {
	if ce, ok := apierror.FromRateLimit(err); ok {
		return ce
	}
	if ce, ok := validate.Public(err); ok {
		return ce
	}
	switch {
	case errors.Is(err, ErrInvalidLogin):
		return apierror.Unauthenticated("invalid email or password")
	case errors.Is(err, ErrTOTPRequired):
		return apierror.New(connect.CodeUnauthenticated, ReasonTOTPRequired, "two-factor code required")
	case errors.Is(err, ErrInvalidTOTPCode):
		return apierror.Unauthenticated("invalid two-factor code")
	case errors.Is(err, ErrInvalidRecoveryCode):
		return apierror.Unauthenticated("invalid recovery code")
	case errors.Is(err, ErrRefreshTokenInvalid):
		return apierror.Unauthenticated("invalid refresh token")
	case errors.Is(err, ErrRefreshTokenRevoked):
		return apierror.Unauthenticated("refresh token revoked")
	case errors.Is(err, ErrRefreshTokenReused):
		return apierror.Unauthenticated("refresh token already used; every session of this sign-in is revoked")
	case errors.Is(err, ErrRefreshTokenExpired):
		return apierror.Unauthenticated("refresh token expired; sign in again")
	case errors.Is(err, ErrAccountDisabled):
		return apierror.Unauthenticated("account disabled")
	case errors.Is(err, ErrAccountNotFound):
		return apierror.Unauthenticated("account not found")
	case errors.Is(err, ErrTOTPAlreadyEnabled):
		return apierror.New(connect.CodeFailedPrecondition, apierror.ReasonConflict, "two-factor is already on; disable it first")
	case errors.Is(err, ErrNoTOTPEnrollment):
		return apierror.New(connect.CodeFailedPrecondition, apierror.ReasonValidation, "no pending two-factor enrolment; call EnrollTotp first")
	case errors.Is(err, ErrTOTPNotEnabled):
		return apierror.New(connect.CodeFailedPrecondition, apierror.ReasonValidation, "two-factor is not on")
	case errors.Is(err, ErrRoleNotAllowed):
		return apierror.PermissionDenied("only a super admin may issue this role")
	case errors.Is(err, ErrDealershipNotFound):
		return apierror.NotFound("dealership")
	case errors.Is(err, ErrAPIKeyNotFound):
		return apierror.NotFound("API key")
	}
	return err
}

// Login implements AuthService.Login (Service.Login).
func (h *Handler) Login(ctx context.Context, req *connect.Request[authv1.LoginRequest]) (*connect.Response[authv1.LoginResponse], error) {
	m := req.Msg
	var v validate.Errors
	v.Email("email", m.GetEmail())
	if m.GetPassword() == "" {
		v.Add("password", "is required")
	} else if len(m.GetPassword()) > password.MaxLength {
		v.Add("password", "must be at most 1024 bytes")
	}
	if len(m.GetTotpCode()) > 16 {
		v.Add("totpCode", "must be a 6-digit code")
	}
	if len(m.GetRecoveryCode()) > 64 {
		v.Add("recoveryCode", "is not a recovery code")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	t, err := h.svc.Login(ctx, Credentials{
		Email: m.GetEmail(), Password: m.GetPassword(), TOTPCode: m.GetTotpCode(), RecoveryCode: m.GetRecoveryCode(),
		IP: authn.ClientFrom(ctx).IP,
	})
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&authv1.LoginResponse{AccessToken: t.Access, RefreshToken: t.Refresh, ExpiresIn: t.ExpiresIn}), nil
}

func validRefresh(field, tok string) error {
	var v validate.Errors
	switch {
	case tok == "":
		v.Add(field, "is required")
	case len(tok) > 128 || !strings.HasPrefix(tok, refreshPrefix):
		v.Add(field, "is not a refresh token")
	}
	return v.Err()
}

// Refresh implements AuthService.Refresh: rotation with reuse detection
// (Service.Refresh).
func (h *Handler) Refresh(ctx context.Context, req *connect.Request[authv1.RefreshRequest]) (*connect.Response[authv1.RefreshResponse], error) {
	tok := req.Msg.GetRefreshToken()
	if err := validRefresh("refreshToken", tok); err != nil {
		return nil, err
	}
	t, err := h.svc.Refresh(ctx, tok)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&authv1.RefreshResponse{AccessToken: t.Access, RefreshToken: t.Refresh, ExpiresIn: t.ExpiresIn}), nil
}

// Logout implements AuthService.Logout: it revokes the token's whole family; an unknown
// token is not an error.
func (h *Handler) Logout(ctx context.Context, req *connect.Request[authv1.LogoutRequest]) (*connect.Response[authv1.LogoutResponse], error) {
	tok := req.Msg.GetRefreshToken()
	if err := validRefresh("refreshToken", tok); err != nil {
		return nil, err
	}
	if err := h.svc.Logout(ctx, tok); err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&authv1.LogoutResponse{}), nil
}

// EnrollTotp implements AuthService.EnrollTotp: a new pending secret, not yet required
// at login until ConfirmTotp.
func (h *Handler) EnrollTotp(ctx context.Context, _ *connect.Request[authv1.EnrollTotpRequest]) (*connect.Response[authv1.EnrollTotpResponse], error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	e, err := h.svc.EnrollTOTP(ctx, p.UserID)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&authv1.EnrollTotpResponse{Secret: e.Secret, OtpauthUrl: e.URL, QrPng: e.QRPNG}), nil
}

func validCode(field, code string) error {
	var v validate.Errors
	if code == "" {
		v.Add(field, "is required")
	} else if len(code) > 64 {
		v.Add(field, "is not a code")
	}
	return v.Err()
}

// ConfirmTotp implements AuthService.ConfirmTotp: the first valid code switches
// two-factor on and returns ten single-use recovery codes.
func (h *Handler) ConfirmTotp(ctx context.Context, req *connect.Request[authv1.ConfirmTotpRequest]) (*connect.Response[authv1.ConfirmTotpResponse], error) {
	if err := validCode("code", req.Msg.GetCode()); err != nil {
		return nil, err
	}
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	codes, err := h.svc.ConfirmTOTP(ctx, p.UserID, req.Msg.GetCode())
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&authv1.ConfirmTotpResponse{RecoveryCodes: codes}), nil
}

// DisableTotp implements AuthService.DisableTotp, given a current code or a recovery code.
func (h *Handler) DisableTotp(ctx context.Context, req *connect.Request[authv1.DisableTotpRequest]) (*connect.Response[authv1.DisableTotpResponse], error) {
	if err := validCode("code", req.Msg.GetCode()); err != nil {
		return nil, err
	}
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.svc.DisableTOTP(ctx, p.UserID, req.Msg.GetCode()); err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&authv1.DisableTotpResponse{}), nil
}

// CreateApiKey implements AuthService.CreateApiKey (Service.CreateAPIKey). The secret
// is in the answer only.
func (h *Handler) CreateApiKey(ctx context.Context, req *connect.Request[authv1.CreateApiKeyRequest]) (*connect.Response[authv1.CreateApiKeyResponse], error) {
	p, _ := principal.From(ctx)
	m := req.Msg
	var v validate.Errors
	v.Text("name", m.GetName(), 1, 100)
	v.ID("dealershipId", m.GetDealershipId(), false)
	role := m.GetRole()
	if _, ok := orgv1.Role_name[int32(role)]; !ok || role == orgv1.Role_ROLE_UNSPECIFIED {
		v.Add("role", "must be one of ROLE_SUPER_ADMIN, ROLE_DEALERSHIP_ADMIN, ROLE_TRAINEE, ROLE_EDGE_SERVICE")
	}
	var expires *time.Time
	if m.ExpireTime != nil {
		if err := m.ExpireTime.CheckValid(); err != nil || !m.ExpireTime.AsTime().After(h.svc.cfg.Now()) {
			v.Add("expireTime", "must be in the future")
		} else {
			t := m.ExpireTime.AsTime()
			expires = &t
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	k, secret, err := h.svc.CreateAPIKey(ctx, p, NewAPIKey{Name: m.GetName(), Role: role, DealershipID: m.GetDealershipId(), Expires: expires})
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&authv1.CreateApiKeyResponse{ApiKey: k, Secret: secret}), nil
}

// ListApiKeys implements AuthService.ListApiKeys, newest first, paginated: pageSize
// defaults to 50, at most 500.
func (h *Handler) ListApiKeys(ctx context.Context, req *connect.Request[authv1.ListApiKeysRequest]) (*connect.Response[authv1.ListApiKeysResponse], error) {
	p, _ := principal.From(ctx)
	m := req.Msg
	var v validate.Errors
	v.ID("dealershipId", m.GetDealershipId(), false)
	size := v.PageSize("pageSize", m.GetPageSize(), 50, 500)
	after, afterID := v.PageToken("pageToken", m.GetPageToken())
	if err := v.Err(); err != nil {
		return nil, err
	}
	keys, next, err := h.svc.ListAPIKeys(ctx, p, m.GetDealershipId(), size, after, afterID)
	if err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&authv1.ListApiKeysResponse{ApiKeys: keys, NextPageToken: next}), nil
}

// RevokeApiKey implements AuthService.RevokeApiKey. Another dealership's key answers
// NotFound.
func (h *Handler) RevokeApiKey(ctx context.Context, req *connect.Request[authv1.RevokeApiKeyRequest]) (*connect.Response[authv1.RevokeApiKeyResponse], error) {
	p, _ := principal.From(ctx)
	var v validate.Errors
	v.ID("id", req.Msg.GetId(), true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := h.svc.RevokeAPIKey(ctx, p, req.Msg.GetId()); err != nil {
		return nil, publicError(err)
	}
	return connect.NewResponse(&authv1.RevokeApiKeyResponse{}), nil
}
