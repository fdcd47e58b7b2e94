package accesstoken

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
)

// JWKS is a JSON Web Key Set document.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWK is one JSON Web Key. Only OKP / Ed25519 keys are used by Avatar; others are skipped
// by DecodeJWKS.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Kid string `json:"kid"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
}

// EncodeJWKS returns the JWKS document publishing keys, in the given order.
func EncodeJWKS(keys ...Key) ([]byte, error) {
	doc := JWKS{Keys: make([]JWK, 0, len(keys))}
	for _, k := range keys {
		if k.KID == "" || len(k.Public) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: kid %q", ErrInvalidKey, k.KID)
		}
		doc.Keys = append(doc.Keys, JWK{
			Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.Public),
			Kid: k.KID, Use: "sig", Alg: Algorithm,
		})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode JWKS: %w", err)
	}
	return b, nil
}

// DecodeJWKS parses a JWKS document and returns its Ed25519 signing keys. Keys of other
// types or uses are skipped; a malformed Ed25519 key is an error.
func DecodeJWKS(b []byte) ([]Key, error) {
	var doc JWKS
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidJWKS, err)
	}
	var out []Key
	for _, j := range doc.Keys {
		if j.Kty != "OKP" || j.Crv != "Ed25519" || (j.Use != "" && j.Use != "sig") || (j.Alg != "" && j.Alg != Algorithm) {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(j.X)
		if err != nil || len(x) != ed25519.PublicKeySize || j.Kid == "" {
			return nil, fmt.Errorf("%w: key %q: %w", ErrInvalidJWKS, j.Kid, ErrInvalidKey)
		}
		out = append(out, Key{KID: j.Kid, Public: ed25519.PublicKey(x)})
	}
	return out, nil
}

// Handler serves the JWKS document of the keys current returns on each request, with a
// short public cache lifetime so edges pick up a new key within minutes. current must be
// safe for concurrent use.
func Handler(current func() []Key) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		b, err := EncodeJWKS(current()...)
		if err != nil {
			http.Error(w, "keys unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(b)
	})
}
