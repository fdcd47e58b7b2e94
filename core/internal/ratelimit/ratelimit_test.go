package ratelimit_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/ratelimit"
	"github.com/avatar-fi/avatar/core/internal/redistest"
)

func testLog(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// TestSharedBudget: two limiters (as in two core replicas) on one Redis share one budget.
func TestSharedBudget(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	lim := ratelimit.Limit{Name: "test", Rate: 10, Period: time.Minute}
	a, err := ratelimit.New(rdb, ratelimit.WithPrefix(prefix), ratelimit.WithLimits(lim))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ratelimit.New(rdb, ratelimit.WithPrefix(prefix), ratelimit.WithLimits(lim))
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := a
			if i%2 == 1 {
				l = b
			}
			if err := l.Allow(t.Context(), "test", "user-1"); err == nil {
				allowed.Add(1)
			} else if !isRateLimited(err) {
				t.Errorf("Allow: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Fatalf("allowed %d of 20 across two limiters, want 10", n)
	}
	err = a.Allow(t.Context(), "test", "user-1")
	d, ok := apierror.Detail(err)
	if !ok || d.Reason != apierror.ReasonRateLimited || d.RetryAfterSeconds < 1 {
		t.Fatalf("denial = %v %+v", err, d)
	}
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeResourceExhausted || ce.Meta().Get("Retry-After") == "" {
		t.Fatalf("denial = %v", err)
	}
	// Another key has its own budget.
	if err := b.Allow(t.Context(), "test", "user-2"); err != nil {
		t.Fatalf("other key: %v", err)
	}
	if err := a.Allow(t.Context(), "nope", "k"); !errors.Is(err, ratelimit.ErrUnknownLimit) {
		t.Fatalf("unknown limit: %v", err)
	}
}

func isRateLimited(err error) bool {
	d, ok := apierror.Detail(err)
	return ok && d.Reason == apierror.ReasonRateLimited
}

func TestDefaultLimits(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	l, _ := ratelimit.New(rdb, ratelimit.WithPrefix(prefix))
	tests := []struct {
		name  string
		limit string
		want  int
	}{
		{name: "chat", limit: ratelimit.Chat, want: 30},
		{name: "call starts", limit: ratelimit.CallStart, want: 20},
		{name: "uploads", limit: ratelimit.KnowledgeUpload, want: 10},
		{name: "searches", limit: ratelimit.KnowledgeSearch, want: 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			for range tc.want + 5 {
				if l.Allow(t.Context(), tc.limit, "u") == nil {
					n++
				}
			}
			if n != tc.want {
				t.Fatalf("allowed %d, want %d", n, tc.want)
			}
		})
	}
}

func TestFallbackWhenRedisDown(t *testing.T) {
	t.Parallel()
	down := redistest.Unreachable(t)
	l, err := ratelimit.New(down, ratelimit.WithLogger(testLog(t)), ratelimit.WithLimits(
		ratelimit.Limit{Name: "open", Rate: 3, Period: time.Minute},
		ratelimit.Limit{Name: "closed", Rate: 3, Period: time.Minute, Fallback: ratelimit.FailClosed},
	))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range 5 {
		if l.Allow(t.Context(), "open", "u") == nil {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("local fallback allowed %d, want 3", n)
	}
	err = l.Allow(t.Context(), "closed", "u")
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeUnavailable {
		t.Fatalf("fail-closed = %v", err)
	}
}

func TestLockoutGrows(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	o := ratelimit.NewLockout(rdb, prefix, ratelimit.LockoutConfig{Free: 3, Base: 2 * time.Second, Max: 10 * time.Second}, nil)
	ctx := context.Background()
	var locks []time.Duration
	for range 7 {
		d, err := o.Fail(ctx, "a@example.com")
		if err != nil {
			t.Fatal(err)
		}
		locks = append(locks, d)
	}
	want := []time.Duration{0, 0, 0, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second}
	for i := range want {
		if locks[i] != want[i] {
			t.Fatalf("locks = %v, want %v", locks, want)
		}
	}
	if err := o.Check(ctx, "a@example.com"); !isRateLimited(err) {
		t.Fatalf("Check while locked = %v", err)
	}
	// A second replica sees the same lock.
	other := ratelimit.NewLockout(rdb, prefix, ratelimit.LockoutConfig{}, nil)
	if err := other.Check(ctx, "a@example.com"); !isRateLimited(err) {
		t.Fatalf("other replica = %v", err)
	}
	if err := o.Reset(ctx, "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := o.Check(ctx, "a@example.com"); err != nil {
		t.Fatalf("after reset: %v", err)
	}
	// Local fallback keeps locking while Redis is down.
	local := ratelimit.NewLockout(redistest.Unreachable(t), prefix, ratelimit.LockoutConfig{Free: 1, Base: time.Minute}, testLog(t))
	_, _ = local.Fail(ctx, "b")
	_, _ = local.Fail(ctx, "b")
	if err := local.Check(ctx, "b"); !isRateLimited(err) {
		t.Fatalf("local lockout = %v", err)
	}
}
