package rtc

import (
	"errors"
	"time"
)

// ErrUnauthenticated is returned when the bearer token is missing or fails
// verification (HTTP 401).
var ErrUnauthenticated = errors.New("rtc: unauthenticated")

// ErrBadOffer is returned for a body that is not a usable SDP offer (HTTP
// 400).
var ErrBadOffer = errors.New("rtc: bad SDP offer")

// ErrNoOpus is returned for an offer without an Opus audio m-line (HTTP
// 400).
var ErrNoOpus = errors.New("rtc: offer has no Opus audio")

// ErrFull is returned when the edge already carries its maximum number of
// calls (HTTP 503).
var ErrFull = errors.New("rtc: edge is at its call limit")

// ErrDraining is returned for new calls once Drain has begun (HTTP 503).
var ErrDraining = errors.New("rtc: edge is draining")

// ErrNotFound is returned for a call id that does not exist, or that belongs
// to another user (HTTP 404).
var ErrNotFound = errors.New("rtc: no such call")

// ErrNoSession is returned for an offer naming a session that does not
// exist on this edge or belongs to another user (HTTP 404).
var ErrNoSession = errors.New("rtc: no such session")

// ErrRateLimited is returned when the caller started too many calls (HTTP
// 429 with Retry-After); Dialogues.Join wraps it in a *RetryError.
var ErrRateLimited = errors.New("rtc: too many call starts")

// RetryError says how long to wait before trying again.
type RetryError struct {
	Err   error
	After time.Duration
}

func (e *RetryError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter returns how long err says to wait, or 0.
func RetryAfter(err error) time.Duration {
	var re *RetryError
	if errors.As(err, &re) {
		return re.After
	}
	return 0
}

// ErrConfig is returned by New, wrapped with the field's name, for an
// invalid Config.
var ErrConfig = errors.New("rtc: invalid config")

// Reasons a call ends, the causes of its context.
var (
	// ErrHangUp: DELETE, EndCall or the peer closed the connection.
	ErrHangUp = errors.New("rtc: hang-up")
	// ErrICEFailed: ICE failed, or the peer vanished.
	ErrICEFailed = errors.New("rtc: ICE failed")
	// ErrConnectTimeout: the call did not connect in time.
	ErrConnectTimeout = errors.New("rtc: connect timeout")
	// ErrMaxDuration: the call reached its maximum duration.
	ErrMaxDuration = errors.New("rtc: maximum call duration")
	// ErrFlood: the client sent too much on the data channel.
	ErrFlood = errors.New("rtc: data channel flood")
	// ErrShutdown: the server closed, or a drain ran out of time.
	ErrShutdown = errors.New("rtc: edge shutting down")
)
