package identity_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/dbtest"
	"github.com/avatar-fi/avatar/core/internal/identity"
	"github.com/avatar-fi/avatar/core/internal/lockout"
	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/core/internal/redistest"
	"github.com/avatar-fi/avatar/core/internal/server"
	"github.com/avatar-fi/avatar/platform/ratelimit"
	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1/authv1connect"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1/orgv1connect"
)

const (
	superEmail = "root@avatar.test"
	goodPass   = "correct horse battery staple"
)

// protocols are the wire protocols key tests run over.
var protocols = []struct {
	name string
	opts []connect.ClientOption
}{
	{name: "connect", opts: nil},
	{name: "grpc", opts: []connect.ClientOption{connect.WithGRPC()}},
}

// clock is a settable time source for TOTP and expiry tests.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time        { return time.Unix(0, c.ns.Load()) }
func (c *clock) Add(d time.Duration)   { c.ns.Add(int64(d)) }
func newClock() *clock                 { c := &clock{}; c.ns.Store(time.Now().UnixNano()); return c }
func (c *clock) Set(t time.Time)       { c.ns.Store(t.UnixNano()) }
func (c *clock) Step() int64           { return c.Now().Unix() / 30 }
func (c *clock) Since(t time.Time) int { return int(c.Now().Sub(t).Seconds()) }

type bundle struct {
	t      testing.TB
	pool   *pgxpool.Pool
	rdb    *redis.Client
	prefix string
	clock  *clock
	id     *identity.Identity
	url    string
	http   *http.Client
}

type setupOpt func(*identity.Config)

// setup builds the identity services on a fresh database and a per-test Redis prefix,
// serves them over HTTP/2 (TLS) through the real server middleware, and bootstraps a
// super admin.
func setup(tb testing.TB, opts ...setupOpt) *bundle {
	tb.Helper()
	pool := dbtest.NewPool(tb)
	rdb, prefix := redistest.New(tb)
	return setupShared(tb, pool, rdb, prefix, opts...)
}

func setupShared(tb testing.TB, pool *pgxpool.Pool, rdb *redis.Client, prefix string, opts ...setupOpt) *bundle {
	tb.Helper()
	c := newClock()
	cfg := identity.Config{
		Issuer: "https://core.avatar.test", Passwords: password.TestParams(),
		BootstrapEmail: superEmail, BootstrapPassword: goodPass,
		RedisPrefix: prefix, NoKeyActivationDelay: true, Now: c.Now,
		Limits: []ratelimit.Limit{
			{Name: ratelimit.LoginIP, Rate: 1000, Period: time.Minute},
			{Name: ratelimit.LoginAccount, Rate: 1000, Period: time.Minute},
		},
		IPLockout: lockout.Config{Free: 1000},
	}
	for _, o := range opts {
		o(&cfg)
	}
	log := apitest.Logger(tb)
	id, err := identity.New(context.Background(), pool, rdb, cfg, log)
	if err != nil {
		tb.Fatalf("identity.New: %v", err)
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", MaxRequestBytes: 64 << 10, CORSOrigins: []string{"https://app.avatar.test"}}, log)
	if err != nil {
		tb.Fatal(err)
	}
	id.Mount(srv)
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.EnableHTTP2 = true
	ts.StartTLS()
	tb.Cleanup(ts.Close)
	return &bundle{t: tb, pool: pool, rdb: rdb, prefix: prefix, clock: c, id: id, url: ts.URL, http: ts.Client()}
}

func (b *bundle) auth(opts ...connect.ClientOption) authv1connect.AuthServiceClient {
	return authv1connect.NewAuthServiceClient(b.http, b.url, opts...)
}

func (b *bundle) org(opts ...connect.ClientOption) orgv1connect.OrgServiceClient {
	return orgv1connect.NewOrgServiceClient(b.http, b.url, opts...)
}

// req builds a request carrying token as a bearer credential (none when empty).
func req[T any](msg *T, token string) *connect.Request[T] {
	r := connect.NewRequest(msg)
	if token != "" {
		r.Header().Set("Authorization", "Bearer "+token)
	}
	r.Header().Set("User-Agent", "identity-test/1.0")
	return r
}

func (b *bundle) login(email, pw string) *authv1.LoginResponse {
	b.t.Helper()
	res, err := b.auth().Login(context.Background(), req(&authv1.LoginRequest{Email: email, Password: pw}, ""))
	if err != nil {
		b.t.Fatalf("login %s: %v", email, err)
	}
	return res.Msg
}

func (b *bundle) superToken() string { return b.login(superEmail, goodPass).AccessToken }

func (b *bundle) dealership(name string) string {
	b.t.Helper()
	res, err := b.org().CreateDealership(context.Background(), req(&orgv1.CreateDealershipRequest{Name: name}, b.superToken()))
	if err != nil {
		b.t.Fatalf("create dealership: %v", err)
	}
	return res.Msg.Dealership.Id
}

func (b *bundle) user(token, did, email string, role orgv1.Role) *orgv1.User {
	b.t.Helper()
	res, err := b.org().CreateUser(context.Background(), req(&orgv1.CreateUserRequest{DealershipId: did, Email: email, Password: goodPass, Role: role}, token))
	if err != nil {
		b.t.Fatalf("create user %s: %v", email, err)
	}
	return res.Msg.User
}

func code(err error) connect.Code {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Code()
	}
	return 0
}

func reason(err error) string {
	d, _ := apierror.Detail(err)
	if d == nil {
		return ""
	}
	return d.Reason
}

func wantCode(tb testing.TB, err error, want connect.Code) {
	tb.Helper()
	if code(err) != want {
		tb.Fatalf("error = %v, want %v", err, want)
	}
}

func redistestNew(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	return redistest.New(tb)
}
