package main

import (
	"errors"
	"fmt"
	"testing"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/loadtest/internal/report"
)

func TestFailureKind(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"503 from the edge", fmt.Errorf("dial: %w", &caller.StatusError{Code: 503}), report.FailFull},
		{"429 from the edge", &caller.StatusError{Code: 429}, report.FailRateLimited},
		{"401 from the edge", &caller.StatusError{Code: 401}, report.FailSetup},
		{"session rate limited", fmt.Errorf("start session: %w", connect.NewError(connect.CodeResourceExhausted, errors.New("slow down"))), report.FailRateLimited},
		{"session unavailable", connect.NewError(connect.CodeUnavailable, errors.New("draining")), report.FailFull},
		{"ICE timeout", fmt.Errorf("connect: %w", errors.New("context deadline exceeded")), report.FailSetup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failureKind(tt.err); got != tt.want {
				t.Errorf("failureKind = %q, want %q", got, tt.want)
			}
		})
	}
}
