package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/avatar-fi/avatar/edge/internal/config"
	"github.com/avatar-fi/avatar/edge/internal/conversation"
	"github.com/avatar-fi/avatar/platform/ratelimit"
)

// limiterTimeout bounds one rate-limit decision.
const limiterTimeout = 200 * time.Millisecond

// newLimiter returns the chat and call-start limits over Redis (shared by
// every edge), falling back to limits of this edge's own while Redis is
// unreachable.
func newLimiter(cfg config.Config, log *slog.Logger) (conversation.Limiter, func(), error) {
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("AVATAR_REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opts)
	m, err := ratelimit.NewMetrics(prometheus.DefaultRegisterer)
	if err != nil {
		rdb.Close()
		return nil, nil, fmt.Errorf("rate limit metrics: %w", err)
	}
	l, err := ratelimit.New(rdb, ratelimit.WithLogger(log), ratelimit.WithMetrics(m))
	if err != nil {
		rdb.Close()
		return nil, nil, fmt.Errorf("rate limits: %w", err)
	}
	return limiter{l}, func() { _ = rdb.Close() }, nil
}

// limiter adapts ratelimit.Limiter to conversation.Limiter.
type limiter struct{ l *ratelimit.Limiter }

func (l limiter) Take(ctx context.Context, limit, key string) (bool, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, limiterTimeout)
	defer cancel()
	err := l.l.Allow(ctx, limit, key)
	var le *ratelimit.LimitedError
	switch {
	case err == nil:
		return true, 0, nil
	case errors.As(err, &le):
		return false, le.RetryAfter, nil
	default:
		return false, 0, err
	}
}
