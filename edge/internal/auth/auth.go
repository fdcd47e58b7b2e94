// Package auth verifies the bearer access tokens of calls at the edge, from
// the core's JWKS (Ed25519), without a call to the core per request: keys are
// fetched from <core>/.well-known/jwks.json and cached
// (protocol/accesstoken).
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/avatar-fi/avatar/edge/internal/rtc"
	"github.com/avatar-fi/avatar/protocol/accesstoken"
)

// JWKSPath is where the core serves its public keys.
const JWKSPath = "/.well-known/jwks.json"

// ErrConfig is returned by New for a missing core URL or issuer.
var ErrConfig = errors.New("auth: invalid config")

// Verifier is an rtc.Authenticator over accesstoken.Verifier. It is safe for
// concurrent use.
type Verifier struct {
	v *accesstoken.Verifier
}

var _ rtc.Authenticator = (*Verifier)(nil)

// New returns a Verifier for tokens issued by issuer, whose keys it fetches
// from coreURL's JWKS. opts tune the key fetching.
func New(coreURL, issuer string, opts ...accesstoken.RemoteOption) (*Verifier, error) {
	if coreURL == "" || issuer == "" {
		return nil, fmt.Errorf("%w: core URL and issuer are required", ErrConfig)
	}
	keys, err := accesstoken.NewRemoteKeySet(strings.TrimRight(coreURL, "/")+JWKSPath, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return NewWithKeys(keys, issuer)
}

// NewWithKeys returns a Verifier over any key set.
func NewWithKeys(keys accesstoken.KeySet, issuer string) (*Verifier, error) {
	v, err := accesstoken.NewVerifier(keys, issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return &Verifier{v: v}, nil
}

// Authenticate verifies token and returns who it names.
func (v *Verifier) Authenticate(ctx context.Context, token string) (rtc.Identity, error) {
	c, err := v.v.Verify(ctx, token)
	if err != nil {
		return rtc.Identity{}, fmt.Errorf("verify token: %w", err)
	}
	id := rtc.Identity{UserID: c.Subject, DealershipID: c.DealershipID, Role: c.Role, Token: token}
	if c.ExpiresAt != nil {
		id.Expires = c.ExpiresAt.Time
	}
	return id, nil
}
