package accesstoken

import "errors"

// ErrInvalidToken is wrapped by every verification failure: bad encoding, bad signature,
// wrong algorithm, issuer or audience, missing claims.
var ErrInvalidToken = errors.New("invalid access token")

// ErrExpired means the token's signature is good but it is past its expiry (beyond the
// leeway). It also wraps ErrInvalidToken.
var ErrExpired = errors.New("access token expired")

// ErrUnknownKey means no key in the key set has the token's kid. It also wraps
// ErrInvalidToken.
var ErrUnknownKey = errors.New("unknown signing key")

// ErrInvalidKey means a key given to a constructor, or found in a JWKS document, is not a
// usable Ed25519 key with an id.
var ErrInvalidKey = errors.New("invalid signing key")

// ErrInvalidJWKS means a JWKS document could not be decoded.
var ErrInvalidJWKS = errors.New("invalid JWKS document")

// ErrFetch means a RemoteKeySet could not fetch its JWKS URL and has no cached keys to
// fall back on.
var ErrFetch = errors.New("fetch JWKS")
