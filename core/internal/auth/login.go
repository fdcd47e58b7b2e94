package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/authn"
	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/core/internal/ratelimit"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
	"github.com/avatar-fi/avatar/protocol/accesstoken"
	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
)

// refreshPrefix starts every refresh token.
const refreshPrefix = "rt_"

// user is the row Login and Refresh need.
type user struct {
	ID, DealershipID, Email, PasswordHash, Role string
	Active, TOTPEnabled                         bool
	TOTPSecret                                  []byte
	TOTPLastStep                                int64
}

const userColumns = `id::text, COALESCE(dealership_id::text, ''), email, password_hash, role, active, totp_enabled, totp_secret, totp_last_step`

func scanUser(row pgx.Row) (user, error) {
	var u user
	err := row.Scan(&u.ID, &u.DealershipID, &u.Email, &u.PasswordHash, &u.Role, &u.Active, &u.TOTPEnabled, &u.TOTPSecret, &u.TOTPLastStep)
	return u, err
}

func errInvalidLogin() error { return apierror.Unauthenticated("invalid email or password") }

// Login implements AuthService.Login.
func (s *Service) Login(ctx context.Context, req *connect.Request[authv1.LoginRequest]) (*connect.Response[authv1.LoginResponse], error) {
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
	email := strings.ToLower(m.GetEmail())
	ip := authn.ClientFrom(ctx).IP
	if err := s.cfg.AccountLockout.Check(ctx, email); err != nil {
		return nil, err
	}
	if err := s.cfg.IPLockout.Check(ctx, ip); err != nil {
		return nil, err
	}
	if err := s.cfg.Limiter.Allow(ctx, ratelimit.LoginIP, ip); err != nil {
		return nil, err
	}
	if err := s.cfg.Limiter.Allow(ctx, ratelimit.LoginAccount, email); err != nil {
		return nil, err
	}

	u, err := scanUser(s.cfg.DB.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE lower(email) = $1", email))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Same work and the same answer as a wrong password.
		if err := s.cfg.Passwords.VerifyDummy(ctx, m.GetPassword()); err != nil && !errors.Is(err, password.ErrMismatch) {
			return nil, err
		}
		return nil, s.failed(ctx, email, ip)
	case err != nil:
		return nil, fmt.Errorf("find user: %w", err)
	}
	if err := s.cfg.Passwords.Verify(ctx, u.PasswordHash, m.GetPassword()); err != nil {
		if errors.Is(err, password.ErrMismatch) {
			return nil, s.failed(ctx, email, ip)
		}
		return nil, fmt.Errorf("verify password: %w", err)
	}
	if !u.Active {
		return nil, s.failed(ctx, email, ip)
	}
	if u.TOTPEnabled {
		switch {
		case m.GetTotpCode() == "" && m.GetRecoveryCode() == "":
			return nil, apierror.New(connect.CodeUnauthenticated, ReasonTOTPRequired, "two-factor code required")
		case m.GetTotpCode() != "":
			ok, err := s.useTOTP(ctx, u, m.GetTotpCode())
			if err != nil {
				return nil, err
			}
			if !ok {
				_ = s.failed(ctx, email, ip)
				return nil, apierror.Unauthenticated("invalid two-factor code")
			}
		default:
			ok, err := s.useRecoveryCode(ctx, u.ID, m.GetRecoveryCode())
			if err != nil {
				return nil, err
			}
			if !ok {
				_ = s.failed(ctx, email, ip)
				return nil, apierror.Unauthenticated("invalid recovery code")
			}
		}
	}
	if err := s.cfg.AccountLockout.Reset(ctx, email); err != nil {
		s.log.WarnContext(ctx, "reset login lockout", "error", err.Error())
	}
	if s.cfg.Passwords.NeedsRehash(u.PasswordHash) {
		if h, err := s.cfg.Passwords.Hash(ctx, m.GetPassword()); err == nil {
			_, _ = s.cfg.DB.Exec(ctx, "UPDATE users SET password_hash = $2 WHERE id = $1", u.ID, h)
		}
	}
	var res *authv1.LoginResponse
	err = store.InTx(ctx, s.cfg.DB, func(tx pgx.Tx) error {
		access, refresh, exp, err := s.issue(ctx, tx, u, "", s.cfg.Now().Add(s.cfg.RefreshTTL))
		res = &authv1.LoginResponse{AccessToken: access, RefreshToken: refresh, ExpiresIn: exp}
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "login", "user_id", u.ID, "ip", ip)
	return connect.NewResponse(res), nil
}

// failed counts a failed attempt against the account and the IP and returns the answer.
func (s *Service) failed(ctx context.Context, email, ip string) error {
	if _, err := s.cfg.AccountLockout.Fail(ctx, email); err != nil {
		s.log.WarnContext(ctx, "count login failure", "error", err.Error())
	}
	if _, err := s.cfg.IPLockout.Fail(ctx, ip); err != nil {
		s.log.WarnContext(ctx, "count login failure", "error", err.Error())
	}
	return errInvalidLogin()
}

// issue signs an access token and stores a new refresh token in family (a new family
// when empty) ending at familyEnd.
func (s *Service) issue(ctx context.Context, tx pgx.Tx, u user, family string, familyEnd time.Time) (string, string, int64, error) {
	signer := s.cfg.Keys.Signer()
	c := accesstoken.Claims{Role: u.Role, DealershipID: u.DealershipID, Email: u.Email}
	c.Subject = u.ID
	access, err := signer.Sign(c)
	if err != nil {
		return "", "", 0, err
	}
	refresh := randomToken(refreshPrefix, 32)
	var did any
	if u.DealershipID != "" {
		did = u.DealershipID
	}
	_, err = tx.Exec(ctx, `INSERT INTO refresh_tokens (family_id, user_id, dealership_id, token_hash, expires_at)
		VALUES (COALESCE(NULLIF($1, '')::uuid, gen_random_uuid()), $2, $3, $4, $5)`, family, u.ID, did, sha(refresh), familyEnd)
	if err != nil {
		return "", "", 0, fmt.Errorf("store refresh token: %w", err)
	}
	return access, refresh, int64(signer.TTL().Seconds()), nil
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

// Refresh implements AuthService.Refresh: rotation with reuse detection.
func (s *Service) Refresh(ctx context.Context, req *connect.Request[authv1.RefreshRequest]) (*connect.Response[authv1.RefreshResponse], error) {
	tok := req.Msg.GetRefreshToken()
	if err := validRefresh("refreshToken", tok); err != nil {
		return nil, err
	}
	var res *authv1.RefreshResponse
	reused := false
	err := store.InTx(ctx, s.cfg.DB, func(tx pgx.Tx) error {
		var id, family, userID string
		var used, revoked bool
		var expires time.Time
		err := tx.QueryRow(ctx, `SELECT id::text, family_id::text, user_id::text, used_at IS NOT NULL, revoked_at IS NOT NULL, expires_at
			FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, sha(tok)).Scan(&id, &family, &userID, &used, &revoked, &expires)
		if errors.Is(err, pgx.ErrNoRows) {
			return apierror.Unauthenticated("invalid refresh token")
		}
		if err != nil {
			return fmt.Errorf("find refresh token: %w", err)
		}
		if revoked {
			return apierror.Unauthenticated("refresh token revoked")
		}
		if used {
			// Theft detection: someone replays a rotated token. Revoke the family.
			reused = true
			if _, err := tx.Exec(ctx, "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", family); err != nil {
				return fmt.Errorf("revoke family: %w", err)
			}
			s.log.WarnContext(ctx, "refresh token reuse: family revoked", "user_id", userID, "family_id", family, "ip", authn.ClientFrom(ctx).IP)
			return nil
		}
		if !expires.After(s.cfg.Now()) {
			return apierror.Unauthenticated("refresh token expired; sign in again")
		}
		u, err := scanUser(tx.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", userID))
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		if !u.Active {
			return apierror.Unauthenticated("account disabled")
		}
		if _, err := tx.Exec(ctx, "UPDATE refresh_tokens SET used_at = now() WHERE id = $1", id); err != nil {
			return fmt.Errorf("mark refresh token used: %w", err)
		}
		access, refresh, exp, err := s.issue(ctx, tx, u, family, expires)
		res = &authv1.RefreshResponse{AccessToken: access, RefreshToken: refresh, ExpiresIn: exp}
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused {
		return nil, apierror.Unauthenticated("refresh token already used; every session of this sign-in is revoked")
	}
	return connect.NewResponse(res), nil
}

// Logout implements AuthService.Logout: it revokes the token's whole family. An unknown
// token is not an error, so Logout is idempotent.
func (s *Service) Logout(ctx context.Context, req *connect.Request[authv1.LogoutRequest]) (*connect.Response[authv1.LogoutResponse], error) {
	tok := req.Msg.GetRefreshToken()
	if err := validRefresh("refreshToken", tok); err != nil {
		return nil, err
	}
	_, err := s.cfg.DB.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now()
		WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`, sha(tok))
	if err != nil {
		return nil, fmt.Errorf("revoke refresh family: %w", err)
	}
	return connect.NewResponse(&authv1.LogoutResponse{}), nil
}
