package accesstoken_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/avatar-fi/avatar/protocol/accesstoken"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

const issuer = "https://core.example.test"

func newSigner(tb testing.TB, opts ...accesstoken.SignerOption) *accesstoken.Signer {
	tb.Helper()
	kid, key, err := accesstoken.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	s, err := accesstoken.NewSigner(kid, key, issuer, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func sampleClaims() accesstoken.Claims {
	c := accesstoken.Claims{Role: "ROLE_TRAINEE", DealershipID: "d-1", Email: "t@example.com"}
	c.Subject = "u-1"
	return c
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	tok, err := s.Sign(sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	// The header names the algorithm and the key.
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var h map[string]any
	if err := json.Unmarshal(hdr, &h); err != nil {
		t.Fatal(err)
	}
	if h["alg"] != "EdDSA" || h["kid"] != s.KID() {
		t.Fatalf("header = %v", h)
	}
	v, err := accesstoken.NewVerifier(accesstoken.NewStaticKeySet(s.PublicKey()), issuer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.Subject != "u-1" || c.RoleValue() != orgv1.Role_ROLE_TRAINEE || c.DealershipID != "d-1" || c.Email != "t@example.com" || c.ID == "" {
		t.Fatalf("claims = %+v", c)
	}
	if got := c.ExpiresAt.Sub(c.IssuedAt.Time); got != accesstoken.DefaultTTL {
		t.Fatalf("lifetime = %v", got)
	}
	if len(c.Audience) != 1 || c.Audience[0] != accesstoken.Audience || c.Issuer != issuer {
		t.Fatalf("aud/iss = %v %v", c.Audience, c.Issuer)
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	kid, key, _ := accesstoken.GenerateKey()
	s, _ := accesstoken.NewSigner(kid, key, issuer)
	other := newSigner(t)
	good, _ := s.Sign(sampleClaims())
	now := time.Now()
	past := newSigner(t, accesstoken.WithSignerClock(func() time.Time { return now.Add(-time.Hour) }))
	expired, _ := past.Sign(sampleClaims())
	unknown, _ := other.Sign(sampleClaims())

	// A token with the right kid but signed by another key.
	_, forgedKey, _ := accesstoken.GenerateKey()
	forger, _ := accesstoken.NewSigner(s.KID(), forgedKey, issuer)
	forged, _ := forger.Sign(sampleClaims())

	wrongIss, _ := func() (string, error) {
		x, _ := accesstoken.NewSigner(kid, key, "https://evil.test")
		return x.Sign(sampleClaims())
	}()

	// alg=none and HS256 tokens must be refused whatever the key.
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "u", "role": "ROLE_SUPER_ADMIN", "iss": issuer, "aud": "avatar", "exp": now.Add(time.Hour).Unix()})
	none.Header["kid"] = s.KID()
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u", "role": "ROLE_SUPER_ADMIN", "iss": issuer, "aud": "avatar", "exp": now.Add(time.Hour).Unix()})
	hs.Header["kid"] = s.KID()
	hsTok, _ := hs.SignedString([]byte(s.PublicKey().Public))

	noRole := sampleClaims()
	noRole.Role = ""
	noRoleTok, _ := s.Sign(noRole)

	ks := accesstoken.NewStaticKeySet(past.PublicKey(), s.PublicKey())
	v, err := accesstoken.NewVerifier(ks, issuer)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		is    error
	}{
		{name: "garbage", token: "not.a.jwt", is: accesstoken.ErrInvalidToken},
		{name: "empty", token: "", is: accesstoken.ErrInvalidToken},
		{name: "expired", token: expired, is: accesstoken.ErrExpired},
		{name: "unknown kid", token: unknown, is: accesstoken.ErrUnknownKey},
		{name: "bad signature", token: forged, is: accesstoken.ErrInvalidToken},
		{name: "wrong issuer", token: wrongIss, is: accesstoken.ErrInvalidToken},
		{name: "alg none", token: noneTok, is: accesstoken.ErrInvalidToken},
		{name: "alg HS256", token: hsTok, is: accesstoken.ErrInvalidToken},
		{name: "no role", token: noRoleTok, is: accesstoken.ErrInvalidToken},
		{name: "tampered payload", token: tamper(good), is: accesstoken.ErrInvalidToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(t.Context(), tc.token)
			if !errors.Is(err, tc.is) || !errors.Is(err, accesstoken.ErrInvalidToken) {
				t.Fatalf("Verify = %v, want %v", err, tc.is)
			}
		})
	}
	if _, err := v.Verify(t.Context(), good); err != nil {
		t.Fatalf("good token: %v", err)
	}
}

// tamper swaps the payload for one claiming super admin, keeping the signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	b = []byte(strings.Replace(string(b), "ROLE_TRAINEE", "ROLE_SUPER_ADMIN", 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

func TestLeeway(t *testing.T) {
	t.Parallel()
	now := time.Now()
	s := newSigner(t, accesstoken.WithSignerClock(func() time.Time { return now }), accesstoken.WithTTL(time.Minute))
	tok, _ := s.Sign(sampleClaims())
	ks := accesstoken.NewStaticKeySet(s.PublicKey())
	within, _ := accesstoken.NewVerifier(ks, issuer, accesstoken.WithVerifierClock(func() time.Time { return now.Add(time.Minute + 10*time.Second) }))
	if _, err := within.Verify(t.Context(), tok); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	beyond, _ := accesstoken.NewVerifier(ks, issuer, accesstoken.WithVerifierClock(func() time.Time { return now.Add(2 * time.Minute) }))
	if _, err := beyond.Verify(t.Context(), tok); !errors.Is(err, accesstoken.ErrExpired) {
		t.Fatalf("beyond leeway: %v", err)
	}
}

func TestJWKSRoundTrip(t *testing.T) {
	t.Parallel()
	a, b := newSigner(t), newSigner(t)
	doc, err := accesstoken.EncodeJWKS(a.PublicKey(), b.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string][]map[string]string
	if err := json.Unmarshal(doc, &raw); err != nil {
		t.Fatal(err)
	}
	k0 := raw["keys"][0]
	if k0["kty"] != "OKP" || k0["crv"] != "Ed25519" || k0["use"] != "sig" || k0["alg"] != "EdDSA" || k0["kid"] != a.KID() || k0["x"] == "" {
		t.Fatalf("jwk = %v", k0)
	}
	keys, err := accesstoken.DecodeJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[1].KID != b.KID() || !keys[1].Public.Equal(b.PublicKey().Public) {
		t.Fatalf("keys = %+v", keys)
	}
	bad := []struct {
		name string
		doc  string
	}{
		{name: "not json", doc: "{"},
		{name: "short x", doc: `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"AAAA"}]}`},
		{name: "no kid", doc: `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + base64.RawURLEncoding.EncodeToString(make([]byte, 32)) + `"}]}`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := accesstoken.DecodeJWKS([]byte(tc.doc)); !errors.Is(err, accesstoken.ErrInvalidJWKS) {
				t.Fatalf("DecodeJWKS = %v", err)
			}
		})
	}
	// RSA keys are skipped, not errors.
	keys, err = accesstoken.DecodeJWKS([]byte(`{"keys":[{"kty":"RSA","kid":"r","n":"x","e":"AQAB"}]}`))
	if err != nil || len(keys) != 0 {
		t.Fatalf("rsa: %v %v", keys, err)
	}
}

// TestRemoteKeySetRotation is the edge's view of a key rotation: tokens from the old key
// keep verifying, a token from a new key triggers one refetch, and unknown kids do not
// cause a fetch per request.
func TestRemoteKeySetRotation(t *testing.T) {
	t.Parallel()
	oldS, newS := newSigner(t), newSigner(t)
	var published atomic.Value
	published.Store([]accesstoken.Key{oldS.PublicKey()})
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		accesstoken.Handler(func() []accesstoken.Key { return published.Load().([]accesstoken.Key) }).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	rks, err := accesstoken.NewRemoteKeySet(srv.URL, accesstoken.WithMinRefetchInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := accesstoken.NewVerifier(rks, issuer)
	oldTok, _ := oldS.Sign(sampleClaims())
	for range 5 {
		if _, err := v.Verify(t.Context(), oldTok); err != nil {
			t.Fatal(err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("fetches = %d, want 1 (cached)", n)
	}
	published.Store([]accesstoken.Key{newS.PublicKey(), oldS.PublicKey()})
	newTok, _ := newS.Sign(sampleClaims())
	if _, err := v.Verify(t.Context(), newTok); err != nil {
		t.Fatalf("new key after rotation: %v", err)
	}
	if _, err := v.Verify(t.Context(), oldTok); err != nil {
		t.Fatalf("old key after rotation: %v", err)
	}
	if n := fetches.Load(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}

	// Rate limit: with a long min refetch interval, unknown kids fetch at most once.
	limited, _ := accesstoken.NewRemoteKeySet(srv.URL, accesstoken.WithMinRefetchInterval(time.Hour))
	lv, _ := accesstoken.NewVerifier(limited, issuer)
	before := fetches.Load()
	stranger := newSigner(t)
	strangeTok, _ := stranger.Sign(sampleClaims())
	for range 20 {
		if _, err := lv.Verify(t.Context(), strangeTok); !errors.Is(err, accesstoken.ErrUnknownKey) {
			t.Fatalf("stranger: %v", err)
		}
	}
	if n := fetches.Load() - before; n != 1 {
		t.Fatalf("fetches for unknown kids = %d, want 1", n)
	}
}

func TestRemoteKeySetServesStaleWhenDown(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		accesstoken.Handler(func() []accesstoken.Key { return []accesstoken.Key{s.PublicKey()} }).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rks, _ := accesstoken.NewRemoteKeySet(srv.URL, accesstoken.WithRefreshInterval(time.Nanosecond), accesstoken.WithMinRefetchInterval(0))
	if err := rks.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	if _, err := rks.Key(t.Context(), s.KID()); err != nil {
		t.Fatalf("stale key while JWKS is down: %v", err)
	}
	if _, err := rks.Key(t.Context(), "nope"); !errors.Is(err, accesstoken.ErrFetch) && !errors.Is(err, accesstoken.ErrUnknownKey) {
		t.Fatalf("unknown while down: %v", err)
	}
	empty, _ := accesstoken.NewRemoteKeySet(srv.URL)
	if _, err := empty.Key(context.Background(), s.KID()); !errors.Is(err, accesstoken.ErrFetch) {
		t.Fatalf("no cache while down: %v", err)
	}
}

func TestConstructorsValidate(t *testing.T) {
	t.Parallel()
	_, key, _ := accesstoken.GenerateKey()
	if _, err := accesstoken.NewSigner("", key, issuer); !errors.Is(err, accesstoken.ErrInvalidKey) {
		t.Fatal(err)
	}
	if _, err := accesstoken.NewSigner("k", key[:10], issuer); !errors.Is(err, accesstoken.ErrInvalidKey) {
		t.Fatal(err)
	}
	if _, err := accesstoken.NewSigner("k", key, issuer, accesstoken.WithTTL(0)); !errors.Is(err, accesstoken.ErrInvalidKey) {
		t.Fatal(err)
	}
	if _, err := accesstoken.NewVerifier(nil, issuer); !errors.Is(err, accesstoken.ErrInvalidKey) {
		t.Fatal(err)
	}
	if _, err := accesstoken.NewRemoteKeySet(""); !errors.Is(err, accesstoken.ErrInvalidKey) {
		t.Fatal(err)
	}
}

// BenchmarkVerify is the edge's per-request cost of checking an access token locally.
func BenchmarkVerify(b *testing.B) {
	s := newSigner(b)
	tok, _ := s.Sign(sampleClaims())
	v, _ := accesstoken.NewVerifier(accesstoken.NewStaticKeySet(s.PublicKey()), issuer)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign is the core's cost of issuing one access token.
func BenchmarkSign(b *testing.B) {
	s := newSigner(b)
	c := sampleClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(c); err != nil {
			b.Fatal(err)
		}
	}
}
