package apierror_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/platform/ratelimit"
)

func TestFromRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantOK     bool
		wantCode   connect.Code
		wantReason string
		wantRetry  string // Retry-After, "" for none
	}{
		{name: "spent budget", err: &ratelimit.LimitedError{Limit: ratelimit.Chat, RetryAfter: 1500 * time.Millisecond},
			wantOK: true, wantCode: connect.CodeResourceExhausted, wantReason: apierror.ReasonRateLimited, wantRetry: "2"},
		{name: "wrapped lockout", err: fmt.Errorf("account lockout: %w", &ratelimit.LimitedError{Limit: "lockout", RetryAfter: time.Minute}),
			wantOK: true, wantCode: connect.CodeResourceExhausted, wantReason: apierror.ReasonRateLimited, wantRetry: "60"},
		{name: "bare sentinel", err: ratelimit.ErrLimited,
			wantOK: true, wantCode: connect.CodeResourceExhausted, wantReason: apierror.ReasonRateLimited, wantRetry: "1"},
		{name: "fail closed", err: fmt.Errorf("rate limit x: %w: %w", ratelimit.ErrUnavailable, errors.New("dial tcp: refused")),
			wantOK: true, wantCode: connect.CodeUnavailable, wantReason: apierror.ReasonUnavailable},
		{name: "other error", err: errors.New("boom")},
		{name: "nil", err: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ce, ok := apierror.FromRateLimit(tc.err)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			d, _ := apierror.Detail(ce)
			if ce.Code() != tc.wantCode || d.GetReason() != tc.wantReason || ce.Meta().Get("Retry-After") != tc.wantRetry {
				t.Fatalf("got %v reason %q Retry-After %q", ce, d.GetReason(), ce.Meta().Get("Retry-After"))
			}
			if tc.wantCode == connect.CodeUnavailable && ce.Message() != "rate limiter unavailable, try again shortly" {
				t.Fatalf("message %q leaks internal text", ce.Message())
			}
		})
	}
}
