package accesstoken

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTTL is the lifetime Signer gives a token when none is configured.
const DefaultTTL = 15 * time.Minute

// Key is one public verification key and its id.
type Key struct {
	// KID is the key id carried in each token's header.
	KID string
	// Public is the Ed25519 public key.
	Public ed25519.PublicKey
}

// Signer signs access tokens with one Ed25519 private key. It is immutable and safe for
// concurrent use; rotate by building a new Signer.
type Signer struct {
	kid    string
	key    ed25519.PrivateKey
	issuer string
	ttl    time.Duration
	now    func() time.Time
}

// SignerOption configures a Signer.
type SignerOption func(*Signer) error

// WithTTL sets the token lifetime (default DefaultTTL). It must be positive.
func WithTTL(d time.Duration) SignerOption {
	return func(s *Signer) error {
		if d <= 0 {
			return fmt.Errorf("%w: ttl must be positive", ErrInvalidKey)
		}
		s.ttl = d
		return nil
	}
}

// WithSignerClock sets the clock (default time.Now); for tests.
func WithSignerClock(now func() time.Time) SignerOption {
	return func(s *Signer) error { s.now = now; return nil }
}

// NewSigner returns a Signer for key, named kid, issuing tokens with iss = issuer.
func NewSigner(kid string, key ed25519.PrivateKey, issuer string, opts ...SignerOption) (*Signer, error) {
	if kid == "" || len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: need a kid and a %d-byte Ed25519 private key", ErrInvalidKey, ed25519.PrivateKeySize)
	}
	if issuer == "" {
		return nil, fmt.Errorf("%w: issuer is required", ErrInvalidKey)
	}
	s := &Signer{kid: kid, key: key, issuer: issuer, ttl: DefaultTTL, now: time.Now}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// KID is the id of the signing key.
func (s *Signer) KID() string { return s.kid }

// TTL is the lifetime of the tokens Sign issues.
func (s *Signer) TTL() time.Duration { return s.ttl }

// PublicKey is the verification key matching the signing key.
func (s *Signer) PublicKey() Key {
	return Key{KID: s.kid, Public: s.key.Public().(ed25519.PublicKey)}
}

// Sign fills iss, aud, iat, exp and (when empty) jti, and returns the signed compact JWT.
// The caller sets Subject, Role, DealershipID and Email.
func (s *Signer) Sign(c Claims) (string, error) {
	now := s.now()
	c.Issuer = s.issuer
	c.Audience = jwt.ClaimStrings{Audience}
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(s.ttl))
	if c.ID == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		c.ID = base64.RawURLEncoding.EncodeToString(b[:])
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, &c)
	t.Header["kid"] = s.kid
	out, err := t.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return out, nil
}

// GenerateKey returns a fresh Ed25519 key pair with a random kid.
func GenerateKey() (kid string, key ed25519.PrivateKey, err error) {
	_, key, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, fmt.Errorf("generate Ed25519 key: %w", err)
	}
	var b [9]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:]), key, nil
}
