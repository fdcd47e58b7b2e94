package lockout_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/core/internal/lockout"
	"github.com/avatar-fi/avatar/core/internal/redistest"
	"github.com/avatar-fi/avatar/platform/ratelimit"
)

func testLog(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// locked reports whether err is a lockout's refusal with a positive wait.
func locked(err error) bool {
	var le *ratelimit.LimitedError
	return errors.As(err, &le) && le.Limit == lockout.Limit && le.RetryAfter > 0 && errors.Is(err, ratelimit.ErrLimited)
}

// TestLockoutGrows: locks start past the free failures, double, stop at Max, are seen
// by another replica and end with Reset.
func TestLockoutGrows(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	o := lockout.New(rdb, prefix, lockout.Config{Free: 3, Base: 2 * time.Second, Max: 10 * time.Second})
	ctx := t.Context()
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
	if err := o.Check(ctx, "a@example.com"); !locked(err) {
		t.Fatalf("Check while locked = %v", err)
	}
	// A second replica sees the same lock.
	other := lockout.New(rdb, prefix, lockout.Config{})
	if err := other.Check(ctx, "a@example.com"); !locked(err) {
		t.Fatalf("other replica = %v", err)
	}
	if err := o.Reset(ctx, "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := o.Check(ctx, "a@example.com"); err != nil {
		t.Fatalf("after reset: %v", err)
	}
}

// TestLocalFallback: while Redis is down the lockout keeps locking in this process.
func TestLocalFallback(t *testing.T) {
	t.Parallel()
	local := lockout.New(redistest.Unreachable(t), "t:", lockout.Config{Free: 1, Base: time.Minute}, lockout.WithLogger(testLog(t)))
	ctx := t.Context()
	if err := local.Check(ctx, "b"); err != nil {
		t.Fatalf("Check before any failure = %v", err)
	}
	for range 2 {
		if _, err := local.Fail(ctx, "b"); err != nil {
			t.Fatalf("Fail while Redis is down = %v, want nil", err)
		}
	}
	if err := local.Check(ctx, "b"); !locked(err) {
		t.Fatalf("local lockout = %v", err)
	}
	if err := local.Check(ctx, "c"); err != nil {
		t.Fatalf("other key = %v", err)
	}
}
