// Package redistest gives each test a client to the real Redis
// (AVATAR_TEST_REDIS_URL, default redis://127.0.0.1:6379/0) and a unique key prefix,
// whose keys are deleted when the test ends. A missing server is a test failure with one
// clear message, never a skip.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is used when AVATAR_TEST_REDIS_URL is unset.
const DefaultURL = "redis://127.0.0.1:6379/0"

// New returns a client (closed in Cleanup) and a prefix unique to tb, like "t:3fa9…:".
func New(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	u := os.Getenv("AVATAR_TEST_REDIS_URL")
	if u == "" {
		u = DefaultURL
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		tb.Fatalf("redistest: AVATAR_TEST_REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		tb.Fatalf("redistest: Redis is not reachable at %s (run deploy/dev/services.sh): %v", u, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "t:" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// redis_rate adds its own "rate:" in front of our keys.
		for _, pattern := range []string{prefix + "*", "rate:" + prefix + "*"} {
			iter := rdb.Scan(ctx, 0, pattern, 100).Iterator()
			for iter.Next(ctx) {
				_ = rdb.Del(ctx, iter.Val()).Err()
			}
		}
		_ = rdb.Close()
	})
	return rdb, prefix
}

// Unreachable returns a client pointing at a closed port, for fallback tests.
func Unreachable(tb testing.TB) *redis.Client {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}
