package caller

import (
	"errors"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	// A sender report sent at t0, answered 250 ms later (DLSR), arriving
	// 80 ms after that: the round trip is 80 ms.
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	lsr := ntpMiddle(t0)
	dlsr := uint32(250 * 65536 / 1000)
	tests := []struct {
		name    string
		arrival time.Time
		lsr     uint32
		want    time.Duration
		ok      bool
	}{
		{"80 ms", t0.Add(330 * time.Millisecond), lsr, 80 * time.Millisecond, true},
		{"no sender report echoed", t0.Add(330 * time.Millisecond), 0, 0, false},
		{"arrived before the delay ran out", t0.Add(200 * time.Millisecond), lsr, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RoundTrip(tt.arrival, tt.lsr, dlsr)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			// 16.16 fixed point: 1/65536 s resolution, twice.
			if d := got - tt.want; d < -100*time.Microsecond || d > 100*time.Microsecond {
				t.Errorf("RoundTrip = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStatusError(t *testing.T) {
	var err error = &StatusError{Code: 503, Status: "503 Service Unavailable", Body: "full"}
	if !errors.Is(err, ErrStatus) {
		t.Error("a StatusError does not match ErrStatus")
	}
	if got := err.Error(); got != "caller: edge refused the call: 503 Service Unavailable: full" {
		t.Errorf("Error() = %q", got)
	}
}
