// Package identity assembles the core's identity and security services — AuthService,
// OrgService, the JWKS endpoint, authentication and authorization for every handler,
// the audit log and the shared rate limiter — from a database, a Redis and a Config. The
// composition root (app/wire_identity.go) and the integration tests build it the same way.
package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/avatar-fi/avatar/core/internal/audit"
	"github.com/avatar-fi/avatar/core/internal/auth"
	"github.com/avatar-fi/avatar/core/internal/authn"
	"github.com/avatar-fi/avatar/core/internal/authz"
	"github.com/avatar-fi/avatar/core/internal/lockout"
	"github.com/avatar-fi/avatar/core/internal/org"
	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/core/internal/secrets"
	"github.com/avatar-fi/avatar/core/internal/server"
	"github.com/avatar-fi/avatar/platform/ratelimit"
	"github.com/avatar-fi/avatar/protocol/accesstoken"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1/authv1connect"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1/orgv1connect"
)

// JWKSPath is where the public signing keys are published.
const JWKSPath = "/.well-known/jwks.json"

// ErrInvalidConfig means Config is missing a required field.
var ErrInvalidConfig = errors.New("invalid identity configuration")

// Config configures the identity services.
type Config struct {
	// Issuer is the iss of access tokens: the core's public URL. Required.
	Issuer string
	// EncryptionKeys seal secrets at rest; the first seals. Empty uses
	// secrets.DevelopmentKey and logs a warning.
	EncryptionKeys []secrets.Key
	// Passwords are the argon2id parameters; zero fields take password.DefaultParams.
	Passwords password.Params
	// BootstrapEmail and BootstrapPassword create the super admin when no user exists.
	BootstrapEmail, BootstrapPassword string
	// RedisPrefix starts every Redis key (rate limits, lockouts). Default "avatar:".
	RedisPrefix string
	// Limits replace default rate limits by name (tests lower them).
	Limits []ratelimit.Limit
	// AccountLockout and IPLockout configure login lockouts; zero fields take defaults
	// (account: 5 free failures; IP: 20), doubling from 30 s up to 1 h.
	AccountLockout, IPLockout lockout.Config
	// Registerer takes the rate-limit and lockout metrics (avatar_ratelimit_*). Default
	// prometheus.DefaultRegisterer, where the core's other metrics are.
	Registerer prometheus.Registerer
	// KeyActivation is how long a new signing key is published before it signs
	// (default 2 min); NoKeyActivationDelay makes it 0 (tests).
	KeyActivation        time.Duration
	NoKeyActivationDelay bool
	// Now is the clock for TOTP and expiry checks; default time.Now.
	Now func() time.Time
}

// Identity is the assembled set. Its fields are ready to use after New.
type Identity struct {
	// Box seals secrets at rest.
	Box *secrets.Box
	// Passwords hashes and checks passwords.
	Passwords *password.Hasher
	// Keys signs access tokens and publishes their public keys.
	Keys *auth.KeyRing
	// Limiter applies the login limits, shared through Redis.
	Limiter *ratelimit.Limiter
	// Audit records and lists audited calls.
	Audit *audit.Log
	// Policy says which roles may call which procedure.
	Policy *authz.Policy
	// Authn authenticates every call.
	Authn *authn.Interceptor
	// Auth is the sign-in domain; Mount serves it through auth.Handler.
	Auth *auth.Service
	// Org is the organisation domain; Mount serves it through org.Handler.
	Org *org.Service
	log *slog.Logger
}

// New builds every part, creates the first signing key if needed and bootstraps the
// super admin. db must be migrated.
func New(ctx context.Context, db *pgxpool.Pool, rdb redis.UniversalClient, cfg Config, log *slog.Logger) (*Identity, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Issuer == "" || db == nil || rdb == nil {
		return nil, fmt.Errorf("%w: Issuer, database and Redis are required", ErrInvalidConfig)
	}
	if cfg.RedisPrefix == "" {
		cfg.RedisPrefix = "avatar:"
	}
	keys := cfg.EncryptionKeys
	if len(keys) == 0 {
		log.WarnContext(ctx, "AVATAR_ENCRYPTION_KEYS is unset: secrets at rest use the public development key; set it in production")
		keys = []secrets.Key{secrets.DevelopmentKey()}
	}
	box, err := secrets.New(keys...)
	if err != nil {
		return nil, fmt.Errorf("AVATAR_ENCRYPTION_KEYS: %w", err)
	}
	hasher, err := password.New(cfg.Passwords, 0)
	if err != nil {
		return nil, err
	}
	ring, err := auth.NewKeyRing(ctx, db, box, auth.KeyRingConfig{
		Issuer: cfg.Issuer, Activation: cfg.KeyActivation, NoActivationDelay: cfg.NoKeyActivationDelay,
	}, log)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.DefaultRegisterer
	}
	metrics, err := ratelimit.NewMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	limiter, err := ratelimit.New(rdb, ratelimit.WithPrefix(cfg.RedisPrefix), ratelimit.WithLimits(cfg.Limits...),
		ratelimit.WithLogger(log), ratelimit.WithMetrics(metrics))
	if err != nil {
		return nil, err
	}
	if cfg.IPLockout.Free == 0 {
		cfg.IPLockout.Free = 20
	}
	policy := authz.Default()
	auditLog := audit.New(db, policy, log)
	authSvc, err := auth.New(auth.Config{
		DB: db, Keys: ring, Passwords: hasher, Box: box, Limiter: limiter,
		AccountLockout: lockout.New(rdb, cfg.RedisPrefix+"acct:", cfg.AccountLockout, lockout.WithLogger(log), lockout.WithMetrics(metrics)),
		IPLockout:      lockout.New(rdb, cfg.RedisPrefix+"ip:", cfg.IPLockout, lockout.WithLogger(log), lockout.WithMetrics(metrics)),
		Log:            log, Now: cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	orgSvc, err := org.New(db, hasher, auditLog, log)
	if err != nil {
		return nil, err
	}
	created, err := auth.Bootstrap(ctx, db, hasher, cfg.BootstrapEmail, cfg.BootstrapPassword)
	if err != nil {
		return nil, err
	}
	if created {
		log.InfoContext(ctx, "super admin created from AVATAR_BOOTSTRAP_EMAIL", "email", cfg.BootstrapEmail)
	}
	return &Identity{
		Box: box, Passwords: hasher, Keys: ring, Limiter: limiter, Audit: auditLog, Policy: policy,
		Authn: authn.New(policy, ring.Verifier(), authSvc, log), Auth: authSvc, Org: orgSvc, log: log,
	}, nil
}

// Mount installs authentication, authorization and auditing on srv (so every handler
// built afterwards has them) and mounts AuthService, OrgService and the JWKS endpoint.
func (i *Identity) Mount(srv *server.Server) {
	srv.Use(i.Authn, i.Audit.Interceptor())
	opts := srv.HandlerOptions()
	srv.Handle(authv1connect.NewAuthServiceHandler(auth.NewHandler(i.Auth), opts...))
	srv.Handle(orgv1connect.NewOrgServiceHandler(org.NewHandler(i.Org), opts...))
	srv.Handle("GET "+JWKSPath, accesstoken.Handler(i.Keys.PublicKeys))
}

// Run reloads signing keys until ctx ends.
func (i *Identity) Run(ctx context.Context) error { return i.Keys.Run(ctx) }
