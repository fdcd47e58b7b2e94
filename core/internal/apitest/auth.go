package apitest

import (
	"context"
	"net/http"
	"testing"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/authn"
	"github.com/avatar-fi/avatar/core/internal/authz"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/protocol/accesstoken"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// The test headers As sets and Auth reads.
const (
	roleHeader       = "X-Test-Role"
	dealershipHeader = "X-Test-Dealership"
)

// Auth stands in for the core's authentication interceptor in tests that do without
// the identity area: it puts in the context the principal.Principal that As's headers
// describe (user "u-" + dealership), and leaves a request without them anonymous. Its
// methods are safe for concurrent use.
type Auth struct{}

var _ connect.Interceptor = Auth{}

// As returns a function that marks request headers as sent by a caller with role in
// dealership ("" for a super admin or an edge, which name theirs in
// principal.DealershipHeader).
func As(dealership string, role orgv1.Role) func(http.Header) {
	return func(h http.Header) {
		h.Set(dealershipHeader, dealership)
		h.Set(roleHeader, role.String())
	}
}

func (Auth) from(ctx context.Context, h http.Header) context.Context {
	role := h.Get(roleHeader)
	if role == "" {
		return ctx
	}
	d := h.Get(dealershipHeader)
	return principal.With(ctx, principal.Principal{UserID: "u-" + d, DealershipID: d, Role: orgv1.Role(orgv1.Role_value[role])})
}

// WrapUnary implements connect.Interceptor.
func (a Auth) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		return next(a.from(ctx, req.Header()), req)
	}
}

// WrapStreamingClient implements connect.Interceptor; clients are left alone.
func (Auth) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (a Auth) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return next(a.from(ctx, conn.RequestHeader()), conn)
	}
}

// issuer is the access tokens' issuer in tests.
const issuer = "https://core.avatar.test"

// Issuer signs access tokens with a key of the test's own and builds the core's
// authentication interceptor that trusts them. Safe for concurrent use.
type Issuer struct {
	signer *accesstoken.Signer
	keys   *accesstoken.StaticKeySet
}

// NewIssuer returns an Issuer with a new signing key.
func NewIssuer(tb testing.TB) *Issuer {
	tb.Helper()
	kid, key, err := accesstoken.GenerateKey()
	if err != nil {
		tb.Fatalf("apitest: generate key: %v", err)
	}
	signer, err := accesstoken.NewSigner(kid, key, issuer)
	if err != nil {
		tb.Fatalf("apitest: signer: %v", err)
	}
	return &Issuer{signer: signer, keys: accesstoken.NewStaticKeySet(signer.PublicKey())}
}

// Token returns an access token for p: its UserID as the subject, its role, dealership
// and email.
func (i *Issuer) Token(tb testing.TB, p principal.Principal) string {
	tb.Helper()
	c := accesstoken.Claims{Role: p.Role.String(), DealershipID: p.DealershipID, Email: p.Email}
	c.Subject = p.UserID
	tok, err := i.signer.Sign(c)
	if err != nil {
		tb.Fatalf("apitest: sign token: %v", err)
	}
	return tok
}

// Authn returns the core's authentication interceptor with the authz.Default policy,
// trusting i's tokens (and no API keys).
func (i *Issuer) Authn(tb testing.TB) connect.Interceptor {
	tb.Helper()
	verifier, err := accesstoken.NewVerifier(i.keys, issuer)
	if err != nil {
		tb.Fatalf("apitest: verifier: %v", err)
	}
	return authn.New(authz.Default(), verifier, nil, Logger(tb))
}

// Bearer sets a request's Authorization header to token; "" leaves it anonymous.
func Bearer(h http.Header, token string) {
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
}
