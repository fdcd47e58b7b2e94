package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/avatar-fi/avatar/core/internal/authn"
	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/platform/ratelimit"
	"github.com/avatar-fi/avatar/protocol/accesstoken"
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

// Credentials are what a user signs in with.
type Credentials struct {
	// Email is the account's address, in any case (Login compares it in lower case).
	Email string
	// Password is the account's password.
	Password string
	// TOTPCode is the current authenticator code, for accounts with two-factor on.
	TOTPCode string
	// RecoveryCode is a single-use recovery code, instead of TOTPCode.
	RecoveryCode string
	// IP is the client's address, for the per-IP limit and lockout.
	IP string
}

// Tokens are a signed-in session: a short-lived access token and the refresh token
// that renews it.
type Tokens struct {
	// Access is the signed access token (JWT).
	Access string
	// Refresh is the opaque refresh token ("rt_…").
	Refresh string
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int64
}

// Login checks c and opens a session. Before the password is checked, the account and
// IP lockouts and the login rate limits apply (ratelimit errors). A wrong password, an
// unknown email and a disabled account all answer ErrInvalidLogin, after the same work;
// each counts as a failure for the lockouts. An account with two-factor on answers
// ErrTOTPRequired without a code, and ErrInvalidTOTPCode or ErrInvalidRecoveryCode for
// a wrong one.
func (s *Service) Login(ctx context.Context, c Credentials) (Tokens, error) {
	email := strings.ToLower(c.Email)
	if err := s.cfg.AccountLockout.Check(ctx, email); err != nil {
		return Tokens{}, fmt.Errorf("account lockout: %w", err)
	}
	if err := s.cfg.IPLockout.Check(ctx, c.IP); err != nil {
		return Tokens{}, fmt.Errorf("IP lockout: %w", err)
	}
	if err := s.cfg.Limiter.Allow(ctx, ratelimit.LoginIP, c.IP); err != nil {
		return Tokens{}, fmt.Errorf("login limit: %w", err)
	}
	if err := s.cfg.Limiter.Allow(ctx, ratelimit.LoginAccount, email); err != nil {
		return Tokens{}, fmt.Errorf("login limit: %w", err)
	}

	u, err := scanUser(s.cfg.DB.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE lower(email) = $1", email))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Same work and the same answer as a wrong password.
		if err := s.cfg.Passwords.VerifyDummy(ctx, c.Password); err != nil && !errors.Is(err, password.ErrMismatch) {
			return Tokens{}, err
		}
		return Tokens{}, s.failed(ctx, email, c.IP)
	case err != nil:
		return Tokens{}, fmt.Errorf("find user: %w", err)
	}
	if err := s.cfg.Passwords.Verify(ctx, u.PasswordHash, c.Password); err != nil {
		if errors.Is(err, password.ErrMismatch) {
			return Tokens{}, s.failed(ctx, email, c.IP)
		}
		return Tokens{}, fmt.Errorf("verify password: %w", err)
	}
	if !u.Active {
		return Tokens{}, s.failed(ctx, email, c.IP)
	}
	if u.TOTPEnabled {
		switch {
		case c.TOTPCode == "" && c.RecoveryCode == "":
			return Tokens{}, ErrTOTPRequired
		case c.TOTPCode != "":
			ok, err := s.useTOTP(ctx, u, c.TOTPCode)
			if err != nil {
				return Tokens{}, err
			}
			if !ok {
				_ = s.failed(ctx, email, c.IP)
				return Tokens{}, ErrInvalidTOTPCode
			}
		default:
			ok, err := s.useRecoveryCode(ctx, u.ID, c.RecoveryCode)
			if err != nil {
				return Tokens{}, err
			}
			if !ok {
				_ = s.failed(ctx, email, c.IP)
				return Tokens{}, ErrInvalidRecoveryCode
			}
		}
	}
	if err := s.cfg.AccountLockout.Reset(ctx, email); err != nil {
		s.log.WarnContext(ctx, "reset login lockout", "error", err.Error())
	}
	if s.cfg.Passwords.NeedsRehash(u.PasswordHash) {
		if h, err := s.cfg.Passwords.Hash(ctx, c.Password); err == nil {
			_, _ = s.cfg.DB.Exec(ctx, "UPDATE users SET password_hash = $2 WHERE id = $1", u.ID, h)
		}
	}
	var t Tokens
	err = store.InTx(ctx, s.cfg.DB, func(tx pgx.Tx) error {
		var err error
		t, err = s.issue(ctx, tx, u, "", s.cfg.Now().Add(s.cfg.RefreshTTL))
		return err
	})
	if err != nil {
		return Tokens{}, err
	}
	s.log.InfoContext(ctx, "login", "user_id", u.ID, "ip", c.IP)
	return t, nil
}

// failed counts a failed attempt against the account and the IP and returns
// ErrInvalidLogin.
func (s *Service) failed(ctx context.Context, email, ip string) error {
	if _, err := s.cfg.AccountLockout.Fail(ctx, email); err != nil {
		s.log.WarnContext(ctx, "count login failure", "error", err.Error())
	}
	if _, err := s.cfg.IPLockout.Fail(ctx, ip); err != nil {
		s.log.WarnContext(ctx, "count login failure", "error", err.Error())
	}
	return ErrInvalidLogin
}

// issue signs an access token and stores a new refresh token in family (a new family
// when empty) ending at familyEnd.
func (s *Service) issue(ctx context.Context, tx pgx.Tx, u user, family string, familyEnd time.Time) (Tokens, error) {
	signer := s.cfg.Keys.Signer()
	c := accesstoken.Claims{Role: u.Role, DealershipID: u.DealershipID, Email: u.Email}
	c.Subject = u.ID
	access, err := signer.Sign(c)
	if err != nil {
		return Tokens{}, err
	}
	refresh := randomToken(refreshPrefix, 32)
	var did any
	if u.DealershipID != "" {
		did = u.DealershipID
	}
	_, err = tx.Exec(ctx, `INSERT INTO refresh_tokens (family_id, user_id, dealership_id, token_hash, expires_at)
		VALUES (COALESCE(NULLIF($1, '')::uuid, gen_random_uuid()), $2, $3, $4, $5)`, family, u.ID, did, sha(refresh), familyEnd)
	if err != nil {
		return Tokens{}, fmt.Errorf("store refresh token: %w", err)
	}
	return Tokens{Access: access, Refresh: refresh, ExpiresIn: int64(signer.TTL().Seconds())}, nil
}

// Refresh rotates the refresh token tok: it marks tok used and returns a new session in
// the same family, which keeps the family's absolute expiry. A token used a second time
// was copied: the whole family is revoked and the answer is ErrRefreshTokenReused.
// Unknown, revoked and expired tokens and disabled users answer ErrRefreshTokenInvalid,
// ErrRefreshTokenRevoked, ErrRefreshTokenExpired and ErrAccountDisabled.
func (s *Service) Refresh(ctx context.Context, tok string) (Tokens, error) {
	var t Tokens
	reused := false
	err := store.InTx(ctx, s.cfg.DB, func(tx pgx.Tx) error {
		var id, family, userID string
		var used, revoked bool
		var expires time.Time
		err := tx.QueryRow(ctx, `SELECT id::text, family_id::text, user_id::text, used_at IS NOT NULL, revoked_at IS NOT NULL, expires_at
			FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, sha(tok)).Scan(&id, &family, &userID, &used, &revoked, &expires)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrRefreshTokenInvalid
		}
		if err != nil {
			return fmt.Errorf("find refresh token: %w", err)
		}
		if revoked {
			return ErrRefreshTokenRevoked
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
			return ErrRefreshTokenExpired
		}
		u, err := scanUser(tx.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", userID))
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		if !u.Active {
			return ErrAccountDisabled
		}
		if _, err := tx.Exec(ctx, "UPDATE refresh_tokens SET used_at = now() WHERE id = $1", id); err != nil {
			return fmt.Errorf("mark refresh token used: %w", err)
		}
		t, err = s.issue(ctx, tx, u, family, expires)
		return err
	})
	if err != nil {
		return Tokens{}, err
	}
	if reused {
		return Tokens{}, ErrRefreshTokenReused
	}
	return t, nil
}

// Logout revokes the whole family of the refresh token tok. An unknown token is not an
// error, so Logout is idempotent.
func (s *Service) Logout(ctx context.Context, tok string) error {
	_, err := s.cfg.DB.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now()
		WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`, sha(tok))
	if err != nil {
		return fmt.Errorf("revoke refresh family: %w", err)
	}
	return nil
}
