package webhook

import (
	"errors"
	"time"
)

// Result is what became of a delivery attempt. Its String is the label the areas'
// delivery counters use.
type Result int

// The results of an attempt.
const (
	// Delivered means the receiver answered 2xx.
	Delivered Result = iota
	// Refused means the target is a private address; the delivery is dropped.
	Refused
	// Failed means the attempt failed and the backoff schedule is spent; the delivery
	// is dropped.
	Failed
	// Retry means the attempt failed and the delivery is tried again after a delay.
	Retry
)

// String returns "ok", "refused", "failed" or "retry".
func (r Result) String() string {
	switch r {
	case Delivered:
		return "ok"
	case Refused:
		return "refused"
	case Failed:
		return "failed"
	case Retry:
		return "retry"
	}
	return "unknown"
}

// Next decides what follows attempt n (0 for the first) of a delivery, which ended with
// err: Delivered for nil, Refused for ErrPrivateTarget, Failed once the backoff
// schedule has no delay for n, and otherwise Retry after backoff[n]. The delay is 0 but
// for Retry.
func Next(err error, n int, backoff []time.Duration) (Result, time.Duration) {
	switch {
	case err == nil:
		return Delivered, 0
	case errors.Is(err, ErrPrivateTarget):
		return Refused, 0
	case n < 0 || n >= len(backoff):
		return Failed, 0
	}
	return Retry, backoff[n]
}
