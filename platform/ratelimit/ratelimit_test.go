package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/avatar-fi/avatar/platform/ratelimit"
)

// TestSharedBudget: two limiters (as in two replicas, or two edges) on one Redis share
// one budget, and a refusal says which limit refused and when to retry.
func TestSharedBudget(t *testing.T) {
	t.Parallel()
	rdb, prefix := newRedis(t)
	lim := ratelimit.Limit{Name: "test", Rate: 10, Period: time.Minute}
	a, err := ratelimit.New(rdb, ratelimit.WithPrefix(prefix), ratelimit.WithLimits(lim))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ratelimit.New(rdb, ratelimit.WithPrefix(prefix), ratelimit.WithLimits(lim))
	if err != nil {
		t.Fatal(err)
	}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			l := a
			if i%2 == 1 {
				l = b
			}
			if err := l.Allow(t.Context(), "test", "user-1"); err == nil {
				allowed.Add(1)
			} else if !errors.Is(err, ratelimit.ErrLimited) {
				t.Errorf("Allow: %v", err)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Fatalf("allowed %d of 20 across two limiters, want 10", n)
	}
	err = a.Allow(t.Context(), "test", "user-1")
	var le *ratelimit.LimitedError
	if !errors.As(err, &le) || le.Limit != "test" || le.RetryAfter <= 0 || le.RetryAfter > 6*time.Second || le.RetryAfterSeconds() < 1 {
		t.Fatalf("denial = %#v (%v), want a LimitedError of about 6 s", le, err)
	}
	// Another key has its own budget.
	if err := b.Allow(t.Context(), "test", "user-2"); err != nil {
		t.Fatalf("other key: %v", err)
	}
	if err := a.Allow(t.Context(), "nope", "k"); !errors.Is(err, ratelimit.ErrUnknownLimit) {
		t.Fatalf("unknown limit: %v", err)
	}
}

func TestDefaultLimits(t *testing.T) {
	t.Parallel()
	rdb, prefix := newRedis(t)
	l, err := ratelimit.New(rdb, ratelimit.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		limit string
		want  int
	}{
		{name: "chat", limit: ratelimit.Chat, want: 30},
		{name: "call starts", limit: ratelimit.CallStart, want: 20},
		{name: "uploads", limit: ratelimit.KnowledgeUpload, want: 10},
		{name: "searches", limit: ratelimit.KnowledgeSearch, want: 10},
		{name: "login per account", limit: ratelimit.LoginAccount, want: 10},
		{name: "login per IP", limit: ratelimit.LoginIP, want: 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			for range tc.want + 5 {
				switch err := l.Allow(t.Context(), tc.limit, "u"); {
				case err == nil:
					n++
				case !errors.Is(err, ratelimit.ErrLimited):
					t.Fatalf("Allow: %v", err)
				}
			}
			if n != tc.want {
				t.Fatalf("allowed %d, want %d", n, tc.want)
			}
		})
	}
}

// TestReset: a reset budget is whole again.
func TestReset(t *testing.T) {
	t.Parallel()
	rdb, prefix := newRedis(t)
	l, err := ratelimit.New(rdb, ratelimit.WithPrefix(prefix), ratelimit.WithLimits(ratelimit.Limit{Name: "once", Rate: 1, Period: time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Allow(t.Context(), "once", "k"); err != nil {
		t.Fatal(err)
	}
	if err := l.Allow(t.Context(), "once", "k"); !errors.Is(err, ratelimit.ErrLimited) {
		t.Fatalf("second call = %v, want ErrLimited", err)
	}
	if err := l.Reset(t.Context(), "once", "k"); err != nil {
		t.Fatal(err)
	}
	if err := l.Allow(t.Context(), "once", "k"); err != nil {
		t.Fatalf("after reset: %v", err)
	}
}

// TestCanceledContext: a request whose context ended is neither allowed nor counted as
// a Redis outage.
func TestCanceledContext(t *testing.T) {
	t.Parallel()
	rdb, prefix := newRedis(t)
	reg := prometheus.NewRegistry()
	m, err := ratelimit.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ratelimit.New(rdb, ratelimit.WithPrefix(prefix), ratelimit.WithMetrics(m))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.Allow(ctx, ratelimit.Chat, "u"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Allow = %v, want context.Canceled", err)
	}
	if n := testutil.CollectAndCount(reg, "avatar_ratelimit_redis_errors_total"); n != 0 {
		t.Fatalf("%d Redis error series after a cancelled call, want 0", n)
	}
}

func TestFallbackWhenRedisDown(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := ratelimit.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ratelimit.New(unreachable(t), ratelimit.WithLogger(testLog(t)), ratelimit.WithMetrics(m), ratelimit.WithLimits(
		ratelimit.Limit{Name: "open", Rate: 3, Period: time.Minute},
		ratelimit.Limit{Name: "closed", Rate: 3, Period: time.Minute, Fallback: ratelimit.FailClosed},
	))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var last error
	for range 5 {
		if err := l.Allow(t.Context(), "open", "u"); err == nil {
			n++
		} else {
			last = err
		}
	}
	if n != 3 {
		t.Fatalf("local fallback allowed %d, want 3", n)
	}
	var le *ratelimit.LimitedError
	if !errors.As(last, &le) || le.Limit != "open" || le.RetryAfter <= 0 {
		t.Fatalf("local denial = %v", last)
	}
	err = l.Allow(t.Context(), "closed", "u")
	if !errors.Is(err, ratelimit.ErrUnavailable) || errors.Is(err, ratelimit.ErrLimited) {
		t.Fatalf("fail-closed = %v, want ErrUnavailable", err)
	}
	if got := value(t, reg, "avatar_ratelimit_redis_errors_total", "open"); got != 5 {
		t.Fatalf("redis errors for open = %v, want 5", got)
	}
	if got := value(t, reg, "avatar_ratelimit_denied_total", "open"); got != 2 {
		t.Fatalf("denials for open = %v, want 2", got)
	}
}

func TestWithLimitsRejectsInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		limit ratelimit.Limit
	}{
		{name: "no name", limit: ratelimit.Limit{Rate: 1, Period: time.Second}},
		{name: "zero rate", limit: ratelimit.Limit{Name: "x", Period: time.Second}},
		{name: "zero period", limit: ratelimit.Limit{Name: "x", Rate: 1}},
		{name: "negative burst", limit: ratelimit.Limit{Name: "x", Rate: 1, Period: time.Second, Burst: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ratelimit.New(unreachable(t), ratelimit.WithLimits(tc.limit)); !errors.Is(err, ratelimit.ErrInvalidLimit) {
				t.Fatalf("New = %v, want ErrInvalidLimit", err)
			}
		})
	}
}

func TestLimitedError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		after time.Duration
		want  int64
	}{
		{name: "zero waits one second", after: 0, want: 1},
		{name: "under a second", after: 200 * time.Millisecond, want: 1},
		{name: "rounds up", after: 1200 * time.Millisecond, want: 2},
		{name: "whole seconds", after: 30 * time.Second, want: 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error = &ratelimit.LimitedError{Limit: ratelimit.Chat, RetryAfter: tc.after}
			if !errors.Is(err, ratelimit.ErrLimited) || errors.Is(err, ratelimit.ErrUnavailable) {
				t.Fatalf("errors.Is does not match ErrLimited only: %v", err)
			}
			var le *ratelimit.LimitedError
			if !errors.As(err, &le) {
				t.Fatalf("errors.As does not find *LimitedError in %v", err)
			}
			if got := le.RetryAfterSeconds(); got != tc.want {
				t.Fatalf("RetryAfterSeconds = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestMetricsShareSeries: NewMetrics twice on one registerer counts in the same series
// (several Limiters in one process), and a nil *Metrics counts nothing without failing.
func TestMetricsShareSeries(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	a, err := ratelimit.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ratelimit.NewMetrics(reg)
	if err != nil {
		t.Fatalf("second NewMetrics on the same registerer: %v", err)
	}
	a.Denied("chat")
	b.Denied("chat")
	b.RedisError("chat")
	if got := value(t, reg, "avatar_ratelimit_denied_total", "chat"); got != 2 {
		t.Fatalf("denied = %v, want 2", got)
	}
	var none *ratelimit.Metrics
	none.Denied("chat")
	none.RedisError("chat")
	if _, err := ratelimit.NewMetrics(nil); err == nil {
		t.Fatal("NewMetrics(nil) succeeded")
	}
}

// value is the counter name{limit=limit} gathered from reg; a missing series fails.
func value(t *testing.T, reg *prometheus.Registry, name, limit string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "limit" && lp.GetValue() == limit {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{limit=%q} in the registry", name, limit)
	return 0
}
