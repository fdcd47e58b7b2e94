package events

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name    string
		attempt int
		limit   time.Duration
		lo, hi  time.Duration // the wait is in [lo, hi]: base plus up to a fifth
	}{
		{name: "first", attempt: 1, limit: 2 * time.Second, lo: 250 * time.Millisecond, hi: 300 * time.Millisecond},
		{name: "zero counts as first", attempt: 0, limit: 2 * time.Second, lo: 250 * time.Millisecond, hi: 300 * time.Millisecond},
		{name: "doubles", attempt: 3, limit: 2 * time.Second, lo: time.Second, hi: 1200 * time.Millisecond},
		{name: "capped", attempt: 5, limit: 2 * time.Second, lo: 2 * time.Second, hi: 2400 * time.Millisecond},
		{name: "no overflow", attempt: 1 << 20, limit: 5 * time.Second, lo: 5 * time.Second, hi: 6 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				if d := backoff(tt.attempt, tt.limit); d < tt.lo || d > tt.hi {
					t.Fatalf("backoff(%d, %s) = %s, want %s..%s", tt.attempt, tt.limit, d, tt.lo, tt.hi)
				}
			}
		})
	}
}
