package region

import "errors"

// ErrNoEdge means no edge takes a new call in any region: every known edge is full,
// draining or silent, or none has ever heartbeated. The client retries in a few seconds.
var ErrNoEdge = errors.New("region: no edge takes calls")

// ErrUnavailable means the fleet view in Redis could not be read or written; the error
// wraps Redis's.
var ErrUnavailable = errors.New("region: fleet view unavailable")

// ErrInvalidHeartbeat means a heartbeat cannot be used (no edge id, a bad region or URL,
// no time); it is dropped and logged.
var ErrInvalidHeartbeat = errors.New("region: invalid heartbeat")

// ErrInvalidConfig means New was given an unusable Config, or Run was called without a
// Bus.
var ErrInvalidConfig = errors.New("region: invalid configuration")
