package accesstoken

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultLeeway is the clock skew Verifier tolerates on exp, iat and nbf.
const DefaultLeeway = 30 * time.Second

// KeySet finds a verification key by id. Implementations must be safe for concurrent use.
// Key returns an error wrapping ErrUnknownKey when no key has that id.
type KeySet interface {
	Key(ctx context.Context, kid string) (ed25519.PublicKey, error)
}

// StaticKeySet is a fixed KeySet; the core uses it for its own keys and tests use it.
// Replace it atomically (build a new one) rather than mutating it while in use.
type StaticKeySet struct {
	mu   sync.RWMutex
	keys map[string]ed25519.PublicKey
}

// NewStaticKeySet returns a key set holding keys.
func NewStaticKeySet(keys ...Key) *StaticKeySet {
	s := &StaticKeySet{}
	s.Set(keys...)
	return s
}

// Set replaces the keys. It is safe to call while Key runs.
func (s *StaticKeySet) Set(keys ...Key) {
	m := make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		m[k.KID] = k.Public
	}
	s.mu.Lock()
	s.keys = m
	s.mu.Unlock()
}

// Key implements KeySet.
func (s *StaticKeySet) Key(_ context.Context, kid string) (ed25519.PublicKey, error) {
	s.mu.RLock()
	k, ok := s.keys[kid]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	return k, nil
}

// Verifier checks access tokens: EdDSA only, a known kid, a good signature, iss, aud,
// exp (required) and iat within the leeway, and non-empty sub and role. It is safe for
// concurrent use.
type Verifier struct {
	keys   KeySet
	issuer string
	leeway time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// VerifierOption configures a Verifier.
type VerifierOption func(*Verifier) error

// WithLeeway sets the tolerated clock skew (default DefaultLeeway); it must not be negative.
func WithLeeway(d time.Duration) VerifierOption {
	return func(v *Verifier) error {
		if d < 0 {
			return fmt.Errorf("%w: leeway must not be negative", ErrInvalidKey)
		}
		v.leeway = d
		return nil
	}
}

// WithVerifierClock sets the clock (default time.Now); for tests.
func WithVerifierClock(now func() time.Time) VerifierOption {
	return func(v *Verifier) error { v.now = now; return nil }
}

// NewVerifier returns a Verifier accepting tokens issued by issuer with keys from keys.
func NewVerifier(keys KeySet, issuer string, opts ...VerifierOption) (*Verifier, error) {
	if keys == nil || issuer == "" {
		return nil, fmt.Errorf("%w: a key set and an issuer are required", ErrInvalidKey)
	}
	v := &Verifier{keys: keys, issuer: issuer, leeway: DefaultLeeway, now: time.Now}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{Algorithm}),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(Audience),
		jwt.WithLeeway(v.leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(v.now),
	)
	return v, nil
}

// Verify parses and checks token and returns its claims. Every failure wraps
// ErrInvalidToken; an expired token also wraps ErrExpired and an unknown kid ErrUnknownKey.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	var c Claims
	_, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, fmt.Errorf("%w: no kid in header", ErrUnknownKey)
		}
		return v.keys.Key(ctx, kid)
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrExpired)
	case errors.Is(err, ErrUnknownKey):
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	default:
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Subject == "" || c.Role == "" {
		return nil, fmt.Errorf("%w: sub and role are required", ErrInvalidToken)
	}
	return &c, nil
}
