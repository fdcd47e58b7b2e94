package authn

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/authz"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/protocol/accesstoken"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// APIKeyPrefix starts every API key: "ak_<id>_<secret>".
const APIKeyPrefix = "ak_"

// TokenVerifier checks an access token; *accesstoken.Verifier is one.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*accesstoken.Claims, error)
}

// KeyAuthenticator resolves an API key to the principal it acts as. It returns an error
// wrapping ErrInvalidCredential for a key that must be refused.
type KeyAuthenticator interface {
	AuthenticateKey(ctx context.Context, key string) (principal.Principal, error)
}

// ClientInfo describes where a request came from, for the audit log.
type ClientInfo struct {
	// IP is the peer's address without the port.
	IP string
	// UserAgent is the User-Agent header.
	UserAgent string
}

type clientKey struct{}

// WithClient returns ctx carrying c.
func WithClient(ctx context.Context, c ClientInfo) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the client info the Interceptor stored, or the zero value.
func ClientFrom(ctx context.Context) ClientInfo {
	c, _ := ctx.Value(clientKey{}).(ClientInfo)
	return c
}

// Interceptor authenticates and authorizes every handler call. Its methods are safe for
// concurrent use.
type Interceptor struct {
	policy *authz.Policy
	tokens TokenVerifier
	keys   KeyAuthenticator
	log    *slog.Logger
}

// New returns the interceptor. policy and tokens are required; keys may be nil (API keys
// are then refused); log may be nil.
func New(policy *authz.Policy, tokens TokenVerifier, keys KeyAuthenticator, log *slog.Logger) *Interceptor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Interceptor{policy: policy, tokens: tokens, keys: keys, log: log}
}

// WrapUnary implements connect.Interceptor.
func (i *Interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		ctx, err := i.authorize(ctx, req.Spec().Procedure, req.Header(), req.Peer())
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient implements connect.Interceptor; clients pass through.
func (i *Interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (i *Interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := i.authorize(ctx, conn.Spec().Procedure, conn.RequestHeader(), conn.Peer())
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

// Authenticate resolves a bearer credential to a principal, for callers outside Connect
// (for example a plain HTTP endpoint). It returns apierror values.
func (i *Interceptor) Authenticate(ctx context.Context, header http.Header) (principal.Principal, error) {
	cred, ok := bearer(header)
	if !ok {
		return principal.Principal{}, apierror.Unauthenticated("missing bearer credential")
	}
	return i.resolve(ctx, cred)
}

func (i *Interceptor) authorize(ctx context.Context, procedure string, header http.Header, peer connect.Peer) (context.Context, error) {
	ctx = WithClient(ctx, ClientInfo{IP: hostOnly(peer.Addr), UserAgent: truncate(header.Get("User-Agent"), 512)})
	rule, ok := i.policy.Rule(procedure)
	if !ok {
		i.log.WarnContext(ctx, "procedure without policy refused", "procedure", procedure)
		return ctx, apierror.PermissionDenied("procedure not permitted")
	}
	cred, has := bearer(header)
	if !has {
		if rule.Public {
			return ctx, nil
		}
		return ctx, apierror.Unauthenticated("missing bearer credential")
	}
	p, err := i.resolve(ctx, cred)
	if err != nil {
		if rule.Public {
			// A stale token must not stop someone from logging in again.
			return ctx, nil
		}
		return ctx, err
	}
	ctx = principal.With(ctx, p)
	if !rule.Allows(p.Role) {
		return ctx, apierror.PermissionDenied("your role may not call this procedure")
	}
	return ctx, nil
}

func (i *Interceptor) resolve(ctx context.Context, cred string) (principal.Principal, error) {
	if strings.HasPrefix(cred, APIKeyPrefix) {
		if i.keys == nil {
			return principal.Principal{}, apierror.Unauthenticated("API keys are not accepted here")
		}
		p, err := i.keys.AuthenticateKey(ctx, cred)
		if err != nil {
			if errors.Is(err, ErrInvalidCredential) {
				return principal.Principal{}, apierror.Unauthenticated("invalid API key")
			}
			return principal.Principal{}, err
		}
		return p, nil
	}
	c, err := i.tokens.Verify(ctx, cred)
	if err != nil {
		if errors.Is(err, accesstoken.ErrExpired) {
			return principal.Principal{}, apierror.Unauthenticated("access token expired")
		}
		return principal.Principal{}, apierror.Unauthenticated("invalid access token")
	}
	role := c.RoleValue()
	if role == orgv1.Role_ROLE_UNSPECIFIED {
		return principal.Principal{}, apierror.Unauthenticated("invalid access token")
	}
	return principal.Principal{UserID: c.Subject, Email: c.Email, DealershipID: c.DealershipID, Role: role}, nil
}

func bearer(h http.Header) (string, bool) {
	v := h.Get("Authorization")
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}

func hostOnly(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
