package conversation_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/redis/go-redis/v9"

	"github.com/avatar-fi/avatar/edge/internal/coretest"
	"github.com/avatar-fi/avatar/edge/internal/rtc"
	"github.com/avatar-fi/avatar/platform/ratelimit"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

// redisLimiter is the edge's limiter over the test Redis with small budgets
// and a key prefix of the test's own.
type redisLimiter struct{ l *ratelimit.Limiter }

func (r redisLimiter) Take(ctx context.Context, limit, key string) (bool, time.Duration, error) {
	err := r.l.Allow(ctx, limit, key)
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

func newRedisLimiter(t *testing.T, chat, calls int) redisLimiter {
	t.Helper()
	u := os.Getenv("AVATAR_TEST_REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v (make test starts it)", u, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	l, err := ratelimit.New(rdb, ratelimit.WithPrefix("test:"+hex.EncodeToString(b)+":"), ratelimit.WithLimits(
		ratelimit.Limit{Name: ratelimit.Chat, Rate: chat, Period: time.Minute},
		ratelimit.Limit{Name: ratelimit.CallStart, Rate: calls, Period: time.Minute},
	))
	if err != nil {
		t.Fatal(err)
	}
	return redisLimiter{l}
}

// TestRateLimits spends a user's chat and call-start budgets: the next
// request answers 429 / RESOURCE_EXHAUSTED with Retry-After, and another
// user is unaffected.
func TestRateLimits(t *testing.T) {
	b := setup(t, edgeOpts{limiter: newRedisLimiter(t, 2, 1)})
	tok := b.core.TraineeToken
	start, err := b.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_TRAINING}, tok))
	if err != nil {
		t.Fatal(err)
	}
	sid := start.Msg.GetSessionId()
	for range 2 {
		b.chat(t, b.client, tok, sid, "hello")
	}
	err = sendErr(t, b, tok, sid, "hello again")
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeResourceExhausted || ce.Meta().Get("Retry-After") == "" {
		t.Fatalf("third message: %v, want ResourceExhausted with Retry-After", err)
	}
	if d := detail(t, err); d.GetReason() != "RATE_LIMITED" {
		t.Errorf("reason %q", d.GetReason())
	}

	// Call starts over WHIP: the first is answered, the second refused with 429.
	post := func() *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.http.URL+rtc.CallsPath+"?sessionId="+sid, strings.NewReader(offerSDP(t)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/sdp")
		resp, err := b.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := post(); r.StatusCode != http.StatusCreated {
		t.Fatalf("first call: %s", r.Status)
	}
	r := post()
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("second call: %s, Retry-After %q; want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"))
	}
	// Another trainee has budgets of their own.
	other := b.core.NewUser(t)
	os2, err := b.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_TRAINING}, other))
	if err != nil {
		t.Fatal(err)
	}
	b.chat(t, b.client, other, os2.Msg.GetSessionId(), "hello")
}
