package session

import "errors"

// Errors of the Manager.
var (
	// ErrNotFound: no live session with that id belongs to the caller.
	ErrNotFound = errors.New("session: not found")
	// ErrFull: the edge holds MaxSessions sessions.
	ErrFull = errors.New("session: too many sessions on this edge")
	// ErrInvalid: the request cannot start a session (bad mode, no scenario
	// for a role-play).
	ErrInvalid = errors.New("session: invalid request")
	// ErrEnded: the session has ended.
	ErrEnded = errors.New("session: ended")
	// ErrTooManyTurns: the session reached MaxTurns.
	ErrTooManyTurns = errors.New("session: turn limit reached")
	// ErrConfig is returned by New for a bad Config.
	ErrConfig = errors.New("session: invalid config")
)
