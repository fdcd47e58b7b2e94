package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/avatar-fi/avatar/platform/ratelimit"
)

// Example limits a user's chat messages the way the edge does: two messages a minute
// here, so the third is refused with the time to wait.
func Example() {
	ctx := context.Background()
	opts, err := redis.ParseURL(redisURL())
	if err != nil {
		fmt.Println(err)
		return
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "example:" + hex.EncodeToString(b) + ":"

	metrics, err := ratelimit.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := ratelimit.New(rdb, ratelimit.WithPrefix(prefix), ratelimit.WithMetrics(metrics),
		ratelimit.WithLimits(ratelimit.Limit{Name: ratelimit.Chat, Rate: 2, Period: time.Minute}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = l.Reset(ctx, ratelimit.Chat, "user-1") }()
	for i := 1; i <= 3; i++ {
		err := l.Allow(ctx, ratelimit.Chat, "user-1")
		var le *ratelimit.LimitedError
		switch {
		case err == nil:
			fmt.Printf("message %d: sent\n", i)
		case errors.As(err, &le):
			fmt.Printf("message %d: refused by %s, retry in %d s\n", i, le.Limit, le.RetryAfterSeconds())
		default:
			fmt.Printf("message %d: %v\n", i, err)
		}
	}
	// Output:
	// message 1: sent
	// message 2: sent
	// message 3: refused by chat, retry in 30 s
}
