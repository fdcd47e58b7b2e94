package analytics

import "errors"

// ErrInvalidConfig means New was given an unusable Config.
var ErrInvalidConfig = errors.New("analytics: invalid configuration")

// ErrSessionNotFound means the session does not exist for the caller: it was never
// recorded, was deleted, belongs to another dealership or, for a trainee, to another
// user.
var ErrSessionNotFound = errors.New("analytics: session not found")

// ErrUserNotFound means the user is not one of the dealership's and has no session in
// it.
var ErrUserNotFound = errors.New("analytics: user not found")

// ErrDealershipNotFound means the dealership does not exist.
var ErrDealershipNotFound = errors.New("analytics: dealership not found")

// ErrInvalidPageToken means a list page token was not produced by a previous list.
var ErrInvalidPageToken = errors.New("analytics: invalid page token")

// ErrInvalidRetention means a retention period outside MinRetentionDays to
// MaxRetentionDays was asked for.
var ErrInvalidRetention = errors.New("analytics: invalid retention period")

// ErrMalformedEvent means an event cannot be recorded: it does not decode, or lacks its
// session, dealership, user or event id. Such events are dropped (and counted).
var ErrMalformedEvent = errors.New("analytics: malformed event")
