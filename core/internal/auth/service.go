package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/avatar-fi/avatar/core/internal/lockout"
	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/core/internal/secrets"
)

// ReasonTOTPRequired is the error reason Login answers (with Unauthenticated) when the
// password was right and the account needs a second factor: the client asks for a code
// and calls Login again with totpCode or recoveryCode.
const ReasonTOTPRequired = "TOTP_REQUIRED"

// Limiter is the rate-limit check the service needs; *ratelimit.Limiter (platform) is
// one. Allow returns nil when allowed and a ratelimit error (ErrLimited, ErrUnavailable)
// otherwise.
type Limiter interface {
	Allow(ctx context.Context, limit, key string) error
}

// Config is what the service needs. Every field without a default is required.
type Config struct {
	// DB is the primary pool.
	DB *pgxpool.Pool
	// Keys signs access tokens.
	Keys *KeyRing
	// Passwords hashes and checks passwords.
	Passwords *password.Hasher
	// Box seals TOTP secrets.
	Box *secrets.Box
	// Limiter applies the login limits (ratelimit.LoginAccount, ratelimit.LoginIP).
	Limiter Limiter
	// AccountLockout and IPLockout lock out repeated login failures.
	AccountLockout, IPLockout *lockout.Lockout
	// RefreshTTL is the absolute lifetime of a refresh-token family. Default 30 days.
	RefreshTTL time.Duration
	// TOTPIssuer names the service in authenticator apps. Default "Avatar".
	TOTPIssuer string
	// Log may be nil.
	Log *slog.Logger
	// Now is the clock; default time.Now. Tests move it for TOTP windows.
	Now func() time.Time
}

// Service is the sign-in domain: logins, refresh-token rotation, two-factor enrolment
// and API keys. It returns this package's errors (errors.go), the ratelimit errors of
// its limits and lockouts, and wrapped infrastructure errors; Handler maps them to the
// public error model. It also resolves API keys for authentication
// (authn.KeyAuthenticator). Safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New validates cfg and returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Keys == nil || cfg.Passwords == nil || cfg.Box == nil || cfg.Limiter == nil || cfg.AccountLockout == nil || cfg.IPLockout == nil {
		return nil, fmt.Errorf("%w: DB, Keys, Passwords, Box, Limiter and both lockouts are required", ErrInvalidConfig)
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 30 * 24 * time.Hour
	}
	if cfg.TOTPIssuer == "" {
		cfg.TOTPIssuer = "Avatar"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: log}, nil
}

func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
