package llm

import "errors"

// ErrConfig is returned by New when a Config field is invalid; the message
// names the field.
var ErrConfig = errors.New("llm: invalid config")

// ErrInvalidRequest is returned by Client.Stream, before anything is sent,
// when the Request itself is wrong: no messages, an unknown role or purpose,
// or a negative MaxTokens or out-of-range Temperature. It is a bug in the
// caller, never worth a retry.
var ErrInvalidRequest = errors.New("llm: invalid request")

// ErrRejected wraps a 4xx reply other than 408 and 429 (bad parameters, unknown
// model, context too long, bad API key). The error text carries the status
// and the provider's own message from its JSON error body. It is never
// retried.
var ErrRejected = errors.New("llm: provider rejected the request")

// ErrUnavailable is returned when every attempt failed before the first
// token for a reason worth retrying (connection error, 429, 5xx, first-token
// timeout, stream closed before any content), or when the next wait would
// pass the overall deadline. It wraps the last attempt's error.
var ErrUnavailable = errors.New("llm: provider unavailable")

// ErrFirstTokenTimeout is wrapped in an attempt's error when no content
// arrived within Config.FirstTokenTimeout; the attempt is retried while
// attempts remain, so callers see it inside ErrUnavailable.
var ErrFirstTokenTimeout = errors.New("llm: no first token in time")

// ErrTimeout is the error when Config.Timeout elapses during Client.Stream.
// When deltas were already delivered it comes wrapped together with
// ErrStreamCut.
var ErrTimeout = errors.New("llm: reply timed out")

// ErrStreamCut is returned when the stream failed after at least one delta
// was delivered to out: the connection closed or broke, the provider sent an
// error event, or the overall timeout passed. The reply is incomplete; the
// caller keeps what it received. It is never retried, since a second answer
// would not continue the first.
var ErrStreamCut = errors.New("llm: reply stream cut")
