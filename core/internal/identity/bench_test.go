package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/core/internal/identity"
	"github.com/avatar-fi/avatar/core/internal/password"
	"github.com/avatar-fi/avatar/platform/ratelimit"
	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
)

// BenchmarkLogin is end-to-end Login throughput over HTTP/2 (Connect protocol) against
// the real PostgreSQL and Redis: lockout and rate-limit checks, argon2id verification,
// token signing and the refresh-token insert. "production" uses the default argon2id
// parameters (64 MiB, t=3), which dominate; "cheap" shows the rest of the path.
func BenchmarkLogin(b *testing.B) {
	for _, bc := range []struct {
		name   string
		params password.Params
	}{
		{name: "production", params: password.DefaultParams()},
		{name: "cheap", params: password.TestParams()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			// Lift the login limits: the benchmark measures the login path, not the
			// limiter refusing it (the tests keep theirs at 1000/min).
			bd := setup(b, func(c *identity.Config) {
				c.Passwords = bc.params
				c.Limits = append(c.Limits,
					ratelimit.Limit{Name: ratelimit.LoginIP, Rate: 1_000_000, Period: time.Minute},
					ratelimit.Limit{Name: ratelimit.LoginAccount, Rate: 1_000_000, Period: time.Minute})
			})
			client := bd.auth()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := client.Login(ctx, req(&authv1.LoginRequest{Email: superEmail, Password: goodPass}, "")); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
		})
	}
}
